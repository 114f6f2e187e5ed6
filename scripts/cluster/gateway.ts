import { startChild, waitForHttp, type ChildOutput, type ManagedChild } from './child-process';
import { GATEWAY_ENTRY, requireBuilt } from './paths';

export interface GatewayOptions {
  port: number;
  /** GATEWAY_SLOW_MS: delay of the reply to a tok_slow charge. */
  slowMs: number;
  env: NodeJS.ProcessEnv;
  output: ChildOutput;
  detached?: boolean;
}

export interface Gateway {
  url: string;
  child: ManagedChild;
}

/** Starts the mock card gateway on 127.0.0.1 and resolves once GET /health returns 200. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  requireBuilt(GATEWAY_ENTRY);
  const child = startChild({
    name: 'gateway',
    command: process.execPath,
    args: [GATEWAY_ENTRY],
    env: {
      ...options.env,
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_PORT: String(options.port),
      GATEWAY_SLOW_MS: String(options.slowMs),
    },
    output: options.output,
    detached: options.detached,
  });

  const url = `http://127.0.0.1:${options.port}`;
  try {
    await waitForHttp(`${url}/health`, { child, timeoutMs: 30_000 });
  } catch (error) {
    await child.stop('SIGKILL');
    throw error;
  }
  return { url, child };
}
