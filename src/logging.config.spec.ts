import { serializeError } from './logging.config';

describe('serializeError', () => {
  it('drops query parameters and row values', () => {
    const error = Object.assign(new Error('invalid input syntax'), {
      query: 'INSERT INTO idempotency_keys ...',
      parameters: ['merchant', '{"source":"tok_visa"}'],
      detail: 'Failing row contains (tok_visa)',
      driverError: { detail: 'tok_visa' },
    });

    const serialized = serializeError(error);

    expect(JSON.stringify(serialized)).not.toContain('tok_visa');
    expect(serialized.message).toBe('invalid input syntax');
    expect(serialized.query).toBe('INSERT INTO idempotency_keys ...');
  });
});
