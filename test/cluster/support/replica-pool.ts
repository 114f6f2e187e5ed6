import { join } from 'node:path';
import type { ExitStatus } from '../../../scripts/cluster/child-process';
import { startReplica, type Replica } from '../../../scripts/cluster/replica';
import type { ReplicaInfo } from './cluster-settings';

interface Slot {
  id: string;
  port: number;
  env: NodeJS.ProcessEnv;
  current?: Replica;
}

export interface ReplicaPoolOptions {
  databaseUrl: string;
  gatewayUrl: string;
  logDir: string;
}

// SHUTDOWN_DRAIN_MS plus the longest request of the suite's settings, with a margin.
const STOP_GRACE_MS = 30_000;

/**
 * API replicas with fixed ids and ports, so that a stopped replica can be started again behind
 * the same HAProxy server line. A restarted replica appends to the same log file.
 */
export class ReplicaPool {
  private readonly slots = new Map<string, Slot>();

  constructor(private readonly options: ReplicaPoolOptions) {}

  /** Starts a new replica and resolves once it is ready. */
  async add(id: string, port: number, env: NodeJS.ProcessEnv): Promise<ReplicaInfo> {
    if (this.slots.has(id)) {
      throw new Error(`Replica ${id} already exists`);
    }
    const slot: Slot = { id, port, env };
    this.slots.set(id, slot);
    return this.launch(slot);
  }

  list(): ReplicaInfo[] {
    return [...this.slots.values()].map(describe);
  }

  /** Sends `signal` to the replica and resolves with its exit status once it has exited. */
  async stop(id: string, signal: NodeJS.Signals): Promise<ExitStatus> {
    const replica = this.slot(id).current;
    if (!replica) {
      throw new Error(`Replica ${id} is not running`);
    }
    return replica.child.stop(signal, STOP_GRACE_MS);
  }

  /** Starts a stopped replica again on its port and resolves once it is ready. */
  async start(id: string): Promise<ReplicaInfo> {
    const slot = this.slot(id);
    if (slot.current?.child.running) {
      throw new Error(`Replica ${id} is already running (pid ${slot.current.child.pid})`);
    }
    return this.launch(slot);
  }

  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.slots.values()].map((slot) => slot.current?.child.stop('SIGTERM', STOP_GRACE_MS)),
    );
  }

  private slot(id: string): Slot {
    const slot = this.slots.get(id);
    if (!slot) {
      throw new Error(`Unknown replica ${id}: expected one of ${[...this.slots.keys()].join(', ')}`);
    }
    return slot;
  }

  private async launch(slot: Slot): Promise<ReplicaInfo> {
    slot.current = await startReplica({
      id: slot.id,
      port: slot.port,
      databaseUrl: this.options.databaseUrl,
      gatewayUrl: this.options.gatewayUrl,
      env: slot.env,
      output: { kind: 'file', path: join(this.options.logDir, `${slot.id}.log`) },
    });
    return describe(slot);
  }
}

function describe(slot: Slot): ReplicaInfo {
  return {
    id: slot.id,
    port: slot.port,
    url: `http://127.0.0.1:${slot.port}`,
    pid: slot.current?.child.pid ?? -1,
    running: slot.current?.child.running ?? false,
  };
}
