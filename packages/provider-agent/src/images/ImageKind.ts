import type { AgentApiSchemas } from '../api/apiTypes';

export type ImageKind = AgentApiSchemas['ImageKind'];
export const IMAGE_KINDS = [
  'os',
  'appliance',
  'boot',
] as const satisfies readonly ImageKind[];
