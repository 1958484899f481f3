// One Jest run, several projects in two tiers. Unit (`npm run test:unit`, no database, seconds):
// the scheduler library, the API's `*.spec.ts` next to the code and `test/unit/*.unit-spec.ts`
// (services wired to the fakes of `test/support/`), infra and load-test tools. Database
// (`npm run test:e2e`): persistence, the API's integration and e2e specs, the invariant checker.
// `npm test` runs both. SWC strips types (with decorator metadata, which Nest needs);
// `npm run typecheck` is the type check.
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];
// NestJS 12, @nestjs/graphql 14 and a few of their dependencies ship ESM only, and PGlite's CommonJS
// build loads its parts with dynamic import(); Jest (on Node 20) supports neither without
// --experimental-vm-modules, so the persistence and api projects let SWC compile those packages
// to plain CommonJS as well.
const swcJs = [
  '@swc/jest',
  { jsc: { target: 'es2022', parser: { syntax: 'ecmascript' } }, module: { type: 'commonjs' } },
];
const esmOnly = [
  '@electric-sql',
  '@nestjs',
  '@as-integrations',
  '@apollo/server',
  'graphql-ws',
  'file-type',
  'strtok3',
  'token-types',
  'uint8array-extras',
  '@borewit',
  'load-esm',
];
const esmTransform = {
  transform: { '^.+\\.ts$': swc, '^.+\\.[mc]?js$': swcJs },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
};
const moduleNameMapper = {
  '^@pflex/scheduler$': '<rootDir>/libs/scheduler/src/index.ts',
  '^@pflex/persistence$': '<rootDir>/libs/persistence/src/index.ts',
};
const common = { rootDir: __dirname, transform: { '^.+\\.ts$': swc }, moduleNameMapper, testEnvironment: 'node' };

module.exports = {
  projects: [
    { ...common, displayName: 'scheduler', testMatch: ['<rootDir>/libs/scheduler/**/*.spec.ts'] },
    { ...common, ...esmTransform, displayName: 'persistence', testMatch: ['<rootDir>/libs/persistence/**/*.spec.ts'] },
    {
      ...common,
      ...esmTransform,
      displayName: 'api-unit',
      testMatch: ['<rootDir>/apps/api/**/*.spec.ts', '<rootDir>/apps/api/test/unit/**/*.unit-spec.ts'],
      // no database in this tier: opening one fails at once instead of slowing the tier down
      moduleNameMapper: {
        ...moduleNameMapper,
        '^pg$': '<rootDir>/apps/api/test/support/no-database.ts',
        '^@electric-sql/pglite$': '<rootDir>/apps/api/test/support/no-database.ts',
      },
    },
    {
      ...common,
      ...esmTransform,
      displayName: 'api-e2e',
      testMatch: ['<rootDir>/apps/api/**/*.integration-spec.ts', '<rootDir>/apps/api/**/*.e2e-spec.ts'],
    },
    {
      ...common,
      displayName: 'infra',
      testMatch: ['<rootDir>/infra/**/*.spec.ts', '<rootDir>/load-tests/**/*.spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/load-tests/check-invariants\\.spec\\.ts$'],
    },
    // the invariant checker against PostgreSQL (DATABASE_URL; skipped without it)
    { ...common, displayName: 'invariants', testMatch: ['<rootDir>/load-tests/check-invariants.spec.ts'] },
  ],
};
