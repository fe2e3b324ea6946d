#!/usr/bin/env node
/**
 * `npm run bench`: runs every bench/*.bench.js against the built apps, one after another, each printing its
 * figures and their ratio to a baseline measured in the same run. Run `npm run build` first (the npm script
 * does). Pass names to run a subset: `npm run bench -- webhook`.
 */
const { readdirSync } = require('node:fs');
const { join } = require('node:path');
const { spawnSync } = require('node:child_process');

const only = process.argv.slice(2);
const benches = readdirSync(__dirname)
  .filter((file) => file.endsWith('.bench.js'))
  .filter((file) => !only.length || only.some((name) => file.startsWith(name)))
  .sort();
let failed = 0;
for (const file of benches) {
  console.log(`\n### ${file}`);
  const result = spawnSync(process.execPath, [join(__dirname, file)], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
if (!benches.length) console.log('no benchmarks found');
process.exit(failed ? 1 : 0);
