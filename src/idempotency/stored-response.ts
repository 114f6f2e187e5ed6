import type { Response as ExpressResponse } from 'express';
import { PROBLEM_CONTENT_TYPE, renderProblem } from '../common/problem/problem-details';
import type { StoredResponse } from './idempotency-key.record';

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Builds the stored form of a handler's JSON result. */
export function storeJsonResult(status: number, result: unknown, location?: string): StoredResponse {
  const headers: Record<string, string> = { 'content-type': JSON_CONTENT_TYPE };
  if (location) {
    headers.location = location;
  }
  return { status, headers, body: Buffer.from(JSON.stringify(result) ?? 'null', 'utf8') };
}

/** Builds the stored form of an error that is the request's final outcome, such as a decline. */
export function storeProblem(error: unknown, requestId: string | null): StoredResponse {
  const { body } = renderProblem(error, requestId ?? undefined);
  return {
    status: body.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE },
    body: Buffer.from(JSON.stringify(body), 'utf8'),
  };
}

/** Builds a web Response with the stored status, headers and exact body bytes, which Nest sends as it is. */
export function toWebResponse(stored: StoredResponse, replayed: boolean): Response {
  const headers = new Headers(stored.headers);
  headers.set('content-length', String(stored.body.length));
  if (replayed) {
    headers.set('idempotent-replayed', 'true');
  }
  return new Response(new Uint8Array(stored.body), { status: stored.status, headers });
}

/**
 * Prepares a stored response for Nest to send. When its status is the one Nest has already
 * set for the route, the exact body goes out through Express as a string, which costs less
 * than streaming a web Response. Any other status, such as a stored 402, needs the web
 * Response, whose status Nest keeps.
 */
export function prepareStoredResponse(stored: StoredResponse, replayed: boolean, res: ExpressResponse): string | Response {
  if (stored.status !== res.statusCode) {
    return toWebResponse(stored, replayed);
  }
  res.set(stored.headers);
  if (replayed) {
    res.set('Idempotent-Replayed', 'true');
  }
  return stored.body.toString('utf8');
}
