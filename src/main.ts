import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { AppModule } from './app.module';
import { validateEnvironment } from './config/environment';
import { runMigrations } from './database/migrate';
import { resolveDatabase } from './database/resolve-database';
import { seedDemoMerchant } from './merchants/demo-merchant';
import { startMockGateway } from './mock-gateway/mock-gateway.server';
import { configureHttp } from './http.setup';

async function bootstrap(): Promise<void> {
  const env = validateEnvironment(process.env);
  const log = pino({ level: env.LOG_LEVEL, base: { replicaId: env.REPLICA_ID || undefined } });

  const database = await resolveDatabase(process.env, (message) => log.info(message));
  if (database.embedded) {
    await runMigrations(database.url, (message) => log.info(message));
  }
  const mockGateway = env.GATEWAY_URL
    ? undefined
    : await startMockGateway({ port: env.GATEWAY_PORT, slowMs: env.GATEWAY_SLOW_MS, logger: log.child({ component: 'mock-gateway' }) });
  const gatewayUrl = env.GATEWAY_URL ?? mockGateway!.url;

  const stopOwnedProcesses = async () => {
    await mockGateway?.close();
    await database.stop();
  };
  const app = await NestFactory.create(
    AppModule.register({ databaseUrl: database.url, gatewayUrl, onShutdown: stopOwnedProcesses }),
    { bufferLogs: true },
  );
  app.useLogger(app.get(Logger));
  configureHttp(app, env.REPLICA_ID);
  SwaggerModule.setup('docs', app, () =>
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Payments API')
        .setDescription('Card payments that are never charged or recorded twice. See docs/idempotency.md.')
        .setVersion('1.0')
        .addBearerAuth()
        .build(),
    ),
  );
  app.enableShutdownHooks();

  await app.listen(env.PORT, env.HOST);
  const url = `http://127.0.0.1:${env.PORT}`;
  log.info({ url, gatewayUrl, embeddedDatabase: database.embedded }, `Payments API listening on ${url}`);

  if (database.embedded) {
    const demo = await seedDemoMerchant(app.get(DataSource));
    log.info({ merchantId: demo.merchantId }, `Demo merchant ready. Test API key: ${demo.apiKey}`);
  }
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
