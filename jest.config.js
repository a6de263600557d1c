// Unit specs live beside the code (src, *.spec.ts); integration specs under test/integration;
// e2e specs under test/e2e; fault specs under test/fault; replicas behind a load balancer under
// test/cluster; the API reference and the Kubernetes manifests under test/docs and test/deploy.
const fs = require('node:fs');
const swc = JSON.parse(fs.readFileSync(`${__dirname}/.swcrc`, 'utf8'));
delete swc.$schema;

// Several replicas share PostgreSQL and Redis; the embedded database serves one process, so
// those suites run only when both services are configured.
const replicas = process.env.DATABASE_URL && process.env.REDIS_URL;

// Every kind of test file, one alternative per line.
const testFiles = [
  'src/.*\\.spec\\.ts$',
  'test/.*\\.e2e-spec\\.ts$',
  'test/integration/.*\\.spec\\.ts$',
  'test/fault/.*\\.fault-spec\\.ts$',
  'test/docs/.*\\.spec\\.ts$',
  'test/deploy/.*\\.spec\\.ts$',
  'test/cluster/.*\\.cluster-spec\\.ts$',
];

// Tiers. `npm test` (and test:unit, test:e2e) runs the fast tier: every file outside the tiers
// below, minutes on two cores. The others have their own scripts, and `npm run test:all` runs
// everything (.ci/run runs every tier).
// - slow: e2e suites that start and stop whole service processes (ts-node boots, restarts,
//   drains, the admin CLI), cut the database, or are the longest (over ~25 s each on two quiet
//   cores, estimated from a run on a loaded machine with the embedded database)
const slowSuites = [
  'admin-cli',
  'auth-tokens',
  'cluster-replicas',
  'database-faults',
  'files-s3',
  'logging',
  'migrations-embedded',
  'migrations-replicas',
  'password-reset',
  'production-boot',
  'providers',
  'rate-limits',
  'replica-processes',
  'restart',
  'shutdown',
  'ws-shutdown',
];
const slow = `/test/e2e/(${slowSuites.join('|')})\\.e2e-spec\\.ts$`;
// - fault, load, fuzz and abuse (test:fault); three replicas behind HAProxy (test:cluster)
const ownScripts = ['/test/fault/', '/test/cluster/'];

// Which tier a run selects follows the npm script that started it. Paths named on the command
// line (`npm test -- test/e2e/restart.e2e-spec.ts`) run whatever their tier, and so does jest
// started directly.
const script = process.env.npm_lifecycle_event;
const args = process.argv.slice(2);
const named = args.some(
  (arg, i) =>
    /^(\.\/)?(src|test)\//.test(arg) &&
    !/^(--testPathPatterns?|--testNamePattern|-t)$/.test(args[i - 1] ?? '') &&
    fs.existsSync(arg),
);
const fastTier = !named && ['test', 'test:unit', 'test:e2e'].includes(script);
const slowTier = script === 'test:slow';

module.exports = {
  testPathIgnorePatterns: [
    '/node_modules/',
    ...(replicas ? [] : ['replica']),
    ...(fastTier ? [slow, ...ownScripts] : []),
  ],
  rootDir: __dirname,
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  testRegex: slowTier ? slow : testFiles,
  transform: { '^.+\\.(t|j)s$': ['@swc/jest', { ...swc, swcrc: false }] },
  // NestJS 12 ships ESM only; Jest must transform it to CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs)/)'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60000,
};
