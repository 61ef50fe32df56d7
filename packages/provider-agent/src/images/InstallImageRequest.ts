import type { AgentApiSchemas } from '../api/apiTypes';
/** Version, URL, SHA-256, detached signature (inline or at a URL), trusted keys and, for an appliance, its OS. */
export type InstallImageRequest = AgentApiSchemas['InstallImageRequest'];
