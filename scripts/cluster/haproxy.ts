import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { renderHaproxyConfig, type HaproxyBackend, type HaproxyMode } from './haproxy-config';
import { delay, startChild, type ChildOutput, type ManagedChild } from './child-process';

export const HAPROXY_INSTALL_HINT = 'install it with `apt-get install -y haproxy` (Debian package haproxy, version 2.6)';

// Debian installs haproxy in /usr/sbin, which is not on every user's PATH.
const EXTRA_SEARCH_DIRECTORIES = ['/usr/sbin', '/usr/local/sbin'];

/** Returns the haproxy executable: HAPROXY_BIN when set, else the first one on PATH or in sbin. */
export function findHaproxy(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.HAPROXY_BIN) {
    return isExecutable(env.HAPROXY_BIN) ? env.HAPROXY_BIN : undefined;
  }
  const directories = [...(env.PATH ?? '').split(delimiter), ...EXTRA_SEARCH_DIRECTORIES].filter(Boolean);
  return directories.map((directory) => join(directory, 'haproxy')).find(isExecutable);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface HaproxyOptions {
  /** Label for logs, such as "haproxy" or "haproxy-replay". */
  name: string;
  listenPort: number;
  backends: readonly HaproxyBackend[];
  mode: HaproxyMode;
  output: ChildOutput;
  detached?: boolean;
}

export interface Haproxy {
  url: string;
  configPath: string;
  child: ManagedChild;
}

/**
 * Writes the configuration to a temporary file and runs `haproxy -db -f FILE` in the foreground,
 * so the caller owns the process. Resolves once the listener accepts connections; the backends
 * may still be marked down then (see waitUntilRouted). The file is deleted when HAProxy exits.
 */
export async function startHaproxy(options: HaproxyOptions): Promise<Haproxy> {
  const binary = findHaproxy();
  if (!binary) {
    throw new Error(`haproxy was not found on PATH or in ${EXTRA_SEARCH_DIRECTORIES.join(', ')}: ${HAPROXY_INSTALL_HINT}`);
  }

  const directory = mkdtempSync(join(tmpdir(), `${options.name}-`));
  const configPath = join(directory, 'haproxy.cfg');
  writeFileSync(configPath, renderHaproxyConfig({ listenPort: options.listenPort, backends: options.backends, mode: options.mode }));

  const child = startChild({
    name: options.name,
    command: binary,
    args: ['-db', '-f', configPath],
    env: { PATH: process.env.PATH },
    output: options.output,
    detached: options.detached,
  });
  void child.exited.then(() => rmSync(directory, { recursive: true, force: true }));

  try {
    await waitForListener(options.listenPort, child, 10_000);
  } catch (error) {
    await child.stop('SIGKILL');
    throw error;
  }
  return { url: `http://127.0.0.1:${options.listenPort}`, configPath, child };
}

async function waitForListener(port: number, child: ManagedChild, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!child.running) {
      const status = await child.exited;
      throw new Error(`${child.name} exited with code ${status.code} before listening on port ${port}; see its log`);
    }
    if (await canConnect(port)) {
      return;
    }
    await delay(100);
  }
  throw new Error(`${child.name} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Polls GET /health/ready through the load balancer until responses with status 200 came from
 * every replica in `replicaIds` (X-Replica-Id header), which means HAProxy marks them all up.
 */
export async function waitUntilRouted(loadBalancerUrl: string, replicaIds: readonly string[], timeoutMs = 30_000): Promise<void> {
  const missing = new Set(replicaIds);
  const deadline = Date.now() + timeoutMs;

  while (missing.size > 0 && Date.now() < deadline) {
    try {
      const response = await fetch(`${loadBalancerUrl}/health/ready`, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      const replicaId = response.headers.get('x-replica-id');
      if (response.status === 200 && replicaId) {
        missing.delete(replicaId);
      }
    } catch {
      // HAProxy is starting, or no backend is up yet.
    }
    if (missing.size > 0) {
      await delay(100);
    }
  }
  if (missing.size > 0) {
    throw new Error(`${loadBalancerUrl} did not route to ${[...missing].join(', ')} within ${timeoutMs} ms`);
  }
}
