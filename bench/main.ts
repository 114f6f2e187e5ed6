import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { runDatabaseLimit, type DatabaseLimitResult } from './phases/database-limit';
import { runProfiles, type ProfileRun } from './phases/profile';
import { runTableGrowth, type TableGrowthResult } from './phases/table-growth';
import { redisPrefix, runVariantComparison, variantSpecs, type VariantResult } from './phases/variants';
import { renderReport, type BenchResults, type RunMetadata } from './report';
import { FULL_SCALE, QUICK_SCALE } from './settings';
import { POSTGRES_SETTINGS, startBenchPostgres, type BenchPostgres } from './support/postgres';
import { killRunningChildren, LOG_DIRECTORY } from './support/processes';
import { checkRedis, deleteRedisKeys } from './support/redis';

const PHASES = ['variants', 'profile', 'pgbench', 'growth'] as const;
type Phase = (typeof PHASES)[number];

const USAGE = `Usage: node dist/bench/main.js [--quick] [--only=PHASE,...]
  --quick        small scale, about 2 minutes (npm run bench:quick)
  --only=PHASES  run only these of ${PHASES.join(', ')}; all by default`;

// The repository root, set for the copy that the launcher starts; see runFromSnapshot.
const SNAPSHOT_MARKER = 'PAYMENTS_BENCH_ROOT';

function log(message: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

function parseArguments(argv: string[]): { quick: boolean; phases: Phase[] } {
  let quick = false;
  let phases: Phase[] = [...PHASES];
  for (const argument of argv) {
    if (argument === '--quick') {
      quick = true;
    } else if (argument.startsWith('--only=')) {
      const requested = argument.slice('--only='.length).split(',');
      const unknown = requested.filter((phase) => !(PHASES as readonly string[]).includes(phase));
      if (unknown.length > 0) {
        throw new Error(`Unknown phase ${unknown.join(', ')}.\n${USAGE}`);
      }
      phases = requested as Phase[];
    } else {
      throw new Error(`Unknown argument ${argument}.\n${USAGE}`);
    }
  }
  return { quick, phases };
}

/**
 * `nest build` empties dist/ before it compiles, and other builds in this work tree may
 * run while a benchmark does. So the launcher copies the build (with package.json, which
 * scripts/cluster/paths.ts looks for) to .data/bench/build and runs that copy.
 */
function runFromSnapshot(repositoryRoot: string): void {
  const snapshot = join(repositoryRoot, '.data/bench/build');
  rmSync(snapshot, { recursive: true, force: true });
  mkdirSync(snapshot, { recursive: true });
  cpSync(join(repositoryRoot, 'dist'), join(snapshot, 'dist'), { recursive: true });
  cpSync(join(repositoryRoot, 'package.json'), join(snapshot, 'package.json'));

  const child = spawn(process.execPath, [join(snapshot, 'dist/bench/main.js'), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, [SNAPSHOT_MARKER]: repositoryRoot },
  });
  // The child handles Ctrl-C itself (it stops its servers); SIGTERM is passed on.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

function git(repositoryRoot: string, ...args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: repositoryRoot, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function describeMachine(): RunMetadata['machine'] {
  let memory = 'unknown';
  try {
    memory = execFileSync('free', ['-h'], { encoding: 'utf8' }).split('\n')[1]?.split(/\s+/)[1] ?? memory;
  } catch {
    // free is missing; the memory stays unknown.
  }
  return { cpuModel: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memory, loadAverageAtStart: loadavg(), loadAverageAtEnd: [] };
}

async function runBenchmarks(repositoryRoot: string, quick: boolean, phases: Phase[]): Promise<void> {
  const scale = quick ? QUICK_SCALE : FULL_SCALE;
  const started = Date.now();
  const runId = `${new Date(started).toISOString().replace(/[:.]/g, '-')}-${scale.name}`;
  const resultsDirectory = join(repositoryRoot, 'bench/results');
  mkdirSync(resultsDirectory, { recursive: true });
  rmSync(LOG_DIRECTORY, { recursive: true, force: true });

  const metadata: RunMetadata = {
    // npm sets npm_lifecycle_event to the script's name, also in the copy that the launcher starts.
    command: process.env.npm_lifecycle_event
      ? `npm run ${process.env.npm_lifecycle_event}`
      : `node dist/bench/main.js${quick ? ' --quick' : ''}`,
    scale: scale.name,
    commit: git(repositoryRoot, 'rev-parse', '--short', 'HEAD'),
    source: process.env.BENCH_SOURCE ?? 'the work tree',
    workTreeChanges: git(repositoryRoot, 'status', '--short').split('\n').filter(Boolean),
    startedAt: new Date(started).toISOString(),
    seconds: 0,
    machine: describeMachine(),
    node: process.version,
    postgres: '',
    postgresSettings: POSTGRES_SETTINGS,
    skipped: [],
  };
  if (phases.length < PHASES.length) {
    metadata.command += ` -- --only=${phases.join(',')}`;
  }
  log(`Run ${runId}: commit ${metadata.commit}, ${metadata.machine.cores} cores (${metadata.machine.cpuModel}), load average ${metadata.machine.loadAverageAtStart.map((value) => value.toFixed(2)).join(' ')}`);

  let pg: BenchPostgres | undefined;
  let redisKeysWritten = false;
  const stopEverything = async (signal: NodeJS.Signals) => {
    log(`${signal} received: stopping every process this run started`);
    killRunningChildren();
    await pg?.stop().catch(() => undefined);
    process.exit(130);
  };
  process.once('SIGINT', (signal) => void stopEverything(signal));
  process.once('SIGTERM', (signal) => void stopEverything(signal));

  let variants: VariantResult[] = [];
  let profiles: ProfileRun[] = [];
  let databaseLimit: DatabaseLimitResult = { skipped: 'not run', results: [] };
  let tableGrowth: TableGrowthResult | undefined;
  try {
    log('Starting an embedded PostgreSQL for this run');
    pg = await startBenchPostgres(log);
    metadata.postgres = pg.version;

    let specs = variantSpecs(runId);
    const redisProblem = await checkRedis();
    if (redisProblem) {
      const message = `Redis variant skipped: ${redisProblem}`;
      log(message);
      metadata.skipped.push(message);
      specs = specs.filter((spec) => spec.name !== 'redis');
    }

    if (phases.includes('variants')) {
      redisKeysWritten = !redisProblem;
      variants = await runVariantComparison(pg, specs, scale, log);
    }
    if (phases.includes('profile')) {
      const profiled = specs.filter((spec) => spec.name === 'project' || spec.name === 'none');
      profiles = await runProfiles(pg, profiled, scale, join(resultsDirectory, `${runId}-profiles`), log);
    }
    if (phases.includes('pgbench')) {
      databaseLimit = await runDatabaseLimit(pg, scale.pgbenchClients, scale.pgbenchSeconds, scale.pgbenchRounds, log);
      if (databaseLimit.skipped) {
        log(`Database limit skipped: ${databaseLimit.skipped}`);
        metadata.skipped.push(`pgbench: ${databaseLimit.skipped}`);
      }
    }
    if (phases.includes('growth')) {
      tableGrowth = await runTableGrowth(pg, scale, log);
    }
  } finally {
    if (redisKeysWritten) {
      const deleted = await deleteRedisKeys(redisPrefix(runId)).catch((error: unknown) => {
        log(`Failed to delete the Redis variant's keys under ${redisPrefix(runId)}: ${String(error)}`);
        return 0;
      });
      log(`Deleted ${deleted} Redis keys of the Redis variant`);
    }
    killRunningChildren();
    await pg?.stop();
  }

  metadata.seconds = (Date.now() - started) / 1000;
  metadata.machine.loadAverageAtEnd = loadavg();
  const results: BenchResults = { metadata, variants, profiles, databaseLimit, tableGrowth };
  const report = renderReport(results);
  const jsonPath = join(resultsDirectory, `${runId}.json`);
  const markdownPath = join(resultsDirectory, `${runId}.md`);
  writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(markdownPath, `${report}\n`);
  console.log(`\n${report}\n`);
  log(`Finished in ${metadata.seconds.toFixed(0)} s. Results: ${jsonPath} and ${markdownPath}; child logs in ${LOG_DIRECTORY}`);
}

function main(): void {
  // The launcher runs from dist/bench/main.js; the copy learns the root from the launcher.
  const repositoryRoot = process.env[SNAPSHOT_MARKER] || resolve(__dirname, '../..');
  if (!existsSync(join(repositoryRoot, 'package.json')) || !JSON.parse(readFileSync(join(repositoryRoot, 'package.json'), 'utf8')).name) {
    throw new Error(`No package.json found at ${repositoryRoot}`);
  }
  const { quick, phases } = parseArguments(process.argv.slice(2));
  if (!process.env[SNAPSHOT_MARKER]) {
    runFromSnapshot(repositoryRoot);
    return;
  }
  runBenchmarks(repositoryRoot, quick, phases).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : error);
      process.exit(1);
    },
  );
}

main();
