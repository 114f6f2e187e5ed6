import { startChild, waitForHttp, type ChildOutput, type ManagedChild } from './child-process';
import { API_ENTRY, requireBuilt } from './paths';

export interface ReplicaOptions {
  /** REPLICA_ID, echoed in the X-Replica-Id response header. */
  id: string;
  port: number;
  databaseUrl: string;
  gatewayUrl: string;
  /** Base environment, such as process.env, or only PATH plus the API settings a test wants. */
  env: NodeJS.ProcessEnv;
  output: ChildOutput;
  detached?: boolean;
  /** Limit in milliseconds for /health/ready to return 200. */
  readyTimeoutMs?: number;
}

export interface Replica {
  id: string;
  port: number;
  url: string;
  child: ManagedChild;
}

/**
 * Starts one API replica (`node dist/src/main.js`) on 127.0.0.1 against an existing database,
 * whose migrations must already be applied, and resolves once /health/ready returns 200.
 * The replica is stopped again when it does not get ready.
 */
export async function startReplica(options: ReplicaOptions): Promise<Replica> {
  requireBuilt(API_ENTRY);
  const child = startChild({
    name: options.id,
    command: process.execPath,
    args: [API_ENTRY],
    env: {
      ...options.env,
      HOST: '127.0.0.1',
      PORT: String(options.port),
      REPLICA_ID: options.id,
      DATABASE_URL: options.databaseUrl,
      GATEWAY_URL: options.gatewayUrl,
    },
    output: options.output,
    detached: options.detached,
  });

  const url = `http://127.0.0.1:${options.port}`;
  try {
    await waitForHttp(`${url}/health/ready`, { child, timeoutMs: options.readyTimeoutMs ?? 60_000 });
  } catch (error) {
    await child.stop('SIGKILL');
    throw error;
  }
  return { id: options.id, port: options.port, url, child };
}
