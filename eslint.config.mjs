import js from '@eslint/js';
import globals from 'globals';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/**
 * What each library may import (docs/architecture.md): dependencies point one way, from features down to the
 * platform. A library never reaches into another's files, into apps/ or into test/.
 */
const LIBRARY_IMPORTS = {
  config: [],
  common: ['config'],
  persistence: ['common', 'config'],
  auth: ['common', 'config', 'persistence'],
  events: ['auth', 'common', 'config', 'persistence'],
  bazaar: ['auth', 'common', 'config', 'events', 'persistence'],
  'scorm-cloud': ['auth', 'common', 'config', 'events', 'persistence'],
  webhook: ['auth', 'common', 'config', 'events', 'persistence', 'scorm-cloud'],
};

const libraryBoundaries = Object.entries(LIBRARY_IMPORTS).map(([library, allowed]) => ({
  files: [`libs/${library}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          { group: ['@app/*/*'], message: 'Import a library through its index' },
          {
            group: Object.keys(LIBRARY_IMPORTS)
              .filter((other) => other !== library && !allowed.includes(other))
              .map((other) => `@app/${other}`),
            message: `libs/${library} may import only ${allowed.map((a) => '@app/' + a).join(', ') || 'no other library'} (docs/architecture.md)`,
          },
          {
            group: Object.keys(LIBRARY_IMPORTS)
              .filter((other) => other !== library)
              .map((other) => `**/${other}/src/**`),
            message: 'Import a library through @app/<name>, never by a path into its files',
          },
          { group: ['**/test/**', '**/apps/**'], message: 'A library imports neither tests nor apps' },
        ].filter((pattern) => pattern.group.length),
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'artifacts/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unsafe-function-type': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // A service never reads process.env: configuration comes validated from @app/config.
    files: ['libs/**/*.ts'],
    ignores: ['libs/config/**'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Inject AppConfigService' }],
    },
  },
  ...libraryBoundaries,
  {
    // The sandbox is the other party: it shares no code with the gateway.
    files: ['apps/sandbox/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@app/*', '**/libs/**'], message: 'The sandbox imports no gateway library' }] },
      ],
    },
  },
  {
    // The demo LMS page's script runs in the browser as a classic script.
    files: ['apps/sandbox/src/**/public/**/*.js'],
    languageOptions: { globals: { ...globals.browser }, sourceType: 'script' },
  },
  {
    files: ['scripts/**/*.js', 'bench/**/*.js', 'test/**/*.js', '**/*.cjs', 'jest.config.js'],
    languageOptions: { globals: { ...globals.node }, sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off', 'no-console': 'off' },
  },
  {
    files: ['test/**/*.ts', 'scripts/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
