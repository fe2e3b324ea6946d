/**
 * `node -r test/support/swc-register.js apps/api/src/main.ts`: runs the gateway from its TypeScript sources
 * (same swc settings as jest, `@app/*` mapped to libs/*\/src) when dist/ is missing or older than the sources.
 */
const { transformSync } = require('@swc/core');
const { readFileSync } = require('node:fs');
const Module = require('node:module');
const { join } = require('node:path');

const swcOptions = require('./swc-options');

const root = join(__dirname, '..', '..');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const alias = /^@app\/([^/]+)(\/.*)?$/.exec(request);
  return resolveFilename.call(this, alias ? join(root, 'libs', alias[1], 'src', alias[2] || '') : request, ...rest);
};

require.extensions['.ts'] = function compile(module, filename) {
  const { code } = transformSync(readFileSync(filename, 'utf8'), { ...swcOptions, filename });
  module._compile(code, filename);
};
