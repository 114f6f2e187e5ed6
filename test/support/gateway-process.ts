import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { freePort } from './free-port';
import { waitUntilHealthy } from './wait-until-healthy';

export interface GatewayProcess {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

const ENTRY = resolve(__dirname, '../../dist/src/mock-gateway/main.js');

/** Runs the mock gateway as its own process, from the build that `npm test` makes first. */
export async function startGatewayProcess(slowMs: number): Promise<GatewayProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [ENTRY], {
    env: { ...process.env, GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: String(port), GATEWAY_SLOW_MS: String(slowMs) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilHealthy(`${url}/health`, child, 'the mock gateway');
  return {
    url,
    process: child,
    stop: () =>
      new Promise((done) => {
        if (child.exitCode !== null) {
          return done();
        }
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}
