import { NestFactory } from '@nestjs/core';
import { Idempotency } from '@node-idempotency/core';
import { RedisStorageAdapter } from '@node-idempotency/storage-adapter-redis';
import { Logger } from 'nestjs-pino';
import { AppModule } from '../../src/app.module';
import { validateEnvironment } from '../../src/config/environment';
import { configureHttp } from '../../src/http.setup';
import { RedisIdempotencyInterceptor } from './redis-idempotency.interceptor';

/*
 * Benchmark-only entry point: the service with its own Idempotency-Key handling turned off
 * (IDEMPOTENCY_ENABLED=false) and the Redis approach applied as a global interceptor. It
 * boots like src/main.ts, without the Swagger page and without the embedded database and
 * mock gateway fallbacks, so DATABASE_URL and GATEWAY_URL are required.
 *
 * BENCH_REDIS_URL is the Redis server (default redis://127.0.0.1:6379) and BENCH_REDIS_PREFIX
 * the key prefix, which lets the benchmark delete its own keys afterwards.
 */
async function bootstrap(): Promise<void> {
  const env = validateEnvironment(process.env);
  if (env.IDEMPOTENCY_ENABLED || !env.DATABASE_URL || !env.GATEWAY_URL) {
    throw new Error('Set IDEMPOTENCY_ENABLED=false, DATABASE_URL and GATEWAY_URL to run the Redis variant');
  }

  const storage = new RedisStorageAdapter({ url: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379' });
  await storage.connect();
  const idempotency = new Idempotency(storage, {
    cacheKeyPrefix: process.env.BENCH_REDIS_PREFIX ?? 'payments-bench',
    cacheTTLMS: env.IDEMPOTENCY_TTL * 1000,
    enforceIdempotency: true,
    // Duplicates wait for the first request and replay it, as the service's own duplicates do.
    inProgressStrategy: { wait: true, pollingIntervalMs: 100, maxWaitMs: env.IDEMPOTENCY_WAIT_MS },
  });

  const app = await NestFactory.create(
    AppModule.register({ databaseUrl: env.DATABASE_URL, gatewayUrl: env.GATEWAY_URL, onShutdown: () => storage.disconnect() }),
    { bufferLogs: true },
  );
  app.useLogger(app.get(Logger));
  configureHttp(app, env.REPLICA_ID);
  app.useGlobalInterceptors(new RedisIdempotencyInterceptor(idempotency));
  app.enableShutdownHooks();
  await app.listen(env.PORT, env.HOST);
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
