import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, request, Server, ServerResponse } from 'node:http';
import { AddressInfo, connect, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  HaproxyBackend,
  HaproxyConfigOptions,
  HaproxyMode,
  LOCAL_CLUSTER_BACKENDS,
  LOCAL_CLUSTER_LISTEN_PORT,
  REPLAY_SERVER_TIMEOUT_MS,
  renderHaproxyConfig,
} from '../../scripts/cluster/haproxy-config';

const REPO_ROOT = resolve(__dirname, '../..');

// Set to rewrite deploy/haproxy/*.cfg from renderHaproxyConfig() instead of comparing.
const UPDATE_ENV = 'UPDATE_HAPROXY_CONFIGS';

const COMMITTED_CONFIGS: { mode: HaproxyMode; path: string }[] = [
  { mode: 'safe', path: 'deploy/haproxy/haproxy.cfg' },
  { mode: 'replay-post-on-timeout', path: 'deploy/haproxy/haproxy-replay-post-on-timeout.cfg' },
];

// The longest API request (gateway connect 1 s + gateway response 10 s + duplicate wait 5 s).
const LONGEST_REQUEST_MS = 16_000;

// Delay of a backend's response to a slow charge: past the replay mode's server timeout,
// far below the safe mode's.
const SLOW_CHARGE_MS = REPLAY_SERVER_TIMEOUT_MS + 500;

const HAPROXY_MISSING_NOTE = 'skipped: haproxy is not on PATH, install it with `apt-get install -y haproxy`';
const haproxyInstalled = spawnSync('haproxy', ['-v']).error === undefined;
const testWithHaproxy = haproxyInstalled ? test : test.skip;

function renderLocalCluster(mode: HaproxyMode): string {
  return renderHaproxyConfig({ listenPort: LOCAL_CLUSTER_LISTEN_PORT, backends: LOCAL_CLUSTER_BACKENDS, mode });
}

function configLines(config: string): string[] {
  return config
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

function settingValue(config: string, keyword: string): string | undefined {
  const line = configLines(config).find((candidate) => candidate.startsWith(`${keyword} `));
  return line?.slice(keyword.length + 1);
}

/** Parses an HAProxy time value such as 30s, 1500ms or 1m into milliseconds. */
function parseHaproxyTime(value: string): number {
  const match = /^(\d+)(us|ms|s|m|h|d)?$/.exec(value);
  if (match === null) {
    throw new Error(`Invalid HAProxy time "${value}"`);
  }
  const unitMs: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  return Number(match[1]) * unitMs[match[2] ?? 'ms'];
}

function checkWithHaproxy(config: string): { status: number | null; output: string } {
  const directory = mkdtempSync(join(tmpdir(), 'haproxy-check-'));
  try {
    const file = join(directory, 'haproxy.cfg');
    writeFileSync(file, config);
    const result = spawnSync('haproxy', ['-c', '-f', file], { encoding: 'utf8' });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

describe('renderHaproxyConfig', () => {
  const threeBackends: HaproxyBackend[] = [
    { name: 'api-1', port: 4001 },
    { name: 'api-2', port: 4002 },
    { name: 'api-3', port: 4003 },
  ];

  describe.each<HaproxyMode>(['safe', 'replay-post-on-timeout'])('mode %s', (mode) => {
    const config = renderHaproxyConfig({ listenPort: 9090, backends: threeBackends, mode });
    const lines = configLines(config);

    test('binds only on 127.0.0.1', () => {
      const binds = lines.filter((line) => line.startsWith('bind '));

      expect(binds).toEqual(['bind 127.0.0.1:9090']);
    });

    test('lists every backend on 127.0.0.1', () => {
      const servers = lines.filter((line) => line.startsWith('server '));

      expect(servers).toEqual([
        'server api-1 127.0.0.1:4001',
        'server api-2 127.0.0.1:4002',
        'server api-3 127.0.0.1:4003',
      ]);
    });

    test('checks readiness like Traefik', () => {
      expect(lines).toContain('balance roundrobin');
      expect(lines).toContain('option httpchk GET /health/ready');
      expect(lines).toContain('http-check expect status 200');
      expect(lines).toContain('default-server check inter 1s fall 2 rise 2');
    });

    test('redispatches every retry', () => {
      expect(lines).toContain('option redispatch 1');
    });
  });

  test('safe mode retries only connection failures', () => {
    const config = renderHaproxyConfig({ listenPort: 9090, backends: threeBackends, mode: 'safe' });

    expect(settingValue(config, 'retry-on')).toBe('conn-failure');
    expect(settingValue(config, 'retries')).toBe('3');
  });

  test('safe mode outlasts the longest request', () => {
    const config = renderHaproxyConfig({ listenPort: 9090, backends: threeBackends, mode: 'safe' });

    const serverTimeout = parseHaproxyTime(settingValue(config, 'timeout server') ?? '');
    const clientTimeout = parseHaproxyTime(settingValue(config, 'timeout client') ?? '');

    expect(serverTimeout).toBeGreaterThan(LONGEST_REQUEST_MS);
    expect(clientTimeout).toBeGreaterThan(LONGEST_REQUEST_MS);
  });

  test('replay mode retries timeouts and empty responses', () => {
    const config = renderHaproxyConfig({ listenPort: 9090, backends: threeBackends, mode: 'replay-post-on-timeout' });

    expect(settingValue(config, 'retry-on')).toBe('conn-failure empty-response response-timeout');
    expect(settingValue(config, 'retries')).toBe('1');
    expect(settingValue(config, 'timeout server')).toBe('1500ms');
  });

  test('replay mode is marked as test only', () => {
    const config = renderHaproxyConfig({ listenPort: 9090, backends: threeBackends, mode: 'replay-post-on-timeout' });

    expect(config).toContain('TEST ONLY');
  });

  const invalidCases: { label: string; options: HaproxyConfigOptions; message: RegExp }[] = [
    {
      label: 'listen port 0',
      options: { listenPort: 0, backends: threeBackends, mode: 'safe' },
      message: /Invalid listenPort 0/,
    },
    {
      label: 'fractional backend port',
      options: { listenPort: 9090, backends: [{ name: 'api-1', port: 3001.5 }], mode: 'safe' },
      message: /Invalid port of backend api-1 3001.5/,
    },
    {
      label: 'no backends',
      options: { listenPort: 9090, backends: [], mode: 'safe' },
      message: /at least one backend/,
    },
    {
      label: 'name with a space',
      options: { listenPort: 9090, backends: [{ name: 'api 1', port: 3001 }], mode: 'safe' },
      message: /Invalid backend name "api 1"/,
    },
    {
      label: 'duplicate name',
      options: {
        listenPort: 9090,
        backends: [
          { name: 'api-1', port: 3001 },
          { name: 'api-1', port: 3002 },
        ],
        mode: 'safe',
      },
      message: /Duplicate backend name "api-1"/,
    },
    {
      label: 'backend on the listen port',
      options: { listenPort: 9090, backends: [{ name: 'api-1', port: 9090 }], mode: 'safe' },
      message: /Port 9090 of backend api-1 is already used/,
    },
    {
      label: 'unknown mode',
      options: { listenPort: 9090, backends: threeBackends, mode: 'retry-everything' as HaproxyMode },
      message: /Invalid HAProxy mode "retry-everything"/,
    },
  ];

  test.each(invalidCases)('rejects $label', ({ options, message }) => {
    expect(() => renderHaproxyConfig(options)).toThrow(RangeError);
    expect(() => renderHaproxyConfig(options)).toThrow(message);
  });
});

describe('deploy/haproxy files', () => {
  test.each(COMMITTED_CONFIGS)('$path matches renderHaproxyConfig', ({ mode, path }) => {
    const expected = renderLocalCluster(mode);
    const file = join(REPO_ROOT, path);

    if (process.env[UPDATE_ENV] === '1') {
      writeFileSync(file, expected);
    }
    const actual = readFileSync(file, 'utf8');

    // On failure, regenerate with: UPDATE_HAPROXY_CONFIGS=1 npx jest test/deployment/haproxy-config.spec.ts
    expect(actual).toBe(expected);
  });
});

describe('haproxy -c', () => {
  const checkName = (name: string) => (haproxyInstalled ? name : `${name} (${HAPROXY_MISSING_NOTE})`);

  testWithHaproxy.each(COMMITTED_CONFIGS)(checkName('accepts $path'), ({ path }) => {
    const result = checkWithHaproxy(readFileSync(join(REPO_ROOT, path), 'utf8'));

    expect(result.output).toContain('Configuration file is valid');
    expect(result.status).toBe(0);
  });

  testWithHaproxy.each<HaproxyMode>(['safe', 'replay-post-on-timeout'])(
    checkName('accepts mode %s with one backend on other ports'),
    (mode) => {
      const config = renderHaproxyConfig({ listenPort: 18080, backends: [{ name: 'only', port: 13001 }], mode });

      const result = checkWithHaproxy(config);

      expect(result.output).toContain('Configuration file is valid');
      expect(result.status).toBe(0);
    },
  );
});

/** A backend that counts the payment requests it received, by path. */
interface CountingBackend {
  name: string;
  port: number;
  server: Server;
  readyChecks: number;
  paymentRequests: string[];
}

/**
 * Starts a fake API replica. GET /health/ready returns 200. POST /payments returns 201 at once,
 * POST /payments/slow after SLOW_CHARGE_MS, and POST /payments/drop closes the connection
 * without a response.
 */
async function startCountingBackend(name: string): Promise<CountingBackend> {
  const backend: CountingBackend = { name, port: 0, server: createServer(), readyChecks: 0, paymentRequests: [] };

  backend.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && req.url === '/health/ready') {
      backend.readyChecks += 1;
      res.writeHead(200).end('ok');
      return;
    }

    backend.paymentRequests.push(req.url ?? '');
    req.resume();
    req.on('end', () => {
      if (req.url === '/payments/drop') {
        req.socket.destroy();
      } else if (req.url === '/payments/slow') {
        setTimeout(() => res.writeHead(201).end('charged'), SLOW_CHARGE_MS);
      } else {
        res.writeHead(201).end('charged');
      }
    });
  });

  await new Promise<void>((done) => backend.server.listen(0, '127.0.0.1', done));
  backend.port = (backend.server.address() as AddressInfo).port;
  return backend;
}

async function stopBackend(backend: CountingBackend): Promise<void> {
  backend.server.closeAllConnections();
  await new Promise<void>((done) => backend.server.close(() => done()));
}

/** Returns a loopback port that was free a moment ago. */
async function reservePort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((done) => probe.close(() => done()));
  return port;
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, description: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}`);
    }
    await new Promise((wake) => setTimeout(wake, 50));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

/** Sends a POST without connection reuse. Resolves with the response status and rejects on a connection error. */
function post(port: number, path: string): Promise<number> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent: false }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode ?? 0));
    });
    req.setTimeout(20_000, () => req.destroy(new Error(`POST ${path} timed out`)));
    req.on('error', fail);
    req.end('{"amount":100}');
  });
}

interface RunningHaproxy {
  process: ChildProcess;
  listenPort: number;
  output: () => string;
  stop: () => Promise<void>;
}

async function startHaproxy(mode: HaproxyMode, backends: HaproxyBackend[]): Promise<RunningHaproxy> {
  const listenPort = await reservePort();
  const directory = mkdtempSync(join(tmpdir(), 'haproxy-run-'));
  const file = join(directory, 'haproxy.cfg');
  writeFileSync(file, renderHaproxyConfig({ listenPort, backends, mode }));

  const child = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(directory, { recursive: true, force: true });
  };

  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) {
          throw new Error(`haproxy exited with code ${child.exitCode}:\n${output}`);
        }
        return canConnect(listenPort);
      },
      5_000,
      `haproxy to listen on port ${listenPort}`,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { process: child, listenPort, output: () => output, stop };
}

/**
 * Starts `live` backends and `stopped` backends behind HAProxy in `mode`, then runs the scenario.
 * A stopped backend passes two health checks and then closes its port, so HAProxy still counts
 * it as up (fall 2, inter 1s) for about a second while connections to it are refused.
 */
async function withCluster(
  mode: HaproxyMode,
  layout: { live: number; stopped: number },
  scenario: (haproxy: RunningHaproxy, live: CountingBackend[]) => Promise<void>,
): Promise<void> {
  const live: CountingBackend[] = [];
  const stopped: CountingBackend[] = [];
  let haproxy: RunningHaproxy | undefined;
  try {
    for (let i = 1; i <= layout.stopped; i += 1) {
      stopped.push(await startCountingBackend(`stopped-${i}`));
    }
    for (let i = 1; i <= layout.live; i += 1) {
      live.push(await startCountingBackend(`live-${i}`));
    }
    const all = [...stopped, ...live];
    haproxy = await startHaproxy(mode, all.map(({ name, port }) => ({ name, port })));

    // After a passed probe a server needs two failed probes (fall 2) to go down. Waiting for
    // two passed probes adds a margin.
    await waitFor(() => all.every((backend) => backend.readyChecks >= 2), 5_000, 'two health checks per backend');
    await Promise.all(stopped.map(stopBackend));

    await scenario(haproxy, live);
  } finally {
    await haproxy?.stop();
    await Promise.all(live.map(stopBackend));
  }
}

/** Reads the retries field (actconn/feconn/beconn/srv_conn/retries) of each HAProxy log line. */
function retriesPerLogLine(output: string): number[] {
  const counts: number[] = [];
  for (const match of output.matchAll(/ \d+\/\d+\/\d+\/\d+\/\+?(\d+) /g)) {
    counts.push(Number(match[1]));
  }
  return counts;
}

function totalPaymentRequests(backends: CountingBackend[]): number {
  return backends.reduce((sum, backend) => sum + backend.paymentRequests.length, 0);
}

describe('HAProxy retry behaviour', () => {
  const behaviourName = (name: string) => (haproxyInstalled ? name : `${name} (${HAPROXY_MISSING_NOTE})`);

  testWithHaproxy(
    behaviourName('safe mode sends a slow POST once'),
    async () => {
      await withCluster('safe', { live: 2, stopped: 0 }, async (haproxy, live) => {
        const status = await post(haproxy.listenPort, '/payments/slow');

        expect(status).toBe(201);
        expect(totalPaymentRequests(live)).toBe(1);
      });
    },
    20_000,
  );

  testWithHaproxy(
    behaviourName('safe mode sends a dropped POST once'),
    async () => {
      await withCluster('safe', { live: 2, stopped: 0 }, async (haproxy, live) => {
        const status = await post(haproxy.listenPort, '/payments/drop');

        expect(status).toBe(502);
        expect(totalPaymentRequests(live)).toBe(1);
      });
    },
    20_000,
  );

  testWithHaproxy(
    behaviourName('safe mode retries a refused connection'),
    async () => {
      await withCluster('safe', { live: 1, stopped: 1 }, async (haproxy, live) => {
        const statuses: number[] = [];
        for (let i = 0; i < 4; i += 1) {
          statuses.push(await post(haproxy.listenPort, '/payments'));
        }

        expect(statuses).toEqual([201, 201, 201, 201]);
        expect(totalPaymentRequests(live)).toBe(4);
        // Round robin sent at least one request to the stopped server, and HAProxy retried it.
        expect(Math.max(...retriesPerLogLine(haproxy.output()))).toBeGreaterThanOrEqual(1);
      });
    },
    20_000,
  );

  testWithHaproxy(
    behaviourName('replay mode sends a slow POST twice'),
    async () => {
      await withCluster('replay-post-on-timeout', { live: 2, stopped: 0 }, async (haproxy, live) => {
        const status = await post(haproxy.listenPort, '/payments/slow');

        expect(status).toBe(504);
        expect(totalPaymentRequests(live)).toBe(2);
        expect(live.map((backend) => backend.paymentRequests.length)).toEqual([1, 1]);
      });
    },
    20_000,
  );

  testWithHaproxy(
    behaviourName('replay mode sends a dropped POST twice'),
    async () => {
      await withCluster('replay-post-on-timeout', { live: 2, stopped: 0 }, async (haproxy, live) => {
        const status = await post(haproxy.listenPort, '/payments/drop');

        expect(status).toBe(502);
        expect(totalPaymentRequests(live)).toBe(2);
      });
    },
    20_000,
  );
});
