#!/usr/bin/env node
/**
 * `node bench/cpu-profile-summary.js <file.cpuprofile> [top]`: where a `node --cpu-prof` run spent its CPU, as self
 * time summed by function and by package (node_modules/<name>, our own source, or node's internals).
 * `--skip-ms=N` leaves out the first N ms (start-up), so a profile taken under load shows the request path.
 */
const { readFileSync } = require('node:fs');

const args = process.argv.slice(2);
const skipMs = Number(args.find((arg) => arg.startsWith('--skip-ms='))?.slice(10) ?? 0);
const [file, top = '25'] = args.filter((arg) => !arg.startsWith('--'));
if (!file) {
  console.error('usage: node bench/cpu-profile-summary.js <file.cpuprofile> [top] [--skip-ms=N (leave out start-up)]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const selfUs = new Map();
let elapsedUs = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  elapsedUs += profile.timeDeltas[i] ?? 0;
  if (elapsedUs < skipMs * 1000) continue;
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}

function moduleOf(url) {
  if (!url) return '(native/idle)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const ours = /\/(apps\/[^/]+|libs\/[^/]+)\//.exec(url);
  return ours ? ours[1] : url;
}

const byFunction = new Map();
const byModule = new Map();
let total = 0;
for (const [id, us] of selfUs) {
  const { callFrame } = nodes.get(id);
  const fn = `${callFrame.functionName || '(anonymous)'} ${moduleOf(callFrame.url)}:${callFrame.lineNumber + 1}`;
  const mod = callFrame.url ? moduleOf(callFrame.url) : callFrame.functionName || '(native)';
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  byModule.set(mod, (byModule.get(mod) ?? 0) + us);
  total += us;
}

const print = (title, map) => {
  console.log(`\n${title}`);
  for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) {
    console.log(`  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`);
  }
};
console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled`);
print('self time by package or source folder', byModule);
print('self time by function', byFunction);
