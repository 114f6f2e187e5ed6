import { randomUUID } from 'node:crypto';
import { DEMO_API_KEY } from '../src/merchants/demo-merchant';

/*
 * `npm run demo`: shows against a running cluster (`npm run cluster`) that a double-click and a
 * client timeout followed by a retry each charge the card once.
 *
 *   DEMO_URL           load balancer, default http://127.0.0.1:8080
 *   DEMO_API_KEY       merchant API key, default the seeded demo key
 *   DEMO_GATEWAY_URL   mock gateway, default http://127.0.0.1:4010
 */

const baseUrl = process.env.DEMO_URL || 'http://127.0.0.1:8080';
const apiKey = process.env.DEMO_API_KEY || DEMO_API_KEY;
const gatewayUrl = process.env.DEMO_GATEWAY_URL || 'http://127.0.0.1:4010';

// Below the cluster's default tok_slow delay (GATEWAY_SLOW_MS, 3000 ms), so the client gives up first.
const CLIENT_TIMEOUT_MS = 1000;
// Bounds every other request. At its default settings the API responds within about 16 s.
const REQUEST_TIMEOUT_MS = 30_000;

interface Row {
  request: string;
  replica: string;
  status: string;
  replayed: string;
  paymentId: string;
}

interface PaymentBody {
  id?: string;
  paymentId?: string;
  code?: string;
}

async function pay(label: string, key: string, source: string, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Row> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(`${baseUrl}/payments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'idempotency-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 2500, currency: 'USD', source, description: `demo ${key}` }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    if (error instanceof DOMException && error.name === 'TimeoutError') {
      return { request: label, replica: '-', status: `client gave up after ${timeoutMs} ms`, replayed: '-', paymentId: '-' };
    }
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new Error(`POST ${baseUrl}/payments failed (${cause}). Is the cluster running? Start it with: npm run cluster`);
  }

  // HAProxy's own error pages are HTML, so the body may not be JSON.
  let body: PaymentBody = {};
  try {
    body = JSON.parse(text) as PaymentBody;
  } catch {
    body = {};
  }
  return {
    request: label,
    replica: response.headers.get('x-replica-id') ?? '-',
    status: body.code ? `${response.status} ${body.code}` : String(response.status),
    replayed: response.headers.get('idempotent-replayed') === 'true' ? 'yes' : 'no',
    paymentId: body.id ?? body.paymentId ?? '-',
  };
}

async function countCharges(paymentId: string): Promise<number> {
  const url = `${gatewayUrl}/v1/charges?idempotencyKey=${encodeURIComponent(paymentId)}`;
  const response = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  if (!response.ok) {
    throw new Error(`GET ${url} returned ${response.status}`);
  }
  return ((await response.json()) as { data: unknown[] }).data.length;
}

function printTable(rows: Row[]): void {
  const columns: { title: string; field: keyof Row }[] = [
    { title: 'request', field: 'request' },
    { title: 'replica', field: 'replica' },
    { title: 'status', field: 'status' },
    { title: 'replayed', field: 'replayed' },
    { title: 'payment id', field: 'paymentId' },
  ];
  const widths = columns.map(({ title, field }) => Math.max(title.length, ...rows.map((row) => row[field].length)));
  const line = (cells: string[]) => cells.map((cell, index) => cell.padEnd(widths[index])).join('  ');

  console.log(line(columns.map(({ title }) => title)));
  console.log(line(widths.map((width) => '-'.repeat(width))));
  for (const row of rows) {
    console.log(line(columns.map(({ field }) => row[field])));
  }
}

async function main(): Promise<void> {
  console.log(`Payments demo against ${baseUrl}\n`);

  // Two identical requests at once: one charges, the other waits for it and replays its response.
  const doubleClickKey = `demo-double-click-${randomUUID()}`;
  const doubleClick = await Promise.all([
    pay('double-click A', doubleClickKey, 'tok_visa'),
    pay('double-click B', doubleClickKey, 'tok_visa'),
  ]);

  // The gateway replies to tok_slow after its delay. The client gives up, then retries with the
  // same key, and the retry waits for the original request and replays its result.
  const slowKey = `demo-timeout-${randomUUID()}`;
  const timedOut = await pay('slow, client timeout', slowKey, 'tok_slow', CLIENT_TIMEOUT_MS);
  const retry = await pay('slow, retry', slowKey, 'tok_slow');

  printTable([...doubleClick, timedOut, retry]);

  const paymentIds = [...new Set([...doubleClick, retry].map((row) => row.paymentId).filter((id) => id !== '-'))];
  console.log(`\nGateway ledger (${gatewayUrl}): charges per payment`);
  let failed = false;
  for (const paymentId of paymentIds) {
    const charges = await countCharges(paymentId);
    console.log(`  ${paymentId}  ${charges} charge${charges === 1 ? '' : 's'}`);
    failed ||= charges !== 1;
  }
  const expectedPayments = 2;
  if (paymentIds.length !== expectedPayments) {
    console.log(`\nExpected ${expectedPayments} payments, one per idempotency key, but got ${paymentIds.length}.`);
    failed = true;
  }
  if (failed) {
    process.exitCode = 1;
    return;
  }
  console.log(`\n${expectedPayments} keys, ${expectedPayments} payments, ${expectedPayments} charges: no request was charged twice.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
