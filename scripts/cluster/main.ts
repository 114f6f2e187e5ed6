import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { LOCAL_CLUSTER_BACKENDS, LOCAL_CLUSTER_LISTEN_PORT } from './haproxy-config';
import { DEMO_API_KEY } from '../../src/merchants/demo-merchant';
import type { ChildOutput, ManagedChild } from './child-process';
import { startDatabaseProcess, type DatabaseProcess } from './database';
import { startGateway, type Gateway } from './gateway';
import { findHaproxy, HAPROXY_INSTALL_HINT, startHaproxy, waitUntilRouted, type Haproxy } from './haproxy';
import { REPOSITORY_ROOT } from './paths';
import { startReplica, type Replica } from './replica';

/*
 * `npm run cluster`: PostgreSQL, the mock gateway, three API replicas on 127.0.0.1:3001-3003
 * and HAProxy (safe mode) on 127.0.0.1:8080. Child output goes to .data/cluster-logs/<name>.log.
 * Ctrl-C or SIGTERM stops HAProxy and the replicas, then the gateway, then PostgreSQL.
 *
 * NOTE: the children run in process groups of their own so that the shutdown order holds. If
 * this process is killed with SIGKILL, they keep running; stop them by the pids it printed.
 */

const LOG_DIRECTORY = join(REPOSITORY_ROOT, '.data/cluster-logs');
const DEFAULT_GATEWAY_PORT = 4010;
const DEFAULT_GATEWAY_SLOW_MS = 3000;

// SHUTDOWN_DRAIN_MS (5 s by default) plus the longest request (about 16 s), with a margin.
const REPLICA_STOP_GRACE_MS = 40_000;
// A soft-stopped HAProxy exits once its open requests have finished.
const HAPROXY_STOP_GRACE_MS = 30_000;
const GATEWAY_STOP_GRACE_MS = 10_000;
const DATABASE_STOP_GRACE_MS = 30_000;

function log(message: string): void {
  console.log(`[cluster] ${message}`);
}

function logFile(name: string): ChildOutput {
  return { kind: 'file', path: join(LOG_DIRECTORY, `${name}.log`) };
}

function integerSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  if (!/^\d+$/.test(raw)) {
    throw new Error(`Invalid ${name} "${raw}": expected a non-negative integer`);
  }
  return Number(raw);
}

/** Hides the password of a connection string before it is printed. */
function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) {
      parsed.password = '***';
    }
    return parsed.toString();
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}

/** Returns whether nothing listens on 127.0.0.1:`port`, by listening there briefly. */
function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Throws, naming the port and its use, when one of the cluster's fixed ports is taken. */
async function checkPortsFree(ports: { port: number; use: string }[]): Promise<void> {
  for (const { port, use } of ports) {
    if (!(await isPortFree(port))) {
      throw new Error(
        `Port ${port} (${use}) is already in use on 127.0.0.1. Stop the process that listens there ` +
          `(find it with: ss -ltnp 'sport = :${port}'); \`npm start\` uses ports 3000 and 4010.`,
      );
    }
  }
}

class Cluster {
  database?: DatabaseProcess;
  gateway?: Gateway;
  replicas: Replica[] = [];
  haproxy?: Haproxy;
  private stopRequested = false;
  private stopping?: Promise<void>;

  get isStopping(): boolean {
    return this.stopRequested;
  }

  /** Makes start() fail at its next step, and unexpected exits from then on count as expected. */
  requestStop(): void {
    this.stopRequested = true;
  }

  async start(gatewayPort: number, slowMs: number): Promise<void> {
    rmSync(LOG_DIRECTORY, { recursive: true, force: true });
    const detached = true;

    log('Starting PostgreSQL and applying migrations...');
    this.database = await startDatabaseProcess({ env: process.env, output: logFile('database'), detached });
    this.throwIfStopping();

    log(`Starting the mock gateway on port ${gatewayPort}...`);
    this.gateway = await startGateway({ port: gatewayPort, slowMs, env: process.env, output: logFile('gateway'), detached });
    this.throwIfStopping();

    log(`Starting ${LOCAL_CLUSTER_BACKENDS.length} API replicas...`);
    const database = this.database;
    const gateway = this.gateway;
    const started = await Promise.allSettled(
      LOCAL_CLUSTER_BACKENDS.map((backend, index) => {
        const id = `replica-${index + 1}`;
        return startReplica({
          id,
          port: backend.port,
          databaseUrl: database.url,
          gatewayUrl: gateway.url,
          env: process.env,
          output: logFile(id),
          detached,
        });
      }),
    );
    for (const result of started) {
      if (result.status === 'fulfilled') {
        this.replicas.push(result.value);
      }
    }
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) {
      throw failed.reason;
    }
    this.throwIfStopping();

    log(`Starting HAProxy on port ${LOCAL_CLUSTER_LISTEN_PORT}...`);
    this.haproxy = await startHaproxy({
      name: 'haproxy',
      listenPort: LOCAL_CLUSTER_LISTEN_PORT,
      backends: LOCAL_CLUSTER_BACKENDS,
      mode: 'safe',
      output: logFile('haproxy'),
      detached,
    });
    await waitUntilRouted(
      this.haproxy.url,
      this.replicas.map((replica) => replica.id),
    );
  }

  private throwIfStopping(): void {
    if (this.isStopping) {
      throw new Error('start-up interrupted by a stop request');
    }
  }

  /** Watches for children that exit while the cluster runs. A replica may go; the rest may not. */
  watch(onFatalExit: (name: string) => void): void {
    for (const replica of this.replicas) {
      void replica.child.exited.then((status) => {
        if (!this.isStopping) {
          log(
            `WARNING: ${replica.id} (pid ${replica.child.pid}) exited with code ${status.code}, signal ${status.signal}; ` +
              `HAProxy routes around it. Its log: ${this.logPath(replica.id)}`,
          );
        }
      });
    }
    const essential: ManagedChild[] = [this.database?.child, this.gateway?.child, this.haproxy?.child].filter(
      (child): child is ManagedChild => child !== undefined,
    );
    for (const child of essential) {
      void child.exited.then((status) => {
        if (!this.isStopping) {
          log(`ERROR: ${child.name} (pid ${child.pid}) exited with code ${status.code}, signal ${status.signal}. Its log: ${this.logPath(child.name)}`);
          onFatalExit(child.name);
        }
      });
    }
  }

  /** Stops every child in order and waits for each to exit. Safe to call more than once. */
  stop(reason: string): Promise<void> {
    this.stopRequested = true;
    this.stopping ??= this.stopAll(reason);
    return this.stopping;
  }

  private async stopAll(reason: string): Promise<void> {
    log(`Stopping the cluster (${reason}); the replicas drain for SHUTDOWN_DRAIN_MS first...`);
    // SIGUSR1 is HAProxy's soft stop: it closes the listener and lets open requests finish.
    await Promise.all([
      this.stopChild(this.haproxy?.child, 'SIGUSR1', HAPROXY_STOP_GRACE_MS),
      ...this.replicas.map((replica) => this.stopChild(replica.child, 'SIGTERM', REPLICA_STOP_GRACE_MS)),
    ]);
    await this.stopChild(this.gateway?.child, 'SIGTERM', GATEWAY_STOP_GRACE_MS);
    await this.stopChild(this.database?.child, 'SIGTERM', DATABASE_STOP_GRACE_MS);
    log('Cluster stopped');
  }

  private async stopChild(child: ManagedChild | undefined, signal: NodeJS.Signals, graceMs: number): Promise<void> {
    if (!child) {
      return;
    }
    try {
      await child.stop(signal, graceMs);
    } catch (error) {
      log(`ERROR: failed to stop ${child.name} (pid ${child.pid}): ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  logPath(name: string): string {
    return relative(process.cwd(), join(LOG_DIRECTORY, `${name}.log`));
  }

  printSummary(): void {
    const database = this.database!;
    const lines = [
      '',
      'Payments cluster ready',
      `  Load balancer  ${this.haproxy!.url}  (HAProxy, safe mode, pid ${this.haproxy!.child.pid})`,
      ...this.replicas.map((replica) => `  ${replica.id.padEnd(13)}  ${replica.url}  (pid ${replica.child.pid})`),
      `  Mock gateway   ${this.gateway!.url}  (pid ${this.gateway!.child.pid})`,
      `  Database       ${withoutPassword(database.url)}  (${database.embedded ? 'embedded' : 'DATABASE_URL'})`,
      `  Demo API key   ${DEMO_API_KEY}`,
      `  Logs           ${relative(process.cwd(), LOG_DIRECTORY)}/<name>.log`,
      '',
      'Try it: npm run demo, or',
      `  curl -i ${this.haproxy!.url}/payments -H 'Authorization: Bearer ${DEMO_API_KEY}' \\`,
      `    -H 'Idempotency-Key: try-1' -H 'Content-Type: application/json' \\`,
      `    -d '{"amount":2500,"currency":"USD","source":"tok_visa"}'`,
      'Press Ctrl-C to stop everything.',
      '',
    ];
    console.log(lines.join('\n'));
  }
}

async function main(): Promise<void> {
  if (!findHaproxy()) {
    console.error(`[cluster] haproxy was not found: ${HAPROXY_INSTALL_HINT}, or set HAPROXY_BIN to its path.`);
    process.exit(1);
  }

  let gatewayPort: number;
  let slowMs: number;
  try {
    gatewayPort = integerSetting('GATEWAY_PORT', DEFAULT_GATEWAY_PORT);
    slowMs = integerSetting('GATEWAY_SLOW_MS', DEFAULT_GATEWAY_SLOW_MS);
    await checkPortsFree([
      { port: LOCAL_CLUSTER_LISTEN_PORT, use: 'load balancer' },
      ...LOCAL_CLUSTER_BACKENDS.map((backend) => ({ port: backend.port, use: `API replica ${backend.name}` })),
      { port: gatewayPort, use: 'mock gateway, GATEWAY_PORT' },
    ]);
  } catch (error) {
    console.error(`[cluster] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }

  const cluster = new Cluster();
  let startup: Promise<void> = Promise.resolve();
  const stopAndExit = (reason: string, exitCode: number) => {
    if (cluster.isStopping) {
      log(`Already stopping (${reason})`);
      return;
    }
    // Start-up settles first, so that no child starts after the stop has begun.
    cluster.requestStop();
    void startup
      .catch(() => undefined)
      .then(() => cluster.stop(reason))
      .then(() => process.exit(exitCode));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => stopAndExit(signal, 0));
  }

  startup = cluster.start(gatewayPort, slowMs);
  try {
    await startup;
  } catch (error) {
    log(`ERROR: start-up failed: ${error instanceof Error ? error.message : String(error)}`);
    log(`Child logs are in ${relative(process.cwd(), LOG_DIRECTORY)}`);
    stopAndExit('start-up failed', 1);
    return;
  }

  cluster.printSummary();
  cluster.watch((name) => stopAndExit(`${name} exited`, 1));
}

void main();
