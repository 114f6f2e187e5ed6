/** The request an idempotency key was first used for. */
export interface KeyedRequest {
  merchantId: string;
  key: string;
  method: string;
  /** Route pattern, for example `/payments`. */
  path: string;
  /** SHA-256 of method, route and canonical body. */
  hash: Buffer;
  body: unknown;
  requestId: string | null;
}

/** A response as stored for replay: status, the headers that matter, exact body bytes. */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** An idempotency key that this worker owns until its lease expires or its fencing token is superseded. */
export interface ClaimedKey {
  id: string;
  merchantId: string;
  key: string;
  method: string;
  path: string;
  requestBody: unknown;
  requestId: string | null;
  resourceId: string;
  fencingToken: string;
  attempts: number;
}

/** The key a claim found when another worker owns it or has completed it. */
export interface ExistingKey {
  id: string;
  status: 'processing' | 'completed';
  requestHash: Buffer;
  /** Token of the last claim, for a compare-and-set takeover. */
  fencingToken: string;
  leaseActive: boolean;
  /** True for a completed key past its retention, which a new request may reuse. */
  expired: boolean;
  response: StoredResponse | null;
}

export type ClaimResult = { outcome: 'claimed'; key: ClaimedKey } | { outcome: 'exists'; existing: ExistingKey };
