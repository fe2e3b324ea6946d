/** The one swc setting for running our TypeScript outside `nest build`: jest's transform and swc-register.js. */
module.exports = {
  jsc: {
    keepClassNames: true,
    parser: { decorators: true, syntax: 'typescript' },
    target: 'es2022',
    transform: { decoratorMetadata: true, legacyDecorator: true, useDefineForClassFields: false },
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};
