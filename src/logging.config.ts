import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import { stdSerializers } from 'pino';

const REQUEST_ID = /^[\x21-\x7e]{1,200}$/;

/** Takes the request id from X-Request-Id when it is sane, or makes one, and echoes it. */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

// Fields of a failed TypeORM query that can hold row values, such as a stored request body with a card token.
const ROW_VALUE_FIELDS = ['parameters', 'driverError', 'detail'];

/** Serialises an error without the SQL parameters and row values that a failed query carries. */
export function serializeError(error: Error): Record<string, unknown> {
  const serialized = stdSerializers.err(error) as unknown as Record<string, unknown>;
  for (const field of ROW_VALUE_FIELDS) {
    delete serialized[field];
  }
  return serialized;
}

/** JSON logs with the request id on every line; card data, API keys and auth headers never reach them. */
export function loggingParams(level: string, replicaId: string): Params {
  return {
    pinoHttp: {
      level,
      genReqId: (req, res) => req.id ?? assignRequestId(req, res),
      customProps: () => (replicaId ? { replicaId } : {}),
      autoLogging: { ignore: (req) => req.url?.startsWith('/health') ?? false },
      // Only these request fields are logged: never the body, the query or any header.
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url.split('?')[0],
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        err: serializeError,
      },
      redact: { paths: ['*.authorization', '*.source', '*.apiKey', 'req.headers', 'req.body'], censor: '[redacted]' },
      customSuccessMessage: (req, res) => `${req.method} ${res.statusCode}`,
      customErrorMessage: (req, res) => `${req.method} ${res.statusCode}`,
    },
  };
}
