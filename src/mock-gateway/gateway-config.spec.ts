import { GatewayConfigError, readGatewayConfig } from './gateway-config';

describe('readGatewayConfig', () => {
  it('uses defaults for unset variables', () => {
    expect(readGatewayConfig({})).toEqual({ host: '127.0.0.1', port: 4010, slowMs: 3000 });
  });

  it('uses defaults for empty variables', () => {
    const env = { GATEWAY_HOST: '', GATEWAY_PORT: '', GATEWAY_SLOW_MS: '' };
    expect(readGatewayConfig(env)).toEqual({ host: '127.0.0.1', port: 4010, slowMs: 3000 });
  });

  it('reads valid values', () => {
    const env = { GATEWAY_HOST: '::1', GATEWAY_PORT: '0', GATEWAY_SLOW_MS: '250' };
    expect(readGatewayConfig(env)).toEqual({ host: '::1', port: 0, slowMs: 250 });
    expect(readGatewayConfig({ GATEWAY_HOST: 'localhost' }).host).toBe('localhost');
    expect(readGatewayConfig({ GATEWAY_PORT: '65535' }).port).toBe(65535);
  });

  it.each([
    ['GATEWAY_PORT', 'abc'],
    ['GATEWAY_PORT', '-1'],
    ['GATEWAY_PORT', '65536'],
    ['GATEWAY_PORT', '40.5'],
    ['GATEWAY_PORT', ' 4010'],
    ['GATEWAY_SLOW_MS', '1e3'],
    ['GATEWAY_SLOW_MS', '2147483648'],
    ['GATEWAY_HOST', 'bad host'],
    ['GATEWAY_HOST', 'http://127.0.0.1'],
  ])('rejects %s=%j', (name, value) => {
    const read = (): unknown => readGatewayConfig({ [name]: value });
    expect(read).toThrow(GatewayConfigError);
    expect(read).toThrow(new RegExp(`^${name} must be `));
    expect(read).toThrow(`, got ${JSON.stringify(value)}.`);
  });
});
