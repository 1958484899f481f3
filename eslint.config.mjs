// One lint gate for the repository (`npm run lint`, run by .ci/run): typescript-eslint's
// type-checked recommended rules on the TypeScript, ESLint's recommended rules on the console's
// browser modules; formatting is Prettier's (.prettierrc.json), checked by the same script.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'test-results/**',
      'load-tests/results/**',
      'data/**',
      '**/*.d.ts',
    ],
  },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // unused names fail the type check (noUnusedLocals / noUnusedParameters); `_name` marks one kept on purpose
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Fastify hooks, Apollo plugin hooks and interface implementations are async by contract,
      // with or without an await inside
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // tests read GraphQL answers and fixtures as `any`, and the load, fault and infrastructure
    // tooling reads untyped JSON and YAML from HTTP and files: the unsafe-any family would flag every read
    files: [
      '**/*.spec.ts',
      '**/*.e2e-spec.ts',
      '**/*.integration-spec.ts',
      '**/*.unit-spec.ts',
      '**/test/**/*.ts',
      'load-tests/**/*.ts',
      'infra/**/*.ts',
    ],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['apps/api/dashboard-web/**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'module', globals: { ...globals.browser, echarts: 'readonly' } },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ignores: ['apps/api/dashboard-web/**'],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
  },
);
