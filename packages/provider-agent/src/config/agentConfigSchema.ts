import Ajv, { ErrorObject } from 'ajv';

const object = (properties: Record<string, object>) => ({
  type: 'object',
  properties,
  additionalProperties: false,
});
const text = { type: 'string', minLength: 1 };
const positive = { type: 'number', exclusiveMinimum: 0 };
const count = { type: 'integer', minimum: 1, maximum: 2147483647 };

/**
 * Every key the agent's config file may hold (README "Configuration"). A key
 * that is not here, or a value of the wrong type or range, stops start-up
 * with a message naming the key.
 */
export const agentConfigSchema = object({
  name: {
    type: 'string',
    pattern: '^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$',
    description: 'a host name of 1-63 letters, digits, dots and dashes',
  },
  agentUrl: text,
  listen: object({
    host: text,
    port: { type: 'integer', minimum: 0, maximum: 65535 },
  }),
  dataDir: text,
  driver: { enum: ['libvirt', 'simulated'] },
  hypervisor: object({
    uri: text,
    domainType: {
      type: 'string',
      pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
      description: 'a libvirt domain type such as qemu or kvm',
    },
  }),
  tls: object({ cert: text, key: text, ca: text }),
  backend: object({
    heartbeatUrl: text,
    heartbeatIntervalSeconds: positive,
    token: text,
  }),
  downloads: object({
    stallTimeoutSeconds: positive,
    reserveBytes: { type: 'integer', minimum: 0, maximum: 2 ** 53 - 1 },
  }),
  migration: object({
    bandwidthLimitKiBps: count,
    socketDir: text,
    hypervisorSocketDir: text,
  }),
  networks: {
    type: 'array',
    maxItems: 16,
    items: {
      ...object({
        name: {
          type: 'string',
          pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
          description: 'a name of 1-63 lowercase letters, digits and dashes',
        },
        mode: { enum: ['nat', 'bridged'] },
        libvirtNetwork: {
          type: 'string',
          pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$',
          description: 'a libvirt network name (letters, digits, _ . -)',
        },
        addressPool: {
          type: 'string',
          pattern:
            '^(25[0-5]|2[0-4]\\d|1?\\d?\\d)(\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)){3}/(1[6-9]|2[0-9]|30)$',
          description:
            'an IPv4 range in CIDR form from /16 to /30, e.g. 10.77.0.0/24',
        },
      }),
      required: ['name', 'mode'],
    },
  },
  simulated: object({
    cpus: count,
    memoryMiB: count,
    diskGiB: count,
    defaultLoad: { type: 'number', minimum: 0, maximum: 1 },
  }),
  logLevel: {
    enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
  },
});

const validate = new Ajv({ allErrors: true, verbose: true }).compile(
  agentConfigSchema,
);

/** Each problem as a sentence that names its key, e.g. `unknown key backend.tokn`. */
function describe(error: ErrorObject): string {
  const key = error.instancePath.slice(1).replace(/\//g, '.');
  if (error.keyword === 'additionalProperties') {
    const extra = String(error.params.additionalProperty);
    return `unknown key ${key ? `${key}.${extra}` : extra}`;
  }
  if (!key) return `the configuration ${error.message}`;
  if (error.keyword === 'pattern' && error.parentSchema?.description)
    return `${key} must be ${error.parentSchema.description}`;
  if (error.keyword === 'enum')
    return `${key} must be one of ${(error.params.allowedValues as string[]).join(', ')}`;
  return `${key} ${error.message}`;
}

/** The problems with a config (file contents or merged), none when it fits the schema. */
export function configProblems(config: unknown): string[] {
  if (validate(config)) return [];
  return [...new Set((validate.errors ?? []).map(describe))];
}
