/**
 * Prints the plain closing line "N passed, N failed, N skipped" after a jest run, and appends the counts to
 * $TEST_SUMMARY_FILE when set, so .ci/run can print one total for all its suites.
 */
const { appendFileSync } = require('node:fs');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const passed = results.numPassedTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    console.log(`\njest: ${passed} passed, ${failed} failed, ${skipped} skipped`);
    if (process.env.TEST_SUMMARY_FILE)
      appendFileSync(process.env.TEST_SUMMARY_FILE, `${passed} ${failed} ${skipped}\n`);
  }
}

module.exports = SummaryReporter;
