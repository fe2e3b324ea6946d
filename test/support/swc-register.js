/**
 * `node -r test/support/swc-register.js apps/api/src/main.ts`: runs the gateway from its TypeScript sources
 * (same swc settings as jest, `@app/*` mapped to libs/*\/src) when dist/ is missing or older than the sources.
 */
const { transformSync } = require('@swc/core');
const { readFileSync } = require('node:fs');
const Module = require('node:module');
const { join } = require('node:path');

const root = join(__dirname, '..', '..');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const alias = /^@app\/([^/]+)(\/.*)?$/.exec(request);
  return resolveFilename.call(this, alias ? join(root, 'libs', alias[1], 'src', alias[2] || '') : request, ...rest);
};

require.extensions['.ts'] = function compile(module, filename) {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    jsc: {
      keepClassNames: true,
      parser: { decorators: true, syntax: 'typescript' },
      target: 'es2022',
      transform: { decoratorMetadata: true, legacyDecorator: true, useDefineForClassFields: false },
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  });
  module._compile(code, filename);
};
