import 'reflect-metadata';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  validateSync,
} from 'class-validator';

// Reads the raw string, because implicit conversion would turn "false" into true.
const toBoolean = ({ obj, key }: { obj: Record<string, unknown>; key: string }) => {
  const raw = obj[key];
  return typeof raw === 'string' ? ['true', '1', 'yes'].includes(raw.toLowerCase()) : raw;
};

/**
 * Every environment variable the service reads, with its default and unit.
 * .env.example lists the same variables for operators.
 */
export class EnvironmentVariables {
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT: number = 3000;

  @IsString()
  HOST: string = '0.0.0.0';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: string = 'info';

  /** Name echoed in the X-Replica-Id response header; empty to omit the header. */
  @IsString()
  REPLICA_ID: string = '';

  /** PostgreSQL connection string; when unset, an embedded PostgreSQL is started. */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must start with postgres:// or postgresql://' })
  DATABASE_URL?: string;

  @IsInt()
  @Min(1)
  @Max(1000)
  DATABASE_POOL_SIZE: number = 20;

  @IsInt()
  @Min(1024)
  @Max(65535)
  EMBEDDED_POSTGRES_PORT: number = 54329;

  @IsString()
  EMBEDDED_POSTGRES_DIR: string = '.data/postgres';

  /** Card gateway base URL; when unset, the mock gateway is started in this process. */
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] })
  GATEWAY_URL?: string;

  @IsInt()
  @Min(1024)
  @Max(65535)
  GATEWAY_PORT: number = 4010;

  /** Delay of the in-process mock gateway for the tok_slow token. */
  @IsInt()
  @Min(0)
  GATEWAY_SLOW_MS: number = 3000;

  @IsInt()
  @Min(1)
  GATEWAY_CONNECT_TIMEOUT_MS: number = 1000;

  @IsInt()
  @Min(1)
  GATEWAY_TIMEOUT_MS: number = 10000;

  /** Comma-separated ISO 4217 codes that POST /payments accepts. */
  @Matches(/^[A-Z]{3}(,[A-Z]{3})*$/, { message: 'CURRENCIES must be upper-case ISO 4217 codes separated by commas, e.g. USD,EUR' })
  CURRENCIES: string = 'USD,EUR,GBP,JPY,CHF,CAD,AUD';

  /** Time that /health/ready returns 503 after SIGTERM, before the server stops accepting connections. */
  @IsInt()
  @Min(0)
  SHUTDOWN_DRAIN_MS: number = 5000;

  @Transform(toBoolean)
  @IsBoolean()
  IDEMPOTENCY_ENABLED: boolean = true;

  @IsInt()
  @Min(0)
  IDEMPOTENCY_WAIT_MS: number = 5000;

  @IsInt()
  @Min(100)
  IDEMPOTENCY_LEASE_MS: number = 30000;

  @IsInt()
  @Min(10)
  IDEMPOTENCY_POLL_MS: number = 250;

  /** Seconds a completed key is kept and replayed. */
  @IsInt()
  @Min(1)
  IDEMPOTENCY_TTL: number = 86400;

  @IsInt()
  @Min(0)
  IDEMPOTENCY_RECOVERY_INTERVAL_MS: number = 5000;

  @IsInt()
  @Min(0)
  IDEMPOTENCY_CLEANUP_INTERVAL_MS: number = 60000;

  @IsInt()
  @Min(1)
  @Max(100000)
  IDEMPOTENCY_CLEANUP_BATCH_SIZE: number = 1000;
}

/**
 * Validates process.env once at start-up. Throws one error that names every invalid
 * variable, so a bad deployment is fixed in one pass.
 */
export function validateEnvironment(raw: Record<string, unknown>): EnvironmentVariables {
  const env = plainToInstance(EnvironmentVariables, withoutEmptyValues(raw), {
    enableImplicitConversion: true,
    exposeDefaultValues: true,
  });
  const errors = validateSync(env, { skipMissingProperties: false });
  const problems = errors.flatMap((error) => Object.values(error.constraints ?? {}));

  if (env.IDEMPOTENCY_LEASE_MS <= env.GATEWAY_TIMEOUT_MS + env.GATEWAY_CONNECT_TIMEOUT_MS) {
    problems.push(
      'IDEMPOTENCY_LEASE_MS must be greater than GATEWAY_TIMEOUT_MS + GATEWAY_CONNECT_TIMEOUT_MS, so that a lease outlives the gateway call it guards',
    );
  }
  if (problems.length > 0) {
    throw new Error(`Invalid environment: ${problems.join('; ')}`);
  }
  return env;
}

function withoutEmptyValues(raw: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== ''));
}
