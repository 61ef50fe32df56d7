import type { AgentApiComponents } from '@tempest/backstage-plugin-appliances-common/agent';

/**
 * The agent API's schemas as generated from `src/schema/openapi.yaml`
 * (`npm run generate`): the types the agent's own views and requests derive
 * from, so the code and the spec cannot drift apart.
 */
export type AgentApiSchemas = AgentApiComponents['schemas'];
