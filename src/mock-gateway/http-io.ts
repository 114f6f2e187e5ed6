import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

import type { ErrorReply } from './gateway-error';

/** 100 KiB, the default limit of body-parser, which Express uses for JSON bodies. */
export const MAX_BODY_BYTES = 100 * 1024;

export class BodyTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`The request body is larger than ${maxBytes} bytes.`);
    this.name = 'BodyTooLargeError';
  }
}

/**
 * Reads the whole request body. Rejects with BodyTooLargeError as soon as the declared or
 * received size passes `maxBytes`, and with the stream error when the client aborts.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declaredLength = Number(req.headers['content-length']);
    if (declaredLength > maxBytes) {
      reject(new BodyTooLargeError(maxBytes));
      return;
    }

    const chunks: Buffer[] = [];
    let receivedBytes = 0;
    const onData = (chunk: Buffer): void => {
      receivedBytes += chunk.length;
      if (receivedBytes > maxBytes) {
        // Stop buffering. Later chunks are dropped until the 413 reply closes the connection.
        req.off('data', onData);
        reject(new BodyTooLargeError(maxBytes));
        return;
      }
      chunks.push(chunk);
    };

    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Sends `body` as JSON unless the client has gone or a reply was already sent. */
export function sendJson(
  res: ServerResponse,
  statusCode: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  if (res.headersSent || res.destroyed) {
    return;
  }
  const payload = JSON.stringify(body);
  res.writeHead(statusCode, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

export function sendError(res: ServerResponse, reply: ErrorReply, headers: OutgoingHttpHeaders = {}): void {
  sendJson(res, reply.statusCode, { error: reply.error }, headers);
}
