import YAML from 'yaml';
import { AgentError } from '../errors/AgentError';
import {
  DOMAIN_PATTERN,
  HOSTNAME_PATTERN,
  validateName,
} from '../validation/names';
import { SeedConfig } from './SeedBuilder';

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
// Names a guest's shell gives meaning to: appliance.env is sourced by its service scripts.
const RESERVED_VARIABLE =
  /^(PATH|IFS|ENV|BASH_ENV|HOME|SHELL|CDPATH|PS[1-4]|OPTIND|OPTARG|PWD|OLDPWD|LD_[A-Z_]*)$/;
const SSH_KEY =
  /^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/=]+( [^\r\n]*)?$/;
const VARIABLES_JSON = '/etc/tempest/appliance-variables.json';

export function validateSeedConfig(config: SeedConfig): SeedConfig {
  validateName(config.instanceId, 'instance id');
  if (!HOSTNAME_PATTERN.test(config.hostname)) {
    throw new AgentError(
      'INVALID_NAME',
      `Invalid hostname ${JSON.stringify(config.hostname)}`,
    );
  }
  if (
    config.domain !== undefined &&
    (!DOMAIN_PATTERN.test(config.domain) || config.domain.length > 253)
  ) {
    throw new AgentError(
      'INVALID_NAME',
      `Invalid domain ${JSON.stringify(config.domain)}`,
    );
  }
  for (const key of config.sshAuthorizedKeys ?? []) {
    if (!SSH_KEY.test(key) || key.length > 16_384) {
      throw new AgentError(
        'INVALID_REQUEST',
        'An SSH authorized key is not a single OpenSSH public key line',
      );
    }
  }
  for (const [name, value] of Object.entries(config.variables ?? {})) {
    if (!VARIABLE_NAME.test(name) || RESERVED_VARIABLE.test(name)) {
      throw new AgentError(
        'INVALID_NAME',
        `Invalid appliance variable name ${JSON.stringify(name)}${RESERVED_VARIABLE.test(name) ? ' (reserved by the shell)' : ''}`,
      );
    }
    if (
      typeof value !== 'string' ||
      value.includes('\0') ||
      value.length > 65_536
    ) {
      throw new AgentError(
        'INVALID_REQUEST',
        `Appliance variable ${name} must be a string without NUL bytes`,
      );
    }
  }
  return config;
}

function shellQuote(value: string) {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Renders NoCloud meta-data and user-data (YAML, built by a serializer, never by concatenation). */
export function renderSeedFiles(config: SeedConfig): {
  metaData: string;
  userData: string;
} {
  validateSeedConfig(config);
  const fqdn = config.domain
    ? `${config.hostname}.${config.domain}`
    : config.hostname;
  const metaData = YAML.stringify({
    'instance-id': config.instanceId,
    'local-hostname': config.hostname,
  });
  const variables = config.variables ?? {};
  const userData = {
    hostname: config.hostname,
    fqdn,
    ssh_authorized_keys: config.sshAuthorizedKeys ?? [],
    write_files: [
      {
        path: VARIABLES_JSON,
        permissions: '0600',
        content: `${JSON.stringify(variables)}\n`,
      },
      {
        path: '/etc/tempest/appliance.env',
        permissions: '0600',
        content: Object.entries(variables)
          .map(([k, v]) => `${k}=${shellQuote(v)}\n`)
          .join(''),
      },
    ],
  };
  return { metaData, userData: `#cloud-config\n${YAML.stringify(userData)}` };
}

/**
 * Plain copies of the seed's values for guests without cloud-init (the sample
 * appliances' init reads these), written to `tempest/` beside meta-data and
 * user-data: one value per file, nothing to parse.
 */
export function renderGuestFiles(config: SeedConfig): Record<string, string> {
  validateSeedConfig(config);
  const variables = config.variables ?? {};
  return {
    'tempest/hostname': `${config.hostname}\n`,
    'tempest/fqdn': `${config.domain ? `${config.hostname}.${config.domain}` : config.hostname}\n`,
    'tempest/authorized_keys': (config.sshAuthorizedKeys ?? [])
      .map(k => `${k}\n`)
      .join(''),
    'tempest/appliance.env': Object.entries(variables)
      .map(([k, v]) => `${k}=${shellQuote(v)}\n`)
      .join(''),
    'tempest/appliance-variables.json': `${JSON.stringify(variables)}\n`,
  };
}

export function parseSeedFiles(metaData: string, userData: string): SeedConfig {
  const meta = YAML.parse(metaData) ?? {};
  const user = YAML.parse(userData) ?? {};
  const fqdn: string = user.fqdn ?? meta['local-hostname'];
  const hostname: string = meta['local-hostname'];
  const domain = fqdn.startsWith(`${hostname}.`)
    ? fqdn.slice(hostname.length + 1)
    : undefined;
  const variablesFile = (user.write_files ?? []).find(
    (f: any) => f.path === VARIABLES_JSON,
  );
  const config: SeedConfig = {
    instanceId: meta['instance-id'],
    hostname,
    sshAuthorizedKeys: user.ssh_authorized_keys ?? [],
    variables: variablesFile ? JSON.parse(variablesFile.content) : {},
  };
  if (domain) config.domain = domain;
  return config;
}
