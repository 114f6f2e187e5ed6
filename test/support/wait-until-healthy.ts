import type { ChildProcess } from 'node:child_process';

/** Polls `url` until it returns 200, and fails fast if `child` exits first. */
export async function waitUntilHealthy(url: string, child: ChildProcess, what: string): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) {
      throw new Error(`${what} exited with code ${child.exitCode} before it was healthy; run "npm run build" first`);
    }
    try {
      if ((await fetch(url)).ok) {
        return;
      }
    } catch {
      // Not listening yet.
    }
    await new Promise((wake) => setTimeout(wake, 50));
  }
  throw new Error(`${what} did not become healthy at ${url}`);
}
