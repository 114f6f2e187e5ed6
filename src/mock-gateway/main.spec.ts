import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';

const PROJECT_ROOT = resolve(__dirname, '../..');

function startMain(env: Record<string, string>): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/mock-gateway/main.ts'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
  });
}

function collect(stream: NodeJS.ReadableStream): () => string {
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  return () => text;
}

describe('mock gateway main', () => {
  let child: ChildProcessWithoutNullStreams | undefined;

  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
    }
    child = undefined;
  });

  it('exits 1 with one line naming an invalid variable', async () => {
    child = startMain({ GATEWAY_PORT: 'not-a-port' });
    const stderr = collect(child.stderr);
    const [code] = await once(child, 'exit');

    expect(code).toBe(1);
    const expected = 'mock-gateway: GATEWAY_PORT must be an integer from 0 to 65535, got "not-a-port".\n';
    expect(stderr()).toBe(expected);
  }, 20_000);

  it('logs its URL, serves requests and stops on SIGTERM', async () => {
    child = startMain({ GATEWAY_PORT: '0', GATEWAY_HOST: '127.0.0.1' });
    const exited = once(child, 'exit');
    const stdout = collect(child.stdout);

    const url = await new Promise<string>((resolveUrl, rejectUrl) => {
      const onData = (): void => {
        // The last element is an incomplete line until its newline arrives.
        const line = stdout()
          .split('\n')
          .slice(0, -1)
          .find((candidate) => candidate.includes('"mock gateway listening"'));
        if (line) {
          child?.stdout.off('data', onData);
          resolveUrl((JSON.parse(line) as { url: string }).url);
        }
      };
      child?.stdout.on('data', onData);
      void exited.then(() => rejectUrl(new Error(`main exited before listening. Output: ${stdout()}`)));
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);

    child.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
    expect(stdout()).toContain('"mock gateway stopped"');
  }, 20_000);
});
