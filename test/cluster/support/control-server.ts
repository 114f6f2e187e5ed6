import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReplicaPool } from './replica-pool';

/*
 * HTTP endpoints on 127.0.0.1 through which the tests stop and start the replicas that the
 * global setup owns, so that every process of the suite has one owner that stops it.
 *
 *   GET  /replicas                          -> ReplicaInfo[]
 *   POST /replicas/<id>/stop?signal=SIGKILL -> ExitStatus, once the replica has exited
 *   POST /replicas/<id>/start               -> ReplicaInfo, once the replica is ready
 */

const SIGNALS = new Set<NodeJS.Signals>(['SIGTERM', 'SIGKILL', 'SIGINT']);
const REPLICA_ROUTE = /^\/replicas\/([A-Za-z0-9_.-]+)\/(stop|start)$/;

export interface ControlServer {
  url: string;
  close(): Promise<void>;
}

export async function startControlServer(pool: ReplicaPool): Promise<ControlServer> {
  const server = createServer((request, response) => {
    route(pool, request).then(
      (body) => send(response, 200, body),
      (error: unknown) => send(response, 500, { error: error instanceof Error ? error.message : String(error) }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function route(pool: ReplicaPool, request: IncomingMessage): Promise<unknown> {
  const url = new URL(request.url ?? '/', 'http://control');
  if (request.method === 'GET' && url.pathname === '/replicas') {
    return pool.list();
  }

  const match = REPLICA_ROUTE.exec(url.pathname);
  if (request.method !== 'POST' || !match) {
    throw new Error(`No route for ${request.method} ${url.pathname}`);
  }
  const [, id, action] = match;
  if (action === 'start') {
    return pool.start(id);
  }
  const signal = (url.searchParams.get('signal') ?? 'SIGTERM') as NodeJS.Signals;
  if (!SIGNALS.has(signal)) {
    throw new Error(`Invalid signal ${signal}: use one of ${[...SIGNALS].join(', ')}`);
  }
  return pool.stop(id, signal);
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
