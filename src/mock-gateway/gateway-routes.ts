import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';

import { type ChargeLedger, LedgerClosedError } from './charge-ledger';
import { parseChargeParams, parseIdempotencyKey } from './charge-request';
import { type ErrorReply, apiError, invalidRequest } from './gateway-error';
import { BodyTooLargeError, MAX_BODY_BYTES, readBody, sendError, sendJson } from './http-io';

type RouteHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
) => Promise<void> | void;

/** Creates the request listener for the mock gateway's HTTP server. */
export function createRequestListener(
  ledger: ChargeLedger,
  logger: Logger,
): (req: IncomingMessage, res: ServerResponse) => void {
  const routes: Record<string, Record<string, RouteHandler>> = {
    '/health': {
      GET: (_req, res) => sendJson(res, 200, { status: 'ok' }),
    },
    '/v1/charges': {
      GET: (_req, res, query) => listCharges(ledger, res, query),
      POST: (req, res) => createCharge(ledger, logger, req, res),
    },
  };

  return (req, res) => {
    // Parse the path by hand because `new URL` reads "//host/path" as a host name.
    const target = req.url ?? '/';
    const queryStart = target.indexOf('?');
    const path = queryStart === -1 ? target : target.slice(0, queryStart);
    const query = new URLSearchParams(queryStart === -1 ? '' : target.slice(queryStart + 1));
    const method = req.method ?? 'GET';

    res.on('finish', () => logger.debug({ method, path, statusCode: res.statusCode }, 'request finished'));

    const methods = routes[path];
    if (!Object.hasOwn(routes, path) || !methods) {
      rejectRequest(logger, res, invalidRequest(404, 'not_found', `No route for ${method} ${path}.`));
      return;
    }
    const handler = Object.hasOwn(methods, method) ? methods[method] : undefined;
    if (!handler) {
      const allowed = Object.keys(methods).join(', ');
      const message = `${method} is not allowed on ${path}. Use ${allowed}.`;
      const reply = invalidRequest(405, 'method_not_allowed', message);
      rejectRequest(logger, res, reply, { allow: allowed });
      return;
    }

    Promise.resolve()
      .then(() => handler(req, res, query))
      .catch((error: unknown) => {
        if (error instanceof LedgerClosedError) {
          res.destroy();
          return;
        }
        logger.error({ err: error, method, path }, 'request handler failed');
        sendError(res, apiError('The mock gateway failed unexpectedly.'));
      });
  };
}

function listCharges(ledger: ChargeLedger, res: ServerResponse, query: URLSearchParams): void {
  const idempotencyKey = query.get('idempotencyKey') ?? undefined;
  sendJson(res, 200, { data: ledger.list({ idempotencyKey }) });
}

async function createCharge(
  ledger: ChargeLedger,
  logger: Logger,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const key = parseIdempotencyKey(req.headers['idempotency-key']);
  if (!key.ok) {
    rejectRequest(logger, res, key.reply);
    return;
  }

  let body: Buffer;
  try {
    body = await readBody(req, MAX_BODY_BYTES);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      // Close the connection so the server does not read the rest of a large body.
      const reply = invalidRequest(413, 'body_too_large', error.message);
      rejectRequest(logger, res, reply, { connection: 'close' });
      return;
    }
    logger.info({ err: error, idempotencyKey: key.value }, 'client aborted the charge request');
    return;
  }

  const params = parseChargeParams(body);
  if (!params.ok) {
    rejectRequest(logger, res, params.reply);
    return;
  }

  const result = await ledger.submit(key.value, params.value);
  switch (result.kind) {
    case 'error':
      rejectRequest(logger, res, result.reply);
      return;
    case 'no_reply':
      // Leave the socket open until the client gives up or the server closes.
      return;
    case 'charge': {
      const { statusCode, charge } = result.reply;
      if (result.replayed) {
        const fields = { chargeId: charge.id, idempotencyKey: key.value, statusCode };
        logger.info(fields, 'replaying idempotent result');
      }
      const headers = result.replayed ? { 'idempotent-replayed': 'true' } : {};
      sendJson(res, statusCode, charge, headers);
      return;
    }
  }
}

function rejectRequest(
  logger: Logger,
  res: ServerResponse,
  reply: ErrorReply,
  headers: Record<string, string> = {},
): void {
  if (reply.statusCode < 500) {
    logger.info({ statusCode: reply.statusCode, code: reply.error.code }, 'request rejected');
  }
  sendError(res, reply, headers);
}
