import type { OnApplicationShutdown } from '@nestjs/common';
import { Agent, request } from 'undici';
import { CardGateway, type ChargeRequest, type ChargeResult } from './card-gateway';
import {
  GatewayFailureError,
  GatewayRejectedError,
  GatewayTimeoutError,
  GatewayUnavailableError,
} from './gateway.errors';

export interface HttpCardGatewayOptions {
  baseUrl: string;
  connectTimeoutMs: number;
  /** Limit on the wait for the response headers and between body chunks. */
  responseTimeoutMs: number;
}

interface GatewayCharge {
  id: string;
  status: 'succeeded' | 'declined';
  declineCode: string | null;
}

// Errors raised before a single byte of the request could have been sent.
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** CardGateway over HTTP, with keep-alive connections and separate connect and response timeouts. */
export class HttpCardGateway extends CardGateway implements OnApplicationShutdown {
  private readonly agent: Agent;
  private readonly chargesUrl: string;

  constructor(private readonly options: HttpCardGatewayOptions) {
    super();
    this.chargesUrl = new URL('/v1/charges', options.baseUrl).toString();
    this.agent = new Agent({
      connect: { timeout: options.connectTimeoutMs },
      headersTimeout: options.responseTimeoutMs,
      bodyTimeout: options.responseTimeoutMs,
    });
  }

  async charge(charge: ChargeRequest, idempotencyKey: string): Promise<ChargeResult> {
    const response = await this.send(charge, idempotencyKey);
    const body = await this.readJson(response.body);

    if (response.statusCode === 201 || response.statusCode === 402) {
      const result = body as GatewayCharge;
      return { chargeId: result.id, status: result.status, declineCode: result.declineCode ?? null };
    }
    if (response.statusCode >= 400 && response.statusCode < 500) {
      const error = (body as { error?: { code?: string; message?: string } }).error ?? {};
      if (error.code === 'invalid_source') {
        throw new GatewayRejectedError(error.code, error.message ?? 'invalid card source');
      }
    }
    throw new GatewayFailureError(`HTTP ${response.statusCode}`);
  }

  /** Runs after the HTTP server has closed, so requests accepted during the drain can still charge. */
  async onApplicationShutdown(): Promise<void> {
    await this.agent.close();
  }

  private async send(charge: ChargeRequest, idempotencyKey: string) {
    try {
      return await request(this.chargesUrl, {
        method: 'POST',
        dispatcher: this.agent,
        headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
        body: JSON.stringify(charge),
      });
    } catch (error) {
      throw this.translate(error);
    }
  }

  private async readJson(body: { json(): Promise<unknown> }): Promise<unknown> {
    try {
      return await body.json();
    } catch (error) {
      throw this.translate(error);
    }
  }

  private translate(error: unknown): Error {
    const code = errorCode(error);
    if (NOT_SENT_CODES.has(code)) {
      return new GatewayUnavailableError(code);
    }
    if (TIMEOUT_CODES.has(code)) {
      return new GatewayTimeoutError(this.options.responseTimeoutMs);
    }
    return new GatewayFailureError(code || 'unreadable response');
  }
}

function errorCode(error: unknown): string {
  const withCode = error as { code?: unknown; cause?: { code?: unknown } };
  const code = withCode?.code ?? withCode?.cause?.code;
  return typeof code === 'string' ? code : '';
}
