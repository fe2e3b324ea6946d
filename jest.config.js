/** Unit tests sit beside the code (`*.spec.ts`); e2e suites live in `test/` and boot the real apps. */
const swcOptions = require('./test/support/swc-options');

const swc = ['@swc/jest', swcOptions];

const shared = {
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: { '^@app/(.*)$': '<rootDir>/libs/$1/src' },
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
};

module.exports = {
  maxWorkers: process.env.JEST_MAX_WORKERS || 2,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'e2e',
      setupFilesAfterEnv: ['<rootDir>/test/support/jest-setup.ts'],
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
    },
  ],
};
