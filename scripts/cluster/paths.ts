import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Finds the repository root: the nearest folder above this file that contains package.json.
 * Works both from scripts/cluster (ts-jest) and from dist/scripts/cluster (the build).
 */
function findRepositoryRoot(start: string): string {
  let folder = start;
  for (let depth = 0; depth < 10; depth++) {
    if (existsSync(join(folder, 'package.json'))) {
      return folder;
    }
    const parent = dirname(folder);
    if (parent === folder) {
      break;
    }
    folder = parent;
  }
  throw new Error(`No package.json found above ${start}`);
}

export const REPOSITORY_ROOT = findRepositoryRoot(__dirname);

/** Entry points of the build that `npx nest build` writes to dist/. */
export const API_ENTRY = join(REPOSITORY_ROOT, 'dist/src/main.js');
export const GATEWAY_ENTRY = join(REPOSITORY_ROOT, 'dist/src/mock-gateway/main.js');
export const DATABASE_ENTRY = join(REPOSITORY_ROOT, 'dist/scripts/cluster/database-process.js');

/** Throws with the build command when a compiled entry point is missing. */
export function requireBuilt(entry: string): void {
  if (!existsSync(entry)) {
    throw new Error(`${entry} is missing: run "npx nest build" first`);
  }
}
