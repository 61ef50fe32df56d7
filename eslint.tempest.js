// The lint config every Tempest package uses: Backstage's, plus the rules
// that keep packages meeting only at their front doors.
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

module.exports = (dir, extraConfig = {}) =>
  createConfig(dir, {
    ...extraConfig,
    rules: {
      // A distinct rule from no-restricted-imports, so Backstage's own
      // restrictions (which differ for tests) stay as they are.
      '@typescript-eslint/no-restricted-imports': ['error', frontDoors],
      ...extraConfig.rules,
    },
  });
