import { BadRequestException, HttpException, HttpStatus } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { isDatabaseUnavailable } from '../../database/database-errors';
import { ProblemException } from './problem.exception';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** RFC 9457 problem details, plus the stable `code` and the request id. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId?: string;
  [extension: string]: unknown;
}

export interface RenderedProblem {
  body: ProblemDetails;
  headers: Record<string, string>;
}

const TYPE_BASE = 'https://payments.example.com/problems/';

/** Renders any thrown value as problem details. Unknown errors get a generic 500. */
export function renderProblem(error: unknown, requestId?: string): RenderedProblem {
  if (error instanceof ProblemException) {
    return {
      body: problem(error.getStatus(), error.code, error.title, error.detail, requestId, error.extensions),
      headers: error.headers,
    };
  }
  // Nest wraps body-parser errors in an HttpException whose cause is the original error.
  const bodyParserError = asBodyParserError(error) ?? asBodyParserError((error as { cause?: unknown } | null)?.cause);
  if (bodyParserError) {
    return { body: renderBodyParserError(bodyParserError, requestId), headers: {} };
  }
  if (error instanceof BadRequestException) {
    return { body: renderValidationError(error, requestId), headers: {} };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code = status === HttpStatus.NOT_FOUND ? 'not_found' : snakeCase(STATUS_CODES[status] ?? 'error');
    return { body: problem(status, code, STATUS_CODES[status] ?? 'Error', error.message, requestId), headers: {} };
  }
  if (isDatabaseUnavailable(error)) {
    return {
      body: problem(503, 'database_unavailable', 'Service Unavailable', 'The database is unavailable or busy. Retry with the same Idempotency-Key.', requestId),
      headers: { 'Retry-After': '1' },
    };
  }
  return {
    body: problem(500, 'internal_error', 'Internal Server Error', 'The server failed to process the request. Retry later.', requestId),
    headers: {},
  };
}

function problem(
  status: number,
  code: string,
  title: string,
  detail: string,
  requestId: string | undefined,
  extensions: Record<string, unknown> = {},
): ProblemDetails {
  return { type: TYPE_BASE + code, title, status, detail, code, ...extensions, ...(requestId ? { requestId } : {}) };
}

/** ValidationPipe throws a 400 whose response lists one message per failed constraint. */
function renderValidationError(error: BadRequestException, requestId?: string): ProblemDetails {
  const response = error.getResponse();
  const messages =
    typeof response === 'object' && response !== null && Array.isArray((response as { message?: unknown }).message)
      ? ((response as { message: string[] }).message)
      : [error.message];
  return problem(400, 'validation_failed', 'Invalid request', messages.join('; '), requestId, { errors: messages });
}

interface BodyParserError {
  type: string;
  status: number;
}

// body-parser errors carry `type` (for example entity.parse.failed) and `status`.
function asBodyParserError(error: unknown): BodyParserError | undefined {
  if (typeof error !== 'object' || error === null) {
    return undefined;
  }
  const { type, status } = error as Partial<BodyParserError>;
  return typeof type === 'string' && typeof status === 'number' && type.startsWith('entity.')
    ? { type, status }
    : undefined;
}

function renderBodyParserError(error: BodyParserError, requestId?: string): ProblemDetails {
  switch (error.type) {
    case 'entity.too.large':
      return problem(413, 'payload_too_large', 'Payload Too Large', 'The request body exceeds the 100 kB limit.', requestId);
    case 'entity.parse.failed':
      return problem(400, 'malformed_json', 'Malformed JSON', 'The request body is not valid JSON.', requestId);
    default:
      return problem(error.status, 'unreadable_body', 'Unreadable body', 'The request body could not be read.', requestId);
  }
}

function snakeCase(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
}
