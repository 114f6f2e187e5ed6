import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

/** The .cpuprofile format that `node --cpu-prof` writes. Times are in microseconds of the monotonic clock. */
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileShare {
  name: string;
  ms: number;
  /** Fraction of the busy (non-idle) time. */
  share: number;
}

export interface ProfileSummary {
  windowMs: number;
  busyMs: number;
  idleMs: number;
  /** Self time by layer: database client, web framework, logging, and so on. */
  layers: ProfileShare[];
  /** Self time by npm package, Node.js module or V8 category. */
  packages: ProfileShare[];
  functions: ProfileShare[];
}

/** Microseconds on the monotonic clock that V8 uses for profile timestamps. */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

// Layers of a request, by the package or module that runs the code.
const LAYERS: [string, RegExp][] = [
  ['database client (pg, TypeORM, transactions)', /^(pg|pg-.*|postgres-.*|typeorm|@nestjs-cls\/transactional.*|@nestjs\/typeorm)$/],
  [
    'web framework (Nest, Express, validation, rxjs, CLS)',
    /^(@nestjs\/.*|express|router|body-parser|raw-body|finalhandler|path-to-regexp|rxjs|nestjs-cls|class-validator|class-transformer|validator|reflect-metadata|qs|type-is|content-type|on-finished|media-typer|mime-.*|iconv-lite|send|depd|statuses|http-errors|cookie.*|accepts|negotiator|vary|etag|fresh|proxy-addr|forwarded|encodeurl|escape-html|parseurl|merge-descriptors|utils-merge|methods|setprototypeof|tslib)$/,
  ],
  ['logging (pino)', /^(pino.*|nestjs-pino|sonic-boom|fast-redact|@pinojs\/.*|on-exit-leak-free|thread-stream|quick-format-unescaped|atomic-sleep|safe-stable-stringify|fast-safe-stringify)$/],
  ['gateway HTTP client (undici)', /^undici$/],
  ['Redis client', /^(@redis\/.*|redis|@node-idempotency\/.*|cluster-key-slot|generic-pool|yallist)$/],
  ['service code (dist/src)', /^service code$/],
  // On loopback the kernel delivers a TCP segment to the receiving socket inside the sender's write call.
  ['socket writes (system calls, loopback TCP)', /^native (writev|writeBuffer|writeUtf8String|writeLatin1String|writeAsciiString)$/],
  ['Node.js core (net, http, streams, timers)', /^node:/],
  ['garbage collection', /^\(garbage collector\)$/],
  ['V8 outside JavaScript (compiler, runtime, builtins)', /^\(program\)$/],
];

function packageOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) {
    return functionName.startsWith('(') ? functionName : `native ${functionName}`;
  }
  const at = url.lastIndexOf('/node_modules/');
  if (at >= 0) {
    const parts = url.slice(at + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.startsWith('node:')) {
    const segments = url.slice('node:'.length).split('/');
    return `node:${segments[0] === 'internal' ? segments.slice(0, 2).join('/') : segments[0]}`;
  }
  if (url.includes('/dist/src/') || url.includes('/dist/bench/')) {
    return 'service code';
  }
  return url;
}

function layerOf(packageName: string): string {
  return LAYERS.find(([, pattern]) => pattern.test(packageName))?.[0] ?? 'other (native functions, other packages)';
}

function shares(totals: Map<string, number>, busyMs: number, limit: number): ProfileShare[] {
  return [...totals]
    .map(([name, ms]) => ({ name, ms, share: busyMs > 0 ? ms / busyMs : 0 }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, limit);
}

/**
 * Sums self time of the samples taken between `fromMicros` and `toMicros` (monotonic
 * clock, see monotonicMicros), so start-up and warm-up are left out.
 */
export function summariseProfile(path: string, fromMicros: number, toMicros: number): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byPackage = new Map<string, number>();
  const byLayer = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let idleMs = 0;
  let busyMs = 0;

  let time = profile.startTime;
  for (let index = 0; index < profile.samples.length; index++) {
    const delta = profile.timeDeltas[index] ?? 0;
    time += delta;
    if (time < fromMicros || time > toMicros) {
      continue;
    }
    const frame = nodes.get(profile.samples[index])!.callFrame;
    const ms = delta / 1000;
    if (frame.functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    busyMs += ms;
    const packageName = packageOf(frame);
    byPackage.set(packageName, (byPackage.get(packageName) ?? 0) + ms);
    const layer = layerOf(packageName);
    byLayer.set(layer, (byLayer.get(layer) ?? 0) + ms);
    const location = frame.url ? ` (${packageName}:${frame.lineNumber + 1})` : '';
    const name = `${frame.functionName || '(anonymous)'}${location}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
  }

  return {
    windowMs: (toMicros - fromMicros) / 1000,
    busyMs,
    idleMs,
    layers: shares(byLayer, busyMs, LAYERS.length + 1),
    packages: shares(byPackage, busyMs, 15),
    functions: shares(byFunction, busyMs, 15),
  };
}
