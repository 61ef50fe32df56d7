/**
 * Test helpers of the agent for other packages' tests and benches, imported
 * as `@tempest/provider-agent/testing`: a running agent over mutual TLS, a
 * signed image channel, a private libvirtd, tool-dependent describe blocks.
 */
export { agentErrorCode } from './agentErrorCode';
export { startChannel, waitFor } from './channelFixture';
export { describeWithTools, findTool, missingTools } from './describeWithTools';
export { startImageServer } from './imageServer';
export type { ServedFile } from './imageServer';
export { startLibvirtd } from './libvirtdHarness';
export type { LibvirtdHandle } from './libvirtdHarness';
export { createSigningKey, sha256 } from './signing';
export { startTestAgent } from './startTestAgent';
export type { TestAgent } from './startTestAgent';
export { createTestPki } from './testPki';
export { qcow2Image } from './qcow2Image';
export { rfbConnect } from './rfbClient';
export type { RfbSession } from './rfbClient';
export {
  APPLIANCE_MARKER,
  CACHE_DIR,
  OS_MARKER,
  buildTinyAppliance,
} from './tinyAppliance';
export type { TinyAppliance } from './tinyAppliance';
export { allocatedBytes } from '../stats/diskUsage';
