/** Stable values of `error.code` in gateway error bodies. Clients may branch on them. */
export type GatewayErrorCode =
  | 'missing_idempotency_key'
  | 'invalid_idempotency_key'
  | 'invalid_json'
  | 'invalid_body'
  | 'invalid_amount'
  | 'invalid_currency'
  | 'invalid_source'
  | 'invalid_description'
  | 'idempotency_key_reused'
  | 'body_too_large'
  | 'not_found'
  | 'method_not_allowed'
  | 'internal_error';

/** Error object sent as `{"error": ...}`, shaped like Stripe's. */
export interface GatewayError {
  type: 'invalid_request_error' | 'api_error';
  code: GatewayErrorCode;
  message: string;
}

/** HTTP status code together with the error to send. */
export interface ErrorReply {
  statusCode: number;
  error: GatewayError;
}

/** Builds a client error (4xx) reply. */
export function invalidRequest(statusCode: number, code: GatewayErrorCode, message: string): ErrorReply {
  return { statusCode, error: { type: 'invalid_request_error', code, message } };
}

/** Builds a server error (500) reply. */
export function apiError(message: string): ErrorReply {
  return { statusCode: 500, error: { type: 'api_error', code: 'internal_error', message } };
}
