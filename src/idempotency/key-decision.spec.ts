import type { ExistingKey } from './idempotency-key.record';
import { decideOnExistingKey } from './key-decision';

describe('decideOnExistingKey', () => {
  const hash = Buffer.alloc(32, 1);
  const otherHash = Buffer.alloc(32, 2);
  const response = { status: 201, headers: {}, body: Buffer.from('{}') };
  const key = (overrides: Partial<ExistingKey>): ExistingKey => ({
    id: 'key-1',
    status: 'processing',
    requestHash: hash,
    fencingToken: '1',
    leaseActive: true,
    expired: false,
    response: null,
    ...overrides,
  });
  const completed = (overrides: Partial<ExistingKey> = {}) =>
    key({ status: 'completed', leaseActive: false, response, ...overrides });

  it('replays a completed key for the same request', () => {
    expect(decideOnExistingKey(completed(), hash)).toEqual({ action: 'replay' });
  });

  it('waits while the owner holds a live lease', () => {
    expect(decideOnExistingKey(key({}), hash)).toEqual({ action: 'wait' });
  });

  it('takes over once the lease has expired', () => {
    expect(decideOnExistingKey(key({ leaseActive: false }), hash)).toEqual({ action: 'take_over' });
  });

  it.each([
    ['the same request', hash],
    ['a different request', otherHash],
  ])('reuses an expired completed key for %s', (_case, requestHash) => {
    expect(decideOnExistingKey(completed({ expired: true }), requestHash)).toEqual({ action: 'take_over' });
  });

  it.each([
    ['a completed key', completed()],
    ['a key in flight', key({})],
    ['an abandoned key', key({ leaseActive: false })],
  ])('rejects a different request on %s', (_case, existing) => {
    expect(decideOnExistingKey(existing, otherHash)).toEqual({ action: 'mismatch' });
  });
});
