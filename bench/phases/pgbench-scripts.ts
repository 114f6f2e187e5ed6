/*
 * pgbench scripts made of the statements that one POST /payments sends, taken from the
 * service's own modules: the merchant lookup, the claim, START TRANSACTION, the payment,
 * the completion and COMMIT. pgbench expressions take the place of the parameters. The
 * scripts make no gateway call after START TRANSACTION, so they measure the database alone.
 */
import type { PreparedStatement } from '../../src/database/prepared-statements';
import { CLAIM, COMPLETE } from '../../src/idempotency/idempotency-key.repository';
import { FIND_BY_API_KEY } from '../../src/merchants/merchants.service';
import { RECORD_PAYMENT } from '../../src/payments/payment-statements';

export interface PgbenchScript {
  name: string;
  description: string;
  text: string;
  /** pgbench -M: prepared runs named statements, as the service does; extended sends them unnamed. */
  protocol: 'extended' | 'prepared';
  /** Session settings for every client, as PGOPTIONS. */
  options?: string;
}

/**
 * Substitutes pgbench expressions for $1, $2, ... in a service statement. A trailing
 * `\gset` stores the returned columns in variables of the same names.
 */
function bind(statement: PreparedStatement, values: string[], gset = false): string {
  const text = statement.text.trim().replace(/\$(\d+)/g, (_, position: string) => {
    const value = values[Number(position) - 1];
    if (value === undefined) {
      throw new Error(`No pgbench value for $${position} of statement ${statement.name}`);
    }
    return value;
  });
  return gset ? `${text}\n\\gset` : `${text};`;
}

const NEW_KEY_NUMBER = '\\set n random(1, 1000000000000000)';
/** Key of a new request, unique per client and transaction like the UUID a client sends. */
const NEW_KEY = `(:client_id::text || '-' || :n::text)`;
/** Key of a completed request that the replay scripts repeat; see seedReplayKeys. */
const REPLAY_KEY = `('replay-' || :r::text)`;
/** Payment id without a claim, new for every transaction. */
const NEW_PAYMENT_ID = 'gen_random_uuid()';

const LEASE_MS = '30000';
const TTL_SECONDS = '86400';

const lookUpMerchant = () => bind(FIND_BY_API_KEY, [':api_key_hash']);

const claim = (key: string) =>
  bind(CLAIM, [':merchant', key, "'POST'", "'/payments'", ':fingerprint', ':request_json', ':n::text', LEASE_MS, TTL_SECONDS], true);

const recordPayment = (id: string) =>
  bind(RECORD_PAYMENT, [id, ':merchant', '2500', "'USD'", "'succeeded'", 'NULL', `'{}'`, ':charge_id', 'NULL']);

// :id and :fencing_token come from the claim's \gset; the stored response has other names so that \gset cannot overwrite it.
const complete = () => bind(COMPLETE, [':id', ':fencing_token', '201', ':stored_headers', ':stored_body', TTL_SECONDS]);

const lines = (...statements: string[]) => `${statements.join('\n')}\n`;

const SERVICE_CREATE = lines(
  NEW_KEY_NUMBER,
  lookUpMerchant(),
  claim(NEW_KEY),
  'START TRANSACTION;',
  recordPayment(':resource_id'),
  complete(),
  'COMMIT;',
);

export const PGBENCH_SCRIPTS: PgbenchScript[] = [
  {
    name: 'payment',
    description: 'payment transaction without a claim (what IDEMPOTENCY_ENABLED=false sends)',
    protocol: 'prepared',
    text: lines(lookUpMerchant(), 'START TRANSACTION;', recordPayment(NEW_PAYMENT_ID), 'COMMIT;'),
  },
  {
    name: 'claim+payment',
    description: 'claim, then the payment transaction with the completion (the service)',
    protocol: 'prepared',
    text: SERVICE_CREATE,
  },
  {
    name: 'claim+payment, unnamed',
    description: 'the same statements unnamed, parsed and planned on every call, as TypeORM sends them',
    protocol: 'extended',
    text: SERVICE_CREATE,
  },
  {
    name: 'claim+payment, async claim commit',
    description: 'synchronous_commit=off for the claim only; NOT safe, see BENCHMARKS.md',
    protocol: 'prepared',
    options: '-c synchronous_commit=off',
    text: lines(
      NEW_KEY_NUMBER,
      lookUpMerchant(),
      claim(NEW_KEY),
      'START TRANSACTION;',
      'SET LOCAL synchronous_commit = on;',
      recordPayment(':resource_id'),
      complete(),
      'COMMIT;',
    ),
  },
  {
    name: 'replay',
    description: 'a repeat of a completed key: merchant lookup and claim (the service)',
    protocol: 'prepared',
    text: lines(NEW_KEY_NUMBER, '\\set r random(1, :replay_keys)', lookUpMerchant(), claim(REPLAY_KEY)),
  },
];
