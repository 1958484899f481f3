// One Jest run, several projects: the scheduler library, persistence, and the API (unit,
// integration against a real database, e2e over HTTP). SWC strips types (with decorator
// metadata, which Nest needs); `npm run typecheck` is the type check.
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
const moduleNameMapper = {
  '^@pflex/scheduler$': '<rootDir>/libs/scheduler/src/index.ts',
  '^@pflex/persistence$': '<rootDir>/libs/persistence/src/index.ts',
};
const common = { rootDir: __dirname, transform: { '^.+\\.ts$': swc }, moduleNameMapper, testEnvironment: 'node' };

module.exports = {
  projects: [
    { ...common, displayName: 'scheduler', testMatch: ['<rootDir>/libs/scheduler/**/*.spec.ts'] },
    { ...common, displayName: 'persistence', testMatch: ['<rootDir>/libs/persistence/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'api',
      testMatch: ['<rootDir>/apps/api/**/*.spec.ts', '<rootDir>/apps/api/**/*.integration-spec.ts', '<rootDir>/apps/api/**/*.e2e-spec.ts'],
    },
    { ...common, displayName: 'infra', testMatch: ['<rootDir>/infra/**/*.spec.ts', '<rootDir>/load-tests/**/*.spec.ts'] },
  ],
};
