import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { AgentError } from '../errors/AgentError';
import { configProblems } from './agentConfigSchema';

/** Everything the agent reads; see README "Configuration" for each key. */
export interface AgentConfig {
  /** Host name reported to the backend (and in heartbeats). */
  name: string;
  /**
   * Where the backend reaches this agent (`https://host:port`), sent in
   * heartbeats; default the listen URL (left out when listening on 0.0.0.0 or ::).
   */
  agentUrl?: string;
  listen: { host: string; port: number };
  dataDir: string;
  driver: 'libvirt' | 'simulated';
  hypervisor: { uri: string; domainType?: string };
  tls: { cert: string; key: string; ca: string };
  backend: {
    heartbeatUrl?: string;
    heartbeatIntervalSeconds: number;
    token?: string;
  };
  downloads: { stallTimeoutSeconds: number; reserveBytes: number };
  migration: {
    /** Disk imports (rsync's --bwlimit) and live migrations: KiB/s, unlimited when unset. */
    bandwidthLimitKiBps?: number;
    /** Where live migrations' sockets are made, as the agent sees it; default `<dataDir>/migration`. */
    socketDir?: string;
    /**
     * The same folder as the hypervisor (libvirtd and its qemu) sees it, when
     * it runs in a mount namespace or container of its own; default socketDir.
     * It must be the same path on every host a domain moves between.
     */
    hypervisorSocketDir?: string;
  };
  /** The networks instances on this host join; the first is the default. */
  networks: AgentNetwork[];
  /** Capacity the simulated host reports. */
  simulated: {
    cpus: number;
    memoryMiB: number;
    diskGiB?: number;
    defaultLoad: number;
  };
  logLevel: string;
}

export interface AgentNetwork {
  /** The name the backend asks for (a NIC's `network`). */
  name: string;
  /** NAT with libvirt's DHCP (addresses from its leases), or bridged onto the host's LAN (addresses from ARP). */
  mode: 'nat' | 'bridged';
  /** The libvirt network; default `name`. */
  libvirtNetwork?: string;
  /** IPv4 range the simulated driver hands out (CIDR); default 10.77.N.0/24 for the Nth network. */
  addressPool?: string;
}

export type AgentConfigInput = {
  [K in keyof AgentConfig]?: AgentConfig[K] extends object
    ? Partial<AgentConfig[K]>
    : AgentConfig[K];
};

export const defaultConfig: AgentConfig = {
  name: 'localhost',
  listen: { host: '127.0.0.1', port: 7443 },
  dataDir: '/var/lib/tempest-agent',
  driver: 'libvirt',
  hypervisor: { uri: 'qemu:///system' },
  tls: { cert: '', key: '', ca: '' },
  backend: { heartbeatIntervalSeconds: 15 },
  downloads: { stallTimeoutSeconds: 30, reserveBytes: 0 },
  migration: {},
  // libvirt's stock NAT network (192.168.122.0/24 with DHCP on Debian).
  networks: [{ name: 'default', mode: 'nat' }],
  simulated: { cpus: 16, memoryMiB: 65536, defaultLoad: 0.05 },
  logLevel: 'info',
};

function merge(base: any, over: any): any {
  const out = { ...base };
  for (const [key, value] of Object.entries(over ?? {})) {
    if (value === undefined) continue;
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value)
        ? merge(base?.[key] ?? {}, value)
        : value;
  }
  return out;
}

/** Defaults, then the YAML file, then flags; relative paths resolve against the file's directory. */
export function loadAgentConfig(options: {
  file?: string;
  overrides?: AgentConfigInput;
}): AgentConfig {
  let fromFile: AgentConfigInput = {};
  let base = process.cwd();
  if (options.file) {
    base = path.dirname(path.resolve(options.file));
    try {
      fromFile = YAML.parse(fs.readFileSync(options.file, 'utf8')) ?? {};
    } catch (e) {
      throw new AgentError(
        'INVALID_REQUEST',
        `Cannot read config ${options.file}: ${(e as Error).message}`,
      );
    }
    const problems = configProblems(fromFile);
    if (problems.length) {
      throw new AgentError(
        'INVALID_REQUEST',
        `Invalid agent configuration in ${options.file}: ${problems.join('; ')}`,
      );
    }
    fromFile = resolvePaths(fromFile, base);
  }
  const config: AgentConfig = merge(
    merge(defaultConfig, fromFile),
    resolvePaths(options.overrides ?? {}, process.cwd()),
  );
  return validateConfig(config);
}

function resolvePaths(input: AgentConfigInput, base: string): AgentConfigInput {
  const abs = (p?: string) => (p ? path.resolve(base, p) : p);
  return {
    ...input,
    ...(input.dataDir ? { dataDir: abs(input.dataDir) } : {}),
    ...(input.migration?.socketDir
      ? {
          migration: {
            ...input.migration,
            socketDir: abs(input.migration.socketDir),
          },
        }
      : {}),
    ...(input.tls
      ? {
          tls: {
            cert: abs(input.tls.cert),
            key: abs(input.tls.key),
            ca: abs(input.tls.ca),
          },
        }
      : {}),
  };
}

export function validateConfig(config: AgentConfig): AgentConfig {
  const fail = (message: string) => {
    throw new AgentError(
      'INVALID_REQUEST',
      `Invalid agent configuration: ${message}`,
    );
  };
  if (!config.tls.cert || !config.tls.key || !config.tls.ca)
    fail('tls.cert, tls.key and tls.ca are required');
  // Flags and in-process overrides meet the same schema as the file.
  const problems = configProblems(config);
  if (problems.length) fail(problems.join('; '));
  if (
    config.migration.hypervisorSocketDir !== undefined &&
    !path.isAbsolute(config.migration.hypervisorSocketDir)
  )
    fail('migration.hypervisorSocketDir must be an absolute path');
  const names = config.networks.map(n => n.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) fail(`networks names ${twice} twice`);
  if (
    config.agentUrl !== undefined &&
    !(
      URL.canParse(config.agentUrl) &&
      new URL(config.agentUrl).protocol === 'https:'
    )
  )
    fail('agentUrl must be an https URL');
  if (
    config.backend.heartbeatUrl !== undefined &&
    !/^https?:\/\//.test(config.backend.heartbeatUrl)
  )
    fail('backend.heartbeatUrl must be an http(s) URL');
  return config;
}
