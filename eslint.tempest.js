// The lint config every Tempest package uses: Backstage's, plus the rules
// that keep packages meeting only at their front doors and errors visible.
const createConfig = require('@backstage/cli/config/eslint-factory');

const frontDoors = {
  patterns: [
    {
      group: ['@tempest/*/src', '@tempest/*/src/**'],
      message:
        "Import another package through its entry point (or its 'testing' subpath), never its src/.",
    },
  ],
};

const swallowedErrors = [
  {
    selector: 'CatchClause > BlockStatement[body.length=0]',
    message:
      'An empty catch swallows every error: handle the ones you expect (e.g. ENOENT) and rethrow or log the rest.',
  },
  {
    selector:
      "CallExpression[callee.property.name='catch'] > ArrowFunctionExpression[params.length=0]",
    message:
      'A .catch(() => ...) that never looks at the error swallows every error: handle the ones you expect (e.g. ENOENT) and rethrow or log the rest.',
  },
];

/** Adds our syntax restrictions to a no-restricted-syntax setting, as errors. */
function withSwallowedErrors(setting) {
  const [, ...selectors] = setting ?? ['error'];
  return ['error', ...selectors, ...swallowedErrors];
}

module.exports = (dir, extraConfig = {}) => {
  const config = createConfig(dir, {
    ...extraConfig,
    rules: {
      // A distinct rule from no-restricted-imports, so Backstage's own
      // restrictions (which differ for tests) stay as they are.
      '@typescript-eslint/no-restricted-imports': ['error', frontDoors],
      ...extraConfig.rules,
    },
  });
  // Backstage sets no-restricted-syntax per role and again for tests; ours
  // joins each of those settings rather than replacing them.
  config.rules['no-restricted-syntax'] = withSwallowedErrors(
    config.rules['no-restricted-syntax'],
  );
  for (const override of config.overrides ?? []) {
    if (override.rules?.['no-restricted-syntax']) {
      override.rules['no-restricted-syntax'] = withSwallowedErrors(
        override.rules['no-restricted-syntax'],
      );
    }
  }
  return config;
};
