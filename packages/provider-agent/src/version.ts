// Read at run time so the reported version always matches package.json.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const agentVersion: string = require('../package.json').version;
