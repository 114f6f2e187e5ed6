import type { DatabaseLimitResult } from './phases/database-limit';
import type { ProfileRun } from './phases/profile';
import type { TableGrowthResult } from './phases/table-growth';
import type { Topology, VariantName, VariantResult } from './phases/variants';
import type { LoadResult } from './support/load';

export interface RunMetadata {
  command: string;
  scale: string;
  commit: string;
  /** BENCH_SOURCE when set: which sources the build came from, if not this work tree. */
  source: string;
  /** Uncommitted changes in the work tree when the run started, from `git status --short`. */
  workTreeChanges: string[];
  startedAt: string;
  seconds: number;
  machine: { cpuModel: string; cores: number; memory: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  node: string;
  postgres: string;
  postgresSettings: Record<string, string>;
  skipped: string[];
}

export interface BenchResults {
  metadata: RunMetadata;
  variants: VariantResult[];
  profiles: ProfileRun[];
  databaseLimit: DatabaseLimitResult;
  tableGrowth?: TableGrowthResult;
}

export interface Ratio {
  name: string;
  value: number | undefined;
}

export interface Target {
  name: string;
  met: boolean | undefined;
  detail: string;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

export interface LoadSummary {
  rps: number;
  p50: number;
  p99: number;
  failed: number;
  runs: number;
}

/** Medians over the rounds; `failed` adds up non-2xx responses, errors and timeouts. */
export function summariseLoads(loads: LoadResult[]): LoadSummary | undefined {
  if (loads.length === 0) {
    return undefined;
  }
  return {
    rps: median(loads.map((load) => load.rps)),
    p50: median(loads.map((load) => load.p50)),
    p99: median(loads.map((load) => load.p99)),
    failed: loads.reduce((sum, load) => sum + load.non2xx + load.errors + load.timeouts, 0),
    runs: loads.length,
  };
}

function find(results: BenchResults, variant: VariantName, topology: Topology): VariantResult | undefined {
  return results.variants.find((result) => result.variant === variant && result.topology === topology);
}

export function createSummary(results: BenchResults, variant: VariantName, topology: Topology): LoadSummary | undefined {
  return summariseLoads(find(results, variant, topology)?.rounds.map((round) => round.create) ?? []);
}

export function replaySummary(results: BenchResults, variant: VariantName, topology: Topology): LoadSummary | undefined {
  return summariseLoads(find(results, variant, topology)?.rounds.flatMap((round) => (round.replay ? [round.replay] : [])) ?? []);
}

const divide = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);

/** Median tps of a script over the rounds. */
function pgbenchTps(results: BenchResults, script: string, clients: number): number | undefined {
  const runs = results.databaseLimit.results.filter((result) => result.script === script && result.clients === clients);
  return runs.length > 0 ? median(runs.map((run) => run.tps)) : undefined;
}

export function computeRatios(results: BenchResults): Ratio[] {
  const ratios: Ratio[] = [];
  const clients = [...new Set(results.databaseLimit.results.map((result) => result.clients))];
  for (const topology of ['single', 'cluster'] as const) {
    const project = createSummary(results, 'project', topology)?.rps;
    ratios.push({ name: `${topology}: create, this project / no idempotency`, value: divide(project, createSummary(results, 'none', topology)?.rps) });
    ratios.push({ name: `${topology}: create, this project / Redis variant`, value: divide(project, createSummary(results, 'redis', topology)?.rps) });
    ratios.push({ name: `${topology}: replay / create, this project`, value: divide(replaySummary(results, 'project', topology)?.rps, project) });
    ratios.push({
      name: `${topology}: replay / create, Redis variant`,
      value: divide(replaySummary(results, 'redis', topology)?.rps, createSummary(results, 'redis', topology)?.rps),
    });
    const poolClients = topology === 'single' ? clients[0] : clients[1];
    if (poolClients !== undefined) {
      ratios.push({ name: `${topology}: create, this project / pgbench claim+payment (${poolClients} clients)`, value: divide(project, pgbenchTps(results, 'claim+payment', poolClients)) });
      ratios.push({
        name: `${topology}: create, no idempotency / pgbench payment (${poolClients} clients)`,
        value: divide(createSummary(results, 'none', topology)?.rps, pgbenchTps(results, 'payment', poolClients)),
      });
    }
  }
  if (clients[0] !== undefined) {
    ratios.push({ name: `pgbench: claim+payment / payment (${clients[0]} clients)`, value: divide(pgbenchTps(results, 'claim+payment', clients[0]), pgbenchTps(results, 'payment', clients[0])) });
    ratios.push({
      name: `pgbench: claim+payment, prepared / unnamed statements (${clients[0]} clients)`,
      value: divide(pgbenchTps(results, 'claim+payment', clients[0]), pgbenchTps(results, 'claim+payment, unnamed', clients[0])),
    });
    ratios.push({
      name: `pgbench: claim+payment, async claim commit / synchronous (${clients[0]} clients)`,
      value: divide(pgbenchTps(results, 'claim+payment, async claim commit', clients[0]), pgbenchTps(results, 'claim+payment', clients[0])),
    });
  }
  const steps = results.tableGrowth?.steps ?? [];
  if (steps.length > 1) {
    const last = steps[steps.length - 1];
    ratios.push({ name: `table growth: create p99 at ${last.rows} rows / baseline at ${last.baseline.rows} rows, measured just before`, value: divide(last.create.p99, last.baseline.create.p99) });
    ratios.push({ name: `table growth: create p99 at ${last.rows} rows / at ${steps[0].rows} rows, earlier in the run`, value: divide(last.create.p99, steps[0].create.p99) });
  }
  return ratios;
}

export function checkTargets(results: BenchResults): Target[] {
  const targets: Target[] = [];
  for (const topology of ['single', 'cluster'] as const) {
    const project = createSummary(results, 'project', topology);
    const none = createSummary(results, 'none', topology);
    const redis = createSummary(results, 'redis', topology);
    const replay = replaySummary(results, 'project', topology);
    const vsNone = divide(project?.rps, none?.rps);
    targets.push({ name: `${topology}: create >= 0.85x no idempotency`, met: vsNone === undefined ? undefined : vsNone >= 0.85, detail: fixed(vsNone, 2, 'x') });
    const vsRedis = divide(project?.rps, redis?.rps);
    targets.push({ name: `${topology}: create >= Redis variant`, met: vsRedis === undefined ? undefined : vsRedis >= 1, detail: fixed(vsRedis, 2, 'x') });
    const replayRatio = divide(replay?.rps, project?.rps);
    targets.push({ name: `${topology}: replay >= 3x create`, met: replayRatio === undefined ? undefined : replayRatio >= 3, detail: fixed(replayRatio, 2, 'x') });
    const storm = find(results, 'project', topology)?.storm;
    targets.push({
      name: `${topology}: no duplicates in the storm`,
      met: storm === undefined ? undefined : storm.duplicatePayments === 0 && storm.duplicateCharges === 0,
      detail: storm ? `${storm.payments} payments, ${storm.charges} charges for ${storm.keys} keys` : 'not measured',
    });
  }
  const steps = results.tableGrowth?.steps ?? [];
  const last = steps[steps.length - 1];
  const growth = steps.length > 1 ? divide(last.create.p99, last.baseline.create.p99) : undefined;
  targets.push({
    name: `create p99 at ${last?.rows ?? '?'} rows <= 1.2x at ${last?.baseline.rows ?? '?'} rows (measured just before)`,
    met: growth === undefined ? undefined : growth <= 1.2,
    detail: fixed(growth, 2, 'x'),
  });
  return targets;
}

function describeMet(met: boolean | undefined): string {
  if (met === undefined) {
    return 'n/a';
  }
  return met ? 'yes' : 'NO';
}

function fixed(value: number | undefined, digits: number, unit = ''): string {
  return value === undefined || !Number.isFinite(value) ? 'n/a' : `${value.toFixed(digits)}${unit}`;
}

/** Renders rows as a Markdown table; the same text reads as a plain table in a terminal. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]) => `| ${row.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
  return [line(cells[0]), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

function loadRow(label: string, summary: LoadSummary | undefined): string[] {
  return summary
    ? [label, fixed(summary.rps, 0), fixed(summary.p50, 0), fixed(summary.p99, 0), String(summary.failed), String(summary.runs)]
    : [label, 'n/a', '', '', '', ''];
}

/** Renders the whole report as Markdown: throughput, storms, ratios, targets, database limit, growth and profile. */
export function renderReport(results: BenchResults): string {
  const sections: string[] = [];
  const loadHeader = ['variant', 'req/s', 'p50 ms', 'p99 ms', 'failed', 'runs'];
  const variants = [...new Set(results.variants.map((result) => result.variant))];

  for (const topology of ['single', 'cluster'] as const) {
    const present = variants.filter((variant) => find(results, variant, topology));
    if (present.length === 0) {
      continue;
    }
    const title = topology === 'single' ? 'One replica' : 'Three replicas behind HAProxy';
    sections.push(`### ${title}: create (64 connections, new key per request; medians of ${results.variants[0]?.rounds.length ?? 0} runs)\n`);
    sections.push(table(loadHeader, present.map((variant) => loadRow(variant, createSummary(results, variant, topology)))));
    sections.push(`\n### ${title}: replay of completed keys\n`);
    sections.push(table(loadHeader, present.filter((variant) => replaySummary(results, variant, topology)).map((variant) => loadRow(variant, replaySummary(results, variant, topology)))));
    sections.push(`\n### ${title}: duplicate storm (200 concurrent requests over 10 keys)\n`);
    sections.push(
      table(
        ['variant', 'payments', 'charges', 'duplicate payments', 'duplicate charges', 'replayed', 'statuses', 'ms'],
        present.map((variant) => {
          const storm = find(results, variant, topology)!.storm;
          const statuses = Object.entries(storm.statuses).map(([status, count]) => `${status}: ${count}`).join(', ');
          return [variant, storm.payments, storm.charges, storm.duplicatePayments, storm.duplicateCharges, storm.replayed, statuses, fixed(storm.ms, 0)];
        }),
      ),
    );
    sections.push(`\n### ${title}: CPU ms per request by process (median of runs)\n`);
    const components = [...new Set(present.flatMap((variant) => find(results, variant, topology)!.rounds.flatMap((round) => Object.keys(round.cpuPerCreateMs))))];
    const cpuRows: string[][] = [];
    for (const variant of present) {
      const rounds = find(results, variant, topology)!.rounds;
      const cpuRow = (label: string, samples: Record<string, number>[]) => [
        label,
        ...components.map((component) => (samples.some((sample) => component in sample) ? fixed(median(samples.map((sample) => sample[component] ?? 0)), 3) : '')),
        fixed(median(samples.map((sample) => Object.values(sample).reduce((sum, value) => sum + value, 0))), 3),
      ];
      cpuRows.push(cpuRow(`${variant} create`, rounds.map((round) => round.cpuPerCreateMs)));
      const replays = rounds.flatMap((round) => (round.cpuPerReplayMs ? [round.cpuPerReplayMs] : []));
      if (replays.length > 0) {
        cpuRows.push(cpuRow(`${variant} replay`, replays));
      }
    }
    sections.push(table(['request', ...components, 'total'], cpuRows));
    sections.push('');
  }

  sections.push('### Ratios\n');
  sections.push(table(['ratio', 'value'], computeRatios(results).map((ratio) => [ratio.name, fixed(ratio.value, 2)])));
  sections.push('\n### Targets\n');
  sections.push(table(['target', 'met', 'measured'], checkTargets(results).map((target) => [target.name, describeMet(target.met), target.detail])));

  sections.push('\n### Database limit (pgbench)\n');
  if (results.databaseLimit.skipped) {
    sections.push(`Skipped: ${results.databaseLimit.skipped}`);
  } else {
    const runs = results.databaseLimit.results;
    const groups = [...new Map(runs.map((run) => [`${run.script} ${run.clients}`, run])).values()];
    sections.push(
      table(
        ['script', 'clients', 'tps (median)', 'tps by round', 'latency ms', 'failed', 'what it runs'],
        groups.map((group) => {
          const same = runs.filter((run) => run.script === group.script && run.clients === group.clients);
          return [
            group.script,
            group.clients,
            fixed(pgbenchTps(results, group.script, group.clients), 0),
            same.map((run) => fixed(run.tps, 0)).join(', '),
            fixed(median(same.map((run) => run.latencyMs)), 2),
            same.reduce((sum, run) => sum + run.failed, 0),
            group.description,
          ];
        }),
      ),
    );
    sections.push('\nMean latency per statement (ms, round trip included), first round at the first client count:\n');
    const first = results.databaseLimit.results.filter((result) => result.clients === results.databaseLimit.results[0]?.clients && result.round === 1);
    sections.push(table(['script', 'statements'], first.map((result) => [result.script, result.statements.map((statement) => `${shortStatement(statement.statement)} ${fixed(statement.ms, 2)}`).join('; ')])));
  }

  const growth = results.tableGrowth;
  if (growth) {
    sections.push('\n### Table growth (one replica, 64 connections; baseline: a replica on a near-empty table, measured just before)\n');
    sections.push(
      table(
        ['rows in idempotency_keys', 'heap MB', 'index MB', 'create req/s', 'create p50', 'create p99', 'baseline p99', 'p99 / baseline', 'replay recent req/s', 'replay recent p99', 'baseline replay p99', 'replay old req/s', 'replay old p99'],
        growth.steps.map((step) => [
          step.rows,
          fixed(step.heapMb, 0),
          fixed(step.indexMb, 0),
          fixed(step.create.rps, 0),
          fixed(step.create.p50, 0),
          fixed(step.create.p99, 0),
          fixed(step.baseline.create.p99, 0),
          fixed(divide(step.create.p99, step.baseline.create.p99), 2),
          fixed(step.replayRecent.rps, 0),
          fixed(step.replayRecent.p99, 0),
          fixed(step.baseline.replayRecent.p99, 0),
          step.replayOld ? fixed(step.replayOld.rps, 0) : '',
          step.replayOld ? fixed(step.replayOld.p99, 0) : '',
        ]),
      ),
    );
    sections.push('');
    sections.push(table(['bulk load rows', 'seconds', 'rows/s', 'VACUUM ANALYZE s'], growth.bulkLoads.map((load) => [load.rows, fixed(load.seconds, 1), fixed(load.rowsPerSecond, 0), fixed(load.vacuumSeconds, 1)])));
    if (growth.stoppedEarly) {
      sections.push(`\n${growth.stoppedEarly}`);
    }
    sections.push('\n### Cleanup job\n');
    const baseline = growth.cleanupBaseline;
    sections.push(
      table(
        ['batch size', 'expired rows at start', 'deleted', 'seconds', 'rows deleted/s', 'create req/s', 'create p99', 'p99 without the job'],
        growth.cleanup.map((run) => [
          run.batchSize,
          run.expiredAtStart,
          run.deleted,
          `${fixed(run.seconds, 1)}${run.finished ? ' (all deleted)' : ''}`,
          fixed(run.rowsPerSecond, 0),
          fixed(run.create.rps, 0),
          fixed(run.create.p99, 0),
          baseline ? fixed(baseline.p99, 0) : 'n/a',
        ]),
      ),
    );
  }

  sections.push(renderProfile(results));
  return sections.join('\n');
}

function shortStatement(statement: string): string {
  return statement.trim().replace(/^WITH (\w+) AS.*/, 'WITH $1').replace(/^(SELECT|INSERT INTO) ("\w+"|\w+).*/, '$1 $2');
}

function renderProfile(results: BenchResults): string {
  const sections: string[] = ['\n### Where a create spends its time\n'];
  const withActivity = results.variants.filter((result) => result.topology === 'single' && result.activity);
  for (const result of withActivity) {
    const activity = result.activity!;
    // Payments inserted, rather than responses counted, because requests in flight when a run ends still complete.
    const creates = activity.statements.find((statement) => /^\s*INSERT INTO "?payments"?/.test(statement.query))?.calls ?? 0;
    const perCreate = (value: number) => fixed(creates > 0 ? value / creates : undefined, 2);
    sections.push(
      `${result.variant}: ${perCreate(activity.statements.reduce((sum, statement) => sum + statement.calls, 0))} statements, ` +
        `${perCreate(activity.wal.fsyncs)} WAL flushes (${fixed(activity.wal.fsyncs > 0 ? activity.wal.fsyncMs / activity.wal.fsyncs : undefined, 2)} ms each) per create ` +
        `(pg_stat_statements and pg_stat_io over ${creates} payments)\n`,
    );
    sections.push(
      table(
        ['statement', 'calls per create', 'plans per call', 'plan ms per call', 'exec ms'],
        activity.statements
          .filter((statement) => statement.calls >= creates / 10)
          .map((statement) => [shortStatement(statement.query).slice(0, 70), fixed(statement.calls / creates, 2), fixed(statement.plans / Math.max(1, statement.calls), 2), fixed(statement.planMsPerCall, 3), fixed(statement.meanExecMs, 3)]),
      ),
    );
    sections.push('');
  }
  if (results.profiles.length > 0) {
    const runs = results.profiles;
    const perCreate = (run: ProfileRun, ms: number) => ms / Math.max(1, run.create.ok);
    sections.push(
      `CPU profiles of one replica per variant (node --cpu-prof, ${runs.map((run) => `${run.variant} ${fixed(run.create.rps, 0)} creates/s`).join(', ')}), self time in ms per create:\n`,
    );
    const layerNames = [...new Set(runs.flatMap((run) => run.cpu.layers.map((layer) => layer.name)))];
    const layerMs = (run: ProfileRun, name: string) => perCreate(run, run.cpu.layers.find((layer) => layer.name === name)?.ms ?? 0);
    const rows = layerNames.map((name) => [name, ...runs.map((run) => fixed(layerMs(run, name), 3))]);
    rows.push(['total busy (wall-clock samples)', ...runs.map((run) => fixed(perCreate(run, run.cpu.busyMs), 3))]);
    rows.push(['replica CPU time from /proc', ...runs.map((run) => fixed(run.replicaCpuMsPerCreate, 3))]);
    sections.push(table(['layer', ...runs.map((run) => run.variant)], rows));
    for (const run of runs) {
      sections.push(`\nBusiest functions of the ${run.variant} replica, ms per create:\n`);
      sections.push(table(['function (package:line)', 'ms', 'share'], run.cpu.functions.slice(0, 10).map((entry) => [entry.name.slice(0, 90), fixed(perCreate(run, entry.ms), 3), fixed(entry.share * 100, 1, '%')])));
      sections.push(`\nWait events of the ${run.variant} database's busy backends meanwhile:\n`);
      sections.push(table(['wait event', 'share of samples'], run.waitEvents.slice(0, 8).map((event) => [event.event, fixed(event.share * 100, 1, '%')])));
    }
    sections.push('');
  }
  return sections.join('\n');
}
