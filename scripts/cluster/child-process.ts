import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';

/** Destination of a child's stdout and stderr: a log file, appended to. */
export type ChildOutput = { kind: 'file'; path: string };

export interface ChildSpec {
  /** Label used in log prefixes and error messages, such as "replica-1". */
  name: string;
  command: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  output: ChildOutput;
  /**
   * Starts the child in its own process group, so a Ctrl-C in the terminal reaches only the
   * parent, which then stops the children in order.
   */
  detached?: boolean;
  /** Opens a Node.js IPC channel (process.send) to the child. */
  ipc?: boolean;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the command could not be started at all. */
  error?: string;
}

// Time a child gets to exit after SIGKILL before stop() gives up.
const KILL_WAIT_MS = 5_000;

/** A child process whose exit is observable and whose output goes to a log file. */
export class ManagedChild {
  readonly exited: Promise<ExitStatus>;
  private exitStatus: ExitStatus | undefined;

  constructor(
    readonly name: string,
    readonly process: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      process.once('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        resolve(this.exitStatus);
      });
      // Emitted instead of "exit" when the command cannot be spawned.
      process.once('error', (error) => {
        if (this.exitStatus === undefined && process.pid === undefined) {
          this.exitStatus = { code: null, signal: null, error: error.message };
          resolve(this.exitStatus);
        }
      });
    });
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  get running(): boolean {
    return this.exitStatus === undefined;
  }

  /** Sends `signal` if the child still runs. */
  signal(signal: NodeJS.Signals): void {
    if (this.running) {
      this.process.kill(signal);
    }
  }

  /**
   * Sends `signal` and waits up to `graceMs` for the child to exit, then sends SIGKILL.
   * Resolves with the exit status once the child is gone.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 30_000): Promise<ExitStatus> {
    if (!this.running) {
      return this.exitStatus!;
    }
    this.signal(signal);
    const status = await waitFor(this.exited, graceMs);
    if (status) {
      return status;
    }

    this.signal('SIGKILL');
    const killed = await waitFor(this.exited, KILL_WAIT_MS);
    if (!killed) {
      throw new Error(`${this.name} (pid ${this.pid}) did not exit after SIGKILL`);
    }
    return killed;
  }
}

/** Spawns a child as described by `spec`. A command that cannot be started shows as an exit with `error` set. */
export function startChild(spec: ChildSpec): ManagedChild {
  const stdio = spec.ipc ? (['ignore', 'pipe', 'pipe', 'ipc'] as const) : (['ignore', 'pipe', 'pipe'] as const);
  const child = spawn(spec.command, [...spec.args], {
    env: spec.env,
    stdio: [...stdio],
    detached: spec.detached ?? false,
  });
  const managed = new ManagedChild(spec.name, child);
  writeOutputTo(spec.output.path, child);
  return managed;
}

function writeOutputTo(path: string, child: ChildProcess): void {
  const streams = [child.stdout, child.stderr].filter((stream): stream is Readable => stream !== null);
  mkdirSync(dirname(path), { recursive: true });
  const file = createWriteStream(path, { flags: 'a' });

  let open = streams.length;
  for (const stream of streams) {
    stream.pipe(file, { end: false });
    stream.once('close', () => {
      open -= 1;
      if (open === 0) {
        file.end();
      }
    });
  }
}

function waitFor<T>(promise: Promise<T>, timeoutMs: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), timeoutMs);
    void promise.then((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

export interface WaitForHttpOptions {
  /** Fails at once when this child exits before the URL returns the expected status. */
  child: ManagedChild;
  /** Overall limit in milliseconds. */
  timeoutMs?: number;
  /** Expected status; any other status counts as not ready yet. */
  status?: number;
}

const PROBE_INTERVAL_MS = 100;
const PROBE_TIMEOUT_MS = 1_000;

/** Polls `url` with GET until it returns the expected status (200 by default). */
export async function waitForHttp(url: string, options: WaitForHttpOptions): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const expected = options.status ?? 200;

  while (Date.now() < deadline) {
    if (!options.child.running) {
      const status = await options.child.exited;
      throw new Error(
        `${options.child.name} exited (code ${status.code}, signal ${status.signal}${status.error ? `, ${status.error}` : ''}) ` +
          `before ${url} returned ${expected}; see its log`,
      );
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
      await response.arrayBuffer();
      if (response.status === expected) {
        return;
      }
    } catch {
      // Not listening yet, or the probe timed out.
    }
    await delay(PROBE_INTERVAL_MS);
  }
  throw new Error(`${options.child.name} did not return ${expected} at ${url} within ${options.timeoutMs ?? 60_000} ms`);
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
