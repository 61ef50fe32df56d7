export {
  AGENT_CALL_TIMEOUT_HEADER,
  agentCallTimeout,
  createAgentClient,
} from './createAgentClient';
export type { AgentClient, AgentClientOptions } from './createAgentClient';
export type {
  paths as AgentApiPaths,
  components as AgentApiComponents,
} from '../generated/agentApi';
