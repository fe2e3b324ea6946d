/**
 * Preloaded into the gateway by the webhook bench (`node -r bench/lib/pg-counter.js`, workers inherit it): counts
 * what node-postgres sends, each query being one round trip, and writes the totals to
 * `$BENCH_PG_STATS_DIR/<pid>.json` every second. Statements leave out BEGIN, COMMIT and ROLLBACK.
 */
const { renameSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const pg = require('pg');

const dir = process.env.BENCH_PG_STATS_DIR;
const counts = { roundTrips: 0, statements: 0 };
const original = pg.Client.prototype.query;
pg.Client.prototype.query = function query(config, ...rest) {
  counts.roundTrips++;
  const text = typeof config === 'string' ? config : (config?.text ?? '');
  if (!/^\s*(BEGIN|START TRANSACTION|COMMIT|ROLLBACK)\b/i.test(text)) counts.statements++;
  return original.call(this, config, ...rest);
};
if (dir) {
  // Written aside and renamed, so the bench never reads half a file.
  const write = () => {
    writeFileSync(join(dir, `.${process.pid}.tmp`), JSON.stringify(counts));
    renameSync(join(dir, `.${process.pid}.tmp`), join(dir, `${process.pid}.json`));
  };
  setInterval(write, 1000).unref();
  process.on('exit', write);
}
