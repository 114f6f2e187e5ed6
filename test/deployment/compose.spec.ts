import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

// Static checks of the deployment files. No Docker engine runs in CI, so these tests read the
// files instead of starting the stack.

const REPO_ROOT = resolve(__dirname, '../..');

type YamlMap = Record<string, unknown>;

// The service's own defaults (src/config/environment.ts), used when compose leaves a variable unset.
const API_DEFAULTS: Record<string, number> = {
  SHUTDOWN_DRAIN_MS: 5000,
  GATEWAY_CONNECT_TIMEOUT_MS: 1000,
  GATEWAY_TIMEOUT_MS: 10000,
  IDEMPOTENCY_WAIT_MS: 5000,
};

function readRepoFile(path: string): string {
  return readFileSync(join(REPO_ROOT, path), 'utf8');
}

/** Parses YAML with merge keys (<<), which Compose supports and YAML 1.2 leaves out by default. */
function loadYaml(path: string): YamlMap {
  return parse(readRepoFile(path), { merge: true }) as YamlMap;
}

function asMap(value: unknown, description: string): YamlMap {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`Expected ${description} to be a mapping, got ${JSON.stringify(value)}`);
  }
  return value as YamlMap;
}

/** Reads a key case-insensitively, as Traefik does for its configuration keys. */
function field(map: YamlMap, key: string): unknown {
  const match = Object.keys(map).find((candidate) => candidate.toLowerCase() === key.toLowerCase());
  return match === undefined ? undefined : map[match];
}

/** Normalizes Compose's list (KEY=VALUE) or mapping form into a mapping of strings. */
function keyValues(value: unknown): Record<string, string> {
  if (value === undefined || value === null) {
    return {};
  }
  if (Array.isArray(value)) {
    return Object.fromEntries(
      value.map((entry: string) => {
        const separator = entry.indexOf('=');
        return separator === -1 ? [entry, ''] : [entry.slice(0, separator), entry.slice(separator + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(asMap(value, 'key-value list')).map(([key, raw]) => [key, String(raw)]));
}

/** Returns Traefik labels with lower-case keys, because Traefik matches label keys case-insensitively. */
function traefikLabels(labels: unknown): Record<string, string> {
  return Object.fromEntries(
    Object.entries(keyValues(labels))
      .filter(([key]) => key.toLowerCase().startsWith('traefik.'))
      .map(([key, value]) => [key.toLowerCase(), value]),
  );
}

/** Converts a Compose or Go duration (30s, 1m30s, 500ms, 2s) to milliseconds. */
function durationMs(value: unknown): number {
  const text = String(value);
  const unitMs: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(us|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) {
    throw new Error(`Invalid duration "${text}": expected a value such as 30s, 1m30s or 500ms`);
  }
  return parts.reduce((sum, part) => sum + Number(part[1]) * unitMs[part[2]], 0);
}

function healthcheckCommand(service: YamlMap): string {
  const test = field(asMap(service.healthcheck, 'healthcheck'), 'test');
  return Array.isArray(test) ? test.join(' ') : String(test);
}

const compose = loadYaml('docker-compose.yml');
const services = asMap(compose.services, 'services');
const service = (name: string) => asMap(services[name], `service ${name}`);
const api = service('api');
const apiEnv = keyValues(api.environment);
const apiLabels = traefikLabels(api.labels);

/** Reads an API timing variable from compose, falling back to the service's default. */
function apiSettingMs(name: string): number {
  return apiEnv[name] === undefined || apiEnv[name] === '' ? API_DEFAULTS[name] : Number(apiEnv[name]);
}

function labelsWithPrefix(prefix: string): Record<string, string> {
  return Object.fromEntries(Object.entries(apiLabels).filter(([key]) => key.startsWith(prefix)));
}

const routerPrefix = 'traefik.http.routers.payments-api.';
const servicePrefix = 'traefik.http.services.payments-api.loadbalancer.';

describe('docker-compose.yml images', () => {
  test('pins every pulled image to a version', () => {
    const pulled = Object.entries(services).filter(([, definition]) => asMap(definition, 'service').build === undefined);

    expect(pulled.length).toBeGreaterThan(0);
    for (const [name, definition] of pulled) {
      const image = String(asMap(definition, name).image);

      expect({ name, image }).toEqual({ name, image: expect.stringMatching(/^[\w./-]+:v?\d+\.\d+[\w.-]*$/) });
      expect({ name, image }).toEqual({ name, image: expect.not.stringMatching(/latest/) });
    }
  });

  test('pins Traefik to an exact v3 release', () => {
    expect(service('traefik').image).toMatch(/^traefik:v3\.\d+\.\d+$/);
  });

  test('pins PostgreSQL to an 18.x release', () => {
    expect(service('postgres').image).toMatch(/^postgres:18\.\d+(-[a-z]+)?$/);
  });

  test('builds api, migrate and gateway from the Dockerfile', () => {
    for (const name of ['api', 'migrate', 'gateway']) {
      expect({ name, build: service(name).build }).toEqual({ name, build: '.' });
    }
  });
});

describe('docker-compose.yml api service', () => {
  test('runs three replicas', () => {
    expect(asMap(api.deploy, 'api.deploy').replicas).toBe(3);
  });

  test('has no container_name', () => {
    expect(api).not.toHaveProperty('container_name');
  });

  test('publishes no host ports', () => {
    expect(api).not.toHaveProperty('ports');
  });

  test('puts Traefik labels on labels, not deploy.labels', () => {
    const deployLabels = traefikLabels(asMap(api.deploy, 'api.deploy').labels);

    expect(Object.keys(deployLabels)).toEqual([]);
    expect(apiLabels['traefik.enable']).toBe('true');
  });

  test('starts the API entry point', () => {
    expect(JSON.stringify(api.command)).toContain('node dist/src/main.js');
  });

  test('sets DATABASE_URL and GATEWAY_URL', () => {
    // Unset, the API would start an embedded PostgreSQL or an in-process mock gateway.
    expect(apiEnv.DATABASE_URL).toMatch(/^postgres:\/\/.+@postgres:5432\//);
    expect(apiEnv.GATEWAY_URL).toBe('http://gateway:4010');
  });

  test('waits for migrations, postgres and gateway', () => {
    const dependsOn = asMap(api.depends_on, 'api.depends_on');

    expect(dependsOn.migrate).toEqual({ condition: 'service_completed_successfully' });
    expect(dependsOn.postgres).toEqual({ condition: 'service_healthy' });
    expect(dependsOn.gateway).toEqual({ condition: 'service_healthy' });
  });

  test('stop_grace_period outlasts drain plus the longest request', () => {
    const longestRequestMs =
      apiSettingMs('GATEWAY_CONNECT_TIMEOUT_MS') + apiSettingMs('GATEWAY_TIMEOUT_MS') + apiSettingMs('IDEMPOTENCY_WAIT_MS');
    const gracePeriodMs = durationMs(api.stop_grace_period);

    expect(gracePeriodMs).toBeGreaterThan(15_000);
    expect(gracePeriodMs).toBeGreaterThan(apiSettingMs('SHUTDOWN_DRAIN_MS') + longestRequestMs);
  });

  test('probes liveness in its Docker healthcheck', () => {
    expect(healthcheckCommand(api)).toContain('/health/live');
  });
});

describe('docker-compose.yml Traefik labels', () => {
  test('routes the web entrypoint to the API port', () => {
    expect(apiLabels[`${routerPrefix}rule`]).toBe('PathPrefix(`/`)');
    expect(apiLabels[`${routerPrefix}entrypoints`]).toBe('web');
    expect(apiLabels[`${routerPrefix}service`]).toBe('payments-api');
    expect(apiLabels[`${servicePrefix}server.port`]).toBe(apiEnv.PORT ?? '3000');
  });

  test('health-checks /health/ready with interval and timeout', () => {
    expect(apiLabels[`${servicePrefix}healthcheck.path`]).toBe('/health/ready');
    expect(durationMs(apiLabels[`${servicePrefix}healthcheck.interval`])).toBeGreaterThan(0);
    expect(durationMs(apiLabels[`${servicePrefix}healthcheck.timeout`])).toBeGreaterThan(0);
  });

  test('removes a draining replica before the drain ends', () => {
    // Traefik marks a server down after one failed probe.
    const removalMs =
      durationMs(apiLabels[`${servicePrefix}healthcheck.interval`]) +
      durationMs(apiLabels[`${servicePrefix}healthcheck.timeout`]);

    expect(removalMs).toBeLessThan(apiSettingMs('SHUTDOWN_DRAIN_MS'));
  });

  test('router uses only the retry middleware', () => {
    expect(apiLabels[`${routerPrefix}middlewares`]).toBe('payments-api-retry');
  });

  test('retry middleware sets attempts and nothing else', () => {
    const middlewareLabels = labelsWithPrefix('traefik.http.middlewares.');

    expect(Object.keys(middlewareLabels)).toEqual(['traefik.http.middlewares.payments-api-retry.retry.attempts']);
    expect(Number(middlewareLabels['traefik.http.middlewares.payments-api-retry.retry.attempts'])).toBe(3);
  });

  test('sets no option that replays a POST', () => {
    const replayOptions = Object.keys(apiLabels).filter((key) =>
      /retrynonidempotentmethod|\.retry\.status|\.retry\.timeout|responseheadertimeout/.test(key),
    );

    expect(replayOptions).toEqual([]);
  });
});

describe('docker-compose.yml traefik service', () => {
  const traefik = service('traefik');
  const flags = (traefik.command as string[]).map((flag) => flag.toLowerCase());

  test('reads only containers that opt in', () => {
    expect(flags).toContain('--providers.docker=true');
    expect(flags).toContain('--providers.docker.exposedbydefault=false');
  });

  test('publishes the web entrypoint on host port 8080', () => {
    expect(flags).toContain('--entrypoints.web.address=:8080');
    expect(traefik.ports).toEqual(['8080:8080']);
  });

  test('mounts the Docker socket read-only', () => {
    expect(traefik.volumes).toContain('/var/run/docker.sock:/var/run/docker.sock:ro');
  });
});

describe('docker-compose.yml postgres, migrate and gateway', () => {
  test('postgres keeps its data in a named volume at /var/lib/postgresql', () => {
    const postgres = service('postgres');
    const volumes = postgres.volumes as string[];

    expect(volumes).toEqual(['postgres-data:/var/lib/postgresql']);
    expect(asMap(compose.volumes, 'volumes')).toHaveProperty('postgres-data');
  });

  test('postgres is health-checked with pg_isready over TCP', () => {
    const postgres = service('postgres');

    expect(healthcheckCommand(postgres)).toContain('pg_isready -h 127.0.0.1');
  });

  test('postgres password comes from the environment', () => {
    const password = keyValues(service('postgres').environment).POSTGRES_PASSWORD;

    expect(password).toMatch(/^\$\{POSTGRES_PASSWORD:-[^}]+\}$/);
    expect(readRepoFile('docker-compose.yml')).toMatch(/defaults for local use only/);
  });

  test('migrate runs once after postgres is healthy', () => {
    const migrate = service('migrate');

    expect(migrate.command).toEqual(['node', 'dist/src/database/migrate.js']);
    expect(asMap(migrate.depends_on, 'migrate.depends_on').postgres).toEqual({ condition: 'service_healthy' });
    expect(migrate.restart).toBe('no');
    expect(keyValues(migrate.environment).DATABASE_URL).toBe(apiEnv.DATABASE_URL);
  });

  test('gateway listens on all interfaces and is health-checked', () => {
    const gateway = service('gateway');

    expect(gateway.command).toEqual(['node', 'dist/src/mock-gateway/main.js']);
    expect(keyValues(gateway.environment).GATEWAY_HOST).toBe('0.0.0.0');
    expect(healthcheckCommand(gateway)).toContain('http://127.0.0.1:4010/health');
  });
});

describe('deploy/traefik', () => {
  const staticConfig = loadYaml('deploy/traefik/traefik.yml');
  const dynamicConfig = asMap(field(loadYaml('deploy/traefik/dynamic.yml'), 'http'), 'http');
  const routers = asMap(field(dynamicConfig, 'routers'), 'routers');
  const loadBalancer = asMap(
    field(asMap(field(asMap(field(dynamicConfig, 'services'), 'services'), 'payments-api'), 'payments-api'), 'loadBalancer'),
    'loadBalancer',
  );
  const middlewares = asMap(field(dynamicConfig, 'middlewares'), 'middlewares');

  test('static config listens on :8080 and loads dynamic.yml', () => {
    const web = asMap(field(asMap(field(staticConfig, 'entryPoints'), 'entryPoints'), 'web'), 'web');
    const fileProvider = asMap(field(asMap(field(staticConfig, 'providers'), 'providers'), 'file'), 'file');

    expect(field(web, 'address')).toBe(':8080');
    expect(field(fileProvider, 'filename')).toBe('deploy/traefik/dynamic.yml');
    expect(existsSync(join(REPO_ROOT, String(field(fileProvider, 'filename'))))).toBe(true);
  });

  test('lists the three local replicas', () => {
    const servers = (field(loadBalancer, 'servers') as YamlMap[]).map((server) => field(server, 'url'));

    expect(servers).toEqual(['http://127.0.0.1:3001', 'http://127.0.0.1:3002', 'http://127.0.0.1:3003']);
  });

  test('health check matches the compose labels', () => {
    const healthCheck = asMap(field(loadBalancer, 'healthCheck'), 'healthCheck');

    expect(field(healthCheck, 'path')).toBe('/health/ready');
    expect(durationMs(field(healthCheck, 'interval'))).toBe(
      durationMs(apiLabels[`${servicePrefix}healthcheck.interval`]),
    );
    expect(durationMs(field(healthCheck, 'timeout'))).toBe(durationMs(apiLabels[`${servicePrefix}healthcheck.timeout`]));
  });

  test('router uses the web entrypoint and the retry middleware', () => {
    const router = asMap(field(routers, 'payments-api'), 'router payments-api');

    expect(field(router, 'rule')).toBe('PathPrefix(`/`)');
    expect(field(router, 'entryPoints')).toEqual(['web']);
    expect(field(router, 'service')).toBe('payments-api');
    expect(field(router, 'middlewares')).toEqual(['payments-api-retry']);
  });

  test('retry middleware sets attempts and nothing else', () => {
    expect(Object.keys(middlewares)).toEqual(['payments-api-retry']);

    const retry = asMap(field(asMap(middlewares['payments-api-retry'], 'payments-api-retry'), 'retry'), 'retry');

    expect(Object.keys(retry)).toEqual(['attempts']);
    expect(String(retry.attempts)).toBe(apiLabels['traefik.http.middlewares.payments-api-retry.retry.attempts']);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readRepoFile('Dockerfile');
  const instructions = dockerfile
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
  const fromLines = instructions.filter((line) => line.startsWith('FROM '));
  const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

  test('builds in one stage and runs in another', () => {
    expect(fromLines).toHaveLength(2);
    expect(dockerfile).toMatch(/RUN npm ci\n/);
    expect(dockerfile).toMatch(/RUN npm run build\n/);
  });

  test('pins the Node 20 base image', () => {
    for (const line of fromLines) {
      expect(line).toMatch(/^FROM node:20\.\d+\.\d+-bookworm-slim AS \w+$/);
    }
  });

  test('runtime stage installs production dependencies only', () => {
    expect(runtimeStage).toContain('npm ci --omit=dev');
    expect(runtimeStage).toContain('COPY --from=build /app/dist ./dist');
  });

  test('runs as a non-root user', () => {
    const user = instructions.filter((line) => line.startsWith('USER ')).pop();

    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER (root|0)(:|$)/);
  });

  test('exposes 3000 and starts the API', () => {
    expect(instructions).toContain('EXPOSE 3000');
    expect(instructions).toContain('CMD ["node", "dist/src/main.js"]');
  });

  test('health-checks liveness with node fetch', () => {
    const healthcheck = dockerfile.slice(dockerfile.indexOf('HEALTHCHECK'));

    expect(healthcheck).toContain('/health/live');
    expect(healthcheck).toContain('fetch(');
    expect(healthcheck).not.toContain('curl');
  });

  test('.dockerignore keeps host builds out of the context', () => {
    const ignored = readRepoFile('.dockerignore').split('\n');

    for (const entry of ['node_modules', 'dist', '.git', '.env']) {
      expect(ignored).toContain(entry);
    }
  });
});
