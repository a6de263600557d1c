// Unit specs live beside the code (src, *.spec.ts); e2e specs under test/e2e; fault specs under
// test/fault; replicas behind a load balancer under test/cluster.
const fs = require('node:fs');
const swc = JSON.parse(fs.readFileSync(`${__dirname}/.swcrc`, 'utf8'));
delete swc.$schema;

// Several replicas share PostgreSQL and Redis; the embedded database serves one process, so
// those suites run only when both services are configured (CI's first pass does).
const replicas = process.env.DATABASE_URL && process.env.REDIS_URL;

module.exports = {
  testPathIgnorePatterns: ['/node_modules/', ...(replicas ? [] : ['replica'])],
  rootDir: __dirname,
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  // One alternative per line.
  testRegex: [
    'src/.*\\.spec\\.ts$',
    'test/.*\\.e2e-spec\\.ts$',
    'test/integration/.*\\.spec\\.ts$',
    'test/fault/.*\\.fault-spec\\.ts$',
    'test/docs/.*\\.spec\\.ts$',
    'test/deploy/.*\\.spec\\.ts$',
    'test/cluster/.*\\.cluster-spec\\.ts$',
  ],
  transform: { '^.+\\.(t|j)s$': ['@swc/jest', { ...swc, swcrc: false }] },
  // NestJS 12 ships ESM only; Jest must transform it to CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs)/)'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60000,
};
