// e2e suites boot two servers and a database per file; give them room on a two-core machine.
jest.setTimeout(60_000);
