import { isIP } from 'node:net';

import { DEFAULT_GATEWAY_HOST, DEFAULT_SLOW_MS, MAX_SLOW_MS } from './mock-gateway.server';

export const DEFAULT_GATEWAY_PORT = 4010;

// Dot-separated DNS labels of letters, digits and inner hyphens.
const HOSTNAME_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
const HOSTNAME_PATTERN = new RegExp(`^${HOSTNAME_LABEL}(?:\\.${HOSTNAME_LABEL})*$`);

export interface GatewayConfig {
  host: string;
  port: number;
  slowMs: number;
}

/** Raised for an invalid environment variable. The message names the variable and fits on one line. */
export class GatewayConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GatewayConfigError';
  }
}

/**
 * Reads GATEWAY_HOST, GATEWAY_PORT and GATEWAY_SLOW_MS. An unset or empty variable takes its
 * default. Throws GatewayConfigError for the first invalid one.
 */
export function readGatewayConfig(env: NodeJS.ProcessEnv): GatewayConfig {
  return {
    host: readHost(env, 'GATEWAY_HOST', DEFAULT_GATEWAY_HOST),
    port: readInteger(env, 'GATEWAY_PORT', DEFAULT_GATEWAY_PORT, 65535),
    slowMs: readInteger(env, 'GATEWAY_SLOW_MS', DEFAULT_SLOW_MS, MAX_SLOW_MS),
  };
}

function readHost(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const value = env[name];
  if (value === undefined || value === '') {
    return fallback;
  }
  if (isIP(value) === 0 && !HOSTNAME_PATTERN.test(value)) {
    throw new GatewayConfigError(`${name} must be an IP address or host name, got ${JSON.stringify(value)}.`);
  }
  return value;
}

function readInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number): number {
  const value = env[name];
  if (value === undefined || value === '') {
    return fallback;
  }
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed > max) {
    const quoted = JSON.stringify(value);
    throw new GatewayConfigError(`${name} must be an integer from 0 to ${max}, got ${quoted}.`);
  }
  return parsed;
}
