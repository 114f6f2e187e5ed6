import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { freePort } from './free-port';
import { waitUntilHealthy } from './wait-until-healthy';

const ENTRY = resolve(__dirname, '../../dist/src/main.js');
const LOG_DIR = resolve(__dirname, '../../.data/test-logs');

/** Settings for e2e replicas: a gateway timeout below the gateway's tok_slow delay, background jobs off. */
export const E2E_ENV: Record<string, string> = {
  LOG_LEVEL: 'info',
  GATEWAY_TIMEOUT_MS: '1000',
  GATEWAY_CONNECT_TIMEOUT_MS: '500',
  IDEMPOTENCY_LEASE_MS: '3000',
  IDEMPOTENCY_WAIT_MS: '5000',
  IDEMPOTENCY_POLL_MS: '200',
  IDEMPOTENCY_RECOVERY_INTERVAL_MS: '0',
  IDEMPOTENCY_CLEANUP_INTERVAL_MS: '0',
  SHUTDOWN_DRAIN_MS: '0',
};

export interface AppProcess {
  url: string;
  process: ChildProcess;
  /** Sends `signal` and resolves once the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Runs the real service (`node dist/src/main.js`) as its own process against the e2e
 * database and mock gateway. Its JSON logs go to .data/test-logs/<name>.log.
 */
export async function startApp(name: string, env: Record<string, string> = {}): Promise<AppProcess> {
  const port = await freePort();
  mkdirSync(LOG_DIR, { recursive: true });
  const log = createWriteStream(resolve(LOG_DIR, `${name}.log`), { flags: 'a' });
  const child = spawn(process.execPath, [ENTRY], {
    env: {
      PATH: process.env.PATH,
      ...E2E_ENV,
      DATABASE_URL: required('E2E_DATABASE_URL'),
      GATEWAY_URL: required('E2E_GATEWAY_URL'),
      HOST: '127.0.0.1',
      PORT: String(port),
      REPLICA_ID: name,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);

  const url = `http://127.0.0.1:${port}`;
  await waitUntilHealthy(`${url}/health/ready`, child, 'the payments API');
  return {
    url,
    process: child,
    stop: (signal = 'SIGTERM') =>
      new Promise((done) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          return done();
        }
        child.once('exit', () => done());
        child.kill(signal);
      }),
  };
}

export function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the e2e tests through jest, whose global setup starts the database`);
  }
  return value;
}
