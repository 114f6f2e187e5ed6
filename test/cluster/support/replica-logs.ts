import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually } from './scenario';

/*
 * Reads the JSON log files that the global setup writes for each replica. The API logs the
 * idempotency key with every decision it takes on it, so a key shows which replica handled it.
 */

async function readLog(logDir: string, replicaId: string): Promise<string> {
  try {
    return await readFile(join(logDir, `${replicaId}.log`), 'utf8');
  } catch {
    return '';
  }
}

function mentionsKey(line: string, key: string): boolean {
  return line.includes(`"key":${JSON.stringify(key)}`);
}

/** Returns the ids of the replicas whose log mentions `key`. */
export async function replicasThatLoggedKey(logDir: string, replicaIds: readonly string[], key: string): Promise<string[]> {
  const found: string[] = [];
  for (const id of replicaIds) {
    const log = await readLog(logDir, id);
    if (log.split('\n').some((line) => mentionsKey(line, key))) {
      found.push(id);
    }
  }
  return found;
}

/** Waits until a replica logs that it claimed `key`, and returns that replica's id. */
export function waitForClaim(logDir: string, replicaIds: readonly string[], key: string, timeoutMs = 10_000): Promise<string> {
  return eventually(
    `a replica to claim key ${key}`,
    async () => {
      for (const id of replicaIds) {
        const log = await readLog(logDir, id);
        const claimed = log
          .split('\n')
          .some((line) => mentionsKey(line, key) && line.includes('"msg":"Idempotency key claimed"'));
        if (claimed) {
          return id;
        }
      }
      return undefined;
    },
    timeoutMs,
    50,
  );
}
