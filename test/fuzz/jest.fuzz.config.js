/** The fuzz suite runs alone (`npm run test:fuzz`), with the e2e project's transform and set-up. */
const base = require('../../jest.config.js');

const e2e = base.projects.find((project) => project.displayName === 'e2e');

module.exports = {
  ...e2e,
  displayName: 'fuzz',
  reporters: base.reporters,
  rootDir: '../..',
  testMatch: ['<rootDir>/test/fuzz/**/*.fuzz-spec.ts'],
};
