import type { Pool } from 'pg';

export interface WaitEventShare {
  /** `wait_event_type:wait_event`, or `CPU` for a backend that runs without waiting. */
  event: string;
  samples: number;
  share: number;
}

const SAMPLE_INTERVAL_MS = 20;

/**
 * Samples pg_stat_activity for the busy backends of `database` every 20 ms until `until`
 * settles, and returns how often each wait event was seen. A backend "idle in transaction"
 * waits for its client, for example during the gateway call.
 */
export async function sampleWaitEvents(admin: Pool, database: string, until: Promise<unknown>): Promise<WaitEventShare[]> {
  let done = false;
  void until.finally(() => {
    done = true;
  });
  const counts = new Map<string, number>();
  let total = 0;
  while (!done) {
    const { rows } = await admin.query<{ event: string }>(
      `SELECT CASE WHEN wait_event IS NULL THEN 'CPU' ELSE wait_event_type || ':' || wait_event END
              || CASE WHEN state = 'idle in transaction' THEN ' (idle in transaction)' ELSE '' END AS event
       FROM pg_stat_activity
       WHERE datname = $1 AND state IN ('active', 'idle in transaction') AND pid <> pg_backend_pid()`,
      [database],
    );
    for (const { event } of rows) {
      counts.set(event, (counts.get(event) ?? 0) + 1);
      total += 1;
    }
    await new Promise((wake) => setTimeout(wake, SAMPLE_INTERVAL_MS));
  }
  return [...counts]
    .map(([event, samples]) => ({ event, samples, share: total > 0 ? samples / total : 0 }))
    .sort((a, b) => b.samples - a.samples);
}
