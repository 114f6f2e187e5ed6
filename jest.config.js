/** Unit tests sit next to the code; e2e tests live in test/ and share one embedded PostgreSQL. */
const transform = { '^.+\\.ts$': ['ts-jest', { diagnostics: { ignoreCodes: ['TS151002'] } }] };

module.exports = {
  // The e2e suites share one database and gateway, and this machine has two cores.
  maxWorkers: 1,
  // Scenarios wait on real gateway delays, leases and process restarts.
  testTimeout: 30000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/deployment/**/*.spec.ts'],
      transform,
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      transform,
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
    {
      // Starts its own cluster (three replicas behind HAProxy); see test/cluster/support/global-setup.ts.
      displayName: 'cluster',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/test/cluster/**/*.cluster-spec.ts'],
      transform,
      globalSetup: '<rootDir>/test/cluster/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/cluster/support/global-teardown.ts',
    },
  ],
};
