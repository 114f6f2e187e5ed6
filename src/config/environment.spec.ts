import { validateEnvironment } from './environment';

describe('validateEnvironment', () => {
  it('applies defaults to an empty environment', () => {
    const env = validateEnvironment({});

    expect(env.PORT).toBe(3000);
    expect(env.IDEMPOTENCY_ENABLED).toBe(true);
    expect(env.IDEMPOTENCY_TTL).toBe(86400);
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it('converts numbers and booleans from strings', () => {
    const env = validateEnvironment({ PORT: '8080', IDEMPOTENCY_ENABLED: 'false', IDEMPOTENCY_WAIT_MS: '0' });

    expect(env.PORT).toBe(8080);
    expect(env.IDEMPOTENCY_ENABLED).toBe(false);
    expect(env.IDEMPOTENCY_WAIT_MS).toBe(0);
  });

  it('names every invalid variable in one error', () => {
    const validate = () =>
      validateEnvironment({ PORT: 'eighty', DATABASE_URL: 'mysql://x', CURRENCIES: 'usd', LOG_LEVEL: 'loud' });

    expect(validate).toThrow(/PORT/);
    expect(validate).toThrow(/DATABASE_URL/);
    expect(validate).toThrow(/CURRENCIES/);
    expect(validate).toThrow(/LOG_LEVEL/);
  });

  it('rejects a lease shorter than the gateway call it guards', () => {
    expect(() => validateEnvironment({ IDEMPOTENCY_LEASE_MS: '5000', GATEWAY_TIMEOUT_MS: '10000' })).toThrow(
      /IDEMPOTENCY_LEASE_MS must be greater/,
    );
  });
});
