import { RedisStorageAdapter } from '@node-idempotency/storage-adapter-redis';
import { connect } from 'node:net';

export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Sends PING to REDIS_URL and returns undefined on +PONG, otherwise the reason that Redis is unusable. */
export function checkRedis(timeoutMs = 2000): Promise<string | undefined> {
  const { hostname, port } = new URL(REDIS_URL);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 6379) });
    const finish = (reason: string | undefined) => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(timeoutMs, () => finish(`no answer from ${REDIS_URL} within ${timeoutMs} ms`));
    socket.once('error', (error) => finish(`${REDIS_URL} is not reachable: ${error.message}`));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => finish(data.toString().startsWith('+PONG') ? undefined : `unexpected reply to PING: ${data.toString().trim()}`));
  });
}

interface ScanningClient {
  scanIterator(options: { MATCH: string; COUNT: number }): AsyncIterable<string>;
  unlink(keys: string[]): Promise<number>;
}

/** Deletes the keys the Redis variant wrote under `prefix`, so a run leaves the shared Redis as it found it. */
export async function deleteRedisKeys(prefix: string): Promise<number> {
  const adapter = new RedisStorageAdapter({ url: REDIS_URL });
  await adapter.connect();
  // The adapter keeps its node-redis client private; it is the one client this package depends on.
  const client = (adapter as unknown as { client: ScanningClient }).client;
  let deleted = 0;
  try {
    let batch: string[] = [];
    for await (const key of client.scanIterator({ MATCH: `${prefix}:*`, COUNT: 1000 })) {
      batch.push(key);
      if (batch.length === 1000) {
        deleted += await client.unlink(batch);
        batch = [];
      }
    }
    if (batch.length > 0) {
      deleted += await client.unlink(batch);
    }
  } finally {
    await adapter.disconnect();
  }
  return deleted;
}
