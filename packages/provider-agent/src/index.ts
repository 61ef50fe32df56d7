/**
 * tempest-agent: the host daemon that does all virtualization host work over
 * mutual TLS. The CA and certificate functions are exported so the backend
 * and tests can create a CA in-process.
 */
export { createCertificateAuthority } from './pki/createCertificateAuthority';
export type {
  CertificateAuthority,
  CreateCaOptions,
} from './pki/createCertificateAuthority';
export { issueCertificate } from './pki/issueCertificate';
export type {
  CertificateKind,
  IssueCertificateOptions,
  IssuedCertificate,
} from './pki/issueCertificate';
export { signCertificateRequest } from './pki/signCertificateRequest';
export type { SignCertificateRequestOptions } from './pki/signCertificateRequest';
export {
  writePrivateKey,
  writeCertificate,
  readCertificateAuthority,
} from './pki/pemFiles';

export { enrollAgent } from './enrol/enrollAgent';
export { EnrolmentError, enrolmentExitCodes } from './enrol/EnrolmentError';
export type { EnrolmentOutcome } from './enrol/enrollAgent';
export type { EnrollAgentOptions } from './enrol/EnrollAgentOptions';
export type { EnrolmentErrorCode } from './enrol/EnrolmentError';

export { loadAgentConfig, defaultConfig } from './config/AgentConfig';
export type { AgentConfig, AgentConfigInput } from './config/AgentConfig';
export { startAgentServer } from './server/startAgentServer';
export type {
  RunningAgent,
  StartAgentOptions,
} from './server/startAgentServer';
export { createAgentServices } from './createAgentServices';
export type { AgentServices, AgentInfo } from './createAgentServices';
export { AgentError, errorStatus, isAgentError } from './errors/AgentError';
export type { AgentErrorCode } from './errors/AgentError';

export type {
  Hypervisor,
  ResolvedDomainSpec,
  DomainStatus,
  DomainState,
  NodeInfo,
} from './hypervisor/Hypervisor';
export { SimulatedHypervisor } from './hypervisor/SimulatedHypervisor';
export { VirshHypervisor } from './hypervisor/VirshHypervisor';
export type { DiskStore, LayerInfo } from './disks/DiskStore';
export { QemuImgDiskStore } from './disks/QemuImgDiskStore';
export { SimulatedDiskStore } from './disks/SimulatedDiskStore';
export type { SeedBuilder, SeedConfig } from './seed/SeedBuilder';
export { GenisoimageSeedBuilder } from './seed/GenisoimageSeedBuilder';
export { SimulatedSeedBuilder } from './seed/SimulatedSeedBuilder';
export type { Heartbeat } from './heartbeat/HeartbeatSender';

export { runCli } from './cli/createProgram';
export { agentVersion } from './version';
