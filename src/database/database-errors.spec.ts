import { isDatabaseUnavailable, isLockNotAvailable, isUniqueViolation } from './database-errors';

describe('database errors', () => {
  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['an administrator shutdown', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['a pool wait timeout', new Error('timeout exceeded when trying to connect')],
    ['a connection lost mid-query', new Error('Connection terminated unexpectedly')],
    ['a broken pooled connection', new Error('Client has encountered a connection error and is not queryable')],
    ['a closed pooled connection', new Error('Client was closed and is not queryable')],
  ])('treats %s as unavailable', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it('treats a constraint violation as available', () => {
    const error = Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' });

    expect(isDatabaseUnavailable(error)).toBe(false);
    expect(isUniqueViolation(error)).toBe(true);
  });

  it('recognises a lock timeout', () => {
    expect(isLockNotAvailable(Object.assign(new Error('canceling statement due to lock timeout'), { code: '55P03' }))).toBe(true);
  });
});
