import { decodeXmlText, parseXmlDocument, XmlDocumentError } from './xml';
import { normalizeWebpanel, resolveHttpUrl } from './urls';
import { PROVIDES_PATTERN, VERSION_PATTERN, parseDependency } from './versions';
import {
  ApplianceDefinition,
  ApplianceDisk,
  ApplianceVariable,
  DefinitionError,
} from './types';

type Node = Record<string, unknown>;
type Problem = { field: string; message: string };

const DISK_TYPES = ['system', 'swap', 'user', 'data'] as const;
const DISK_NAME = /^[a-z][a-z0-9]{0,15}$/;
const DISK_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const OSTYPE = /^[a-z][a-z0-9_.-]{0,31}$/;
// The names the agent's seed accepts: a shell variable, not one the guest's shell gives meaning to.
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const RESERVED_VARIABLE =
  /^(PATH|IFS|ENV|BASH_ENV|HOME|SHELL|CDPATH|PS[1-4]|OPTIND|OPTARG|PWD|OLDPWD|LD_[A-Z_]*)$/;
export const MAX_VARIABLE_LENGTH = 4096;
const MAX_VARIABLES = 32;

function show(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}

class Reader {
  readonly problems: Problem[] = [];

  fail(field: string, message: string): undefined {
    this.problems.push({ field, message });
    return undefined;
  }

  /** A text element that appears at most once. */
  text(
    node: Node,
    name: string,
    field: string,
    required: boolean,
    maxLength: number,
  ) {
    const raw = node[name];
    if (raw === undefined || raw === '') {
      return required
        ? this.fail(field, 'expected a value, got nothing')
        : undefined;
    }
    if (Array.isArray(raw)) {
      return this.fail(field, `expected one <${name}>, got ${raw.length}`);
    }
    if (typeof raw !== 'string') {
      return this.fail(
        field,
        'expected text, got nested elements or attributes',
      );
    }
    const value = decodeXmlText(raw);
    if (value.length > maxLength) {
      return this.fail(
        field,
        `expected at most ${maxLength} characters, got ${value.length}`,
      );
    }
    return value;
  }

  integer(
    raw: string | undefined,
    field: string,
    min: number,
    max: number,
    unit: string,
  ): number | undefined {
    if (raw === undefined) return undefined;
    if (!/^\d{1,12}$/.test(raw)) {
      return this.fail(
        field,
        `expected a whole number of ${unit}, got ${show(raw)}`,
      );
    }
    const n = Number(raw);
    if (n < min || n > max) {
      return this.fail(field, `expected ${min}..${max} ${unit}, got ${n}`);
    }
    return n;
  }

  matching(
    raw: string | undefined,
    field: string,
    pattern: RegExp,
    what: string,
  ) {
    if (raw === undefined) return undefined;
    return pattern.test(raw)
      ? raw
      : this.fail(field, `expected ${what}, got ${show(raw)}`);
  }
}

function attr(node: unknown, name: string): string | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const value = (node as Node)[`@${name}`];
  return typeof value === 'string' ? decodeXmlText(value) : undefined;
}

function readDisks(r: Reader, hardware: Node): ApplianceDisk[] {
  const raw = hardware.disk;
  if (raw === undefined) return [];
  const disks: ApplianceDisk[] = [];
  const seen = new Set<string>();
  (raw as unknown[]).forEach((entry, index) => {
    const field = `hardware.disk[${index}]`;
    if (typeof entry !== 'object' || entry === null) {
      r.fail(
        field,
        'expected <disk name=".." type=".." file=".."|size=".."/>, got text',
      );
      return;
    }
    const name = r.matching(
      attr(entry, 'name'),
      `${field}.name`,
      DISK_NAME,
      'a device name such as hda1 or vdb',
    );
    if (attr(entry, 'name') === undefined)
      r.fail(`${field}.name`, 'expected a device name, got nothing');
    const typeRaw = attr(entry, 'type');
    const type = DISK_TYPES.find(t => t === typeRaw);
    if (!type)
      r.fail(
        `${field}.type`,
        `expected one of ${DISK_TYPES.join(', ')}, got ${show(typeRaw ?? '')}`,
      );
    const fileRaw = attr(entry, 'file');
    const sizeRaw = attr(entry, 'size');
    if ((fileRaw === undefined) === (sizeRaw === undefined)) {
      r.fail(
        field,
        'expected exactly one of file (an image file in the appliance) or size (MB)',
      );
      return;
    }
    const file = r.matching(
      fileRaw,
      `${field}.file`,
      DISK_FILE,
      'a plain file name without path characters',
    );
    const sizeMb = r.integer(
      sizeRaw,
      `${field}.size`,
      1,
      16 * 1024 * 1024,
      'MB',
    );
    if (name && seen.has(name))
      r.fail(
        `${field}.name`,
        `expected a unique disk name, got a second ${show(name)}`,
      );
    if (name) seen.add(name);
    if (name && type && (file || sizeMb)) {
      disks.push(file ? { name, type, file } : { name, type, sizeMb });
    }
  });
  return disks;
}

function flag(r: Reader, entry: unknown, name: string, field: string) {
  const raw = attr(entry, name);
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  r.fail(`${field}.${name}`, `expected true or false, got ${show(raw)}`);
  return false;
}

/**
 * `<variables><variable name="REDIS_PASSWORD" secret="true" required="false"
 * default="...">what it is for</variable></variables>`: the values the
 * appliance asks for at provisioning.
 */
function readVariables(r: Reader, node: Node): ApplianceVariable[] {
  const block = node.variables;
  if (block === undefined || block === '') return [];
  if (typeof block !== 'object' || Array.isArray(block)) {
    r.fail('variables', 'expected one <variables> element of <variable>s');
    return [];
  }
  const entries = ((block as Node).variable as unknown[] | undefined) ?? [];
  if (entries.length > MAX_VARIABLES) {
    r.fail(
      'variables',
      `expected at most ${MAX_VARIABLES} variables, got ${entries.length}`,
    );
    return [];
  }
  const variables: ApplianceVariable[] = [];
  const read = (entry: unknown, index: number) => {
    const field = `variables.variable[${index}]`;
    const nameRaw = attr(entry, 'name');
    if (nameRaw === undefined)
      return r.fail(`${field}.name`, 'expected a name, got nothing');
    if (!VARIABLE_NAME.test(nameRaw) || RESERVED_VARIABLE.test(nameRaw))
      return r.fail(
        `${field}.name`,
        `expected a shell variable name such as DNS_RECORDS (not one the shell reserves), got ${show(nameRaw)}`,
      );
    if (variables.some(v => v.name === nameRaw))
      return r.fail(
        `${field}.name`,
        `expected a unique variable name, got a second ${show(nameRaw)}`,
      );
    const text =
      typeof entry === 'string'
        ? entry
        : ((entry as Node)['#text'] as string | undefined);
    const description = decodeXmlText(text ?? '');
    if (description.length > 1000)
      return r.fail(
        field,
        `expected a description of at most 1000 characters, got ${description.length}`,
      );
    const fallback = attr(entry, 'default');
    if (fallback !== undefined && fallback.length > MAX_VARIABLE_LENGTH)
      return r.fail(
        `${field}.default`,
        `expected at most ${MAX_VARIABLE_LENGTH} characters, got ${fallback.length}`,
      );
    return {
      name: nameRaw,
      description,
      required: flag(r, entry, 'required', field),
      secret: flag(r, entry, 'secret', field),
      ...(fallback !== undefined ? { default: fallback } : {}),
    };
  };
  entries.forEach((entry, index) => {
    const variable = read(entry, index);
    if (variable) variables.push(variable);
  });
  return variables;
}

/**
 * Parses one STORM appliance definition. Relative `url` and `sig` resolve
 * against the definition's own URL; only http(s) is accepted. Throws a
 * DefinitionError listing every field that is wrong and what was expected.
 */
export function parseApplianceDefinition(
  xml: string,
  definitionUrl: string,
): ApplianceDefinition {
  let doc: Node;
  try {
    doc = parseXmlDocument(xml);
  } catch (e) {
    if (e instanceof XmlDocumentError) {
      throw new DefinitionError([{ field: 'document', message: e.message }]);
    }
    throw e;
  }
  const root = doc.appliance;
  if (!root || typeof root !== 'object' || Array.isArray(root)) {
    const found = Object.keys(doc).filter(k => !k.startsWith('?'));
    throw new DefinitionError([
      {
        field: 'document',
        message: `expected an <appliance> root element, got ${found.length ? `<${found[0]}>` : 'none'}`,
      },
    ]);
  }
  const node = root as Node;
  const r = new Reader();

  const formatVersion = attr(node, 'version');
  if (formatVersion !== undefined && formatVersion !== '1.0') {
    r.fail(
      'appliance.version',
      `expected definition format 1.0, got ${show(formatVersion)}`,
    );
  }
  const label = r.text(node, 'label', 'label', true, 200);
  const description =
    r.text(node, 'description', 'description', false, 4000) ?? '';
  const version = r.matching(
    r.text(node, 'version', 'version', true, 63),
    'version',
    VERSION_PATTERN,
    'a version such as 1.0.0-0 (letters, digits, . + ~ _ -)',
  );
  const sizeMb = r.integer(
    r.text(node, 'size', 'size', true, 12),
    'size',
    0,
    16 * 1024 * 1024,
    'MB',
  );
  const urlRaw = r.text(node, 'url', 'url', true, 2048);
  const imageUrl =
    urlRaw === undefined
      ? undefined
      : (resolveHttpUrl(urlRaw, definitionUrl) ??
        r.fail(
          'url',
          `expected an http or https URL of the image, got ${show(urlRaw)}`,
        ));
  const sigRaw = r.text(node, 'sig', 'sig', false, 2048);
  const signatureUrl =
    sigRaw === undefined
      ? undefined
      : (resolveHttpUrl(sigRaw, definitionUrl) ??
        r.fail(
          'sig',
          `expected an http or https URL of the detached signature, got ${show(sigRaw)}`,
        ));
  const provides = r.matching(
    r.text(node, 'provides', 'provides', true, 63),
    'provides',
    PROVIDES_PATTERN,
    'a service name of lower-case letters, digits and dashes',
  );
  const webpanelRaw = r.text(node, 'webpanel', 'webpanel', false, 2048);
  const webpanel =
    webpanelRaw === undefined
      ? undefined
      : (normalizeWebpanel(webpanelRaw) ??
        r.fail(
          'webpanel',
          `expected a path on the instance such as /admin or an http(s) URL, got ${show(webpanelRaw)}`,
        ));

  let hardware: ApplianceDefinition['hardware'] | undefined;
  const hw = node.hardware;
  if (hw === undefined) {
    r.fail('hardware', 'expected a <hardware> element, got nothing');
  } else if (typeof hw !== 'object' || Array.isArray(hw)) {
    r.fail(
      'hardware',
      'expected one <hardware> element with cpus, memory, ostype and disks',
    );
  } else {
    const h = hw as Node;
    const cpus = r.integer(
      r.text(h, 'cpus', 'hardware.cpus', true, 4),
      'hardware.cpus',
      1,
      256,
      'CPUs',
    );
    const memoryKib = r.integer(
      r.text(h, 'memory', 'hardware.memory', true, 12),
      'hardware.memory',
      1024,
      4 * 1024 * 1024 * 1024,
      'KiB',
    );
    const ostype = r.matching(
      r.text(h, 'ostype', 'hardware.ostype', true, 32),
      'hardware.ostype',
      OSTYPE,
      'an OS type such as linux or windows',
    );
    const disks = readDisks(r, h);
    if (cpus && memoryKib && ostype)
      hardware = { cpus, memoryKib, ostype, disks };
  }

  const dependencies: ApplianceDefinition['dependencies'] = [];
  const deps = node.dependency;
  if (deps !== undefined) {
    (deps as unknown[]).forEach((entry, index) => {
      const field = `dependency[${index}]`;
      const value =
        typeof entry === 'string' ? decodeXmlText(entry) : undefined;
      const parsed = value === undefined ? undefined : parseDependency(value);
      if (!parsed) {
        r.fail(
          field,
          `expected name or name:version, got ${show(entry ?? '')}`,
        );
      } else if (
        !dependencies.some(
          d => d.name === parsed.name && d.version === parsed.version,
        )
      ) {
        dependencies.push(parsed);
      }
    });
  }

  const variables = readVariables(r, node);

  if (
    r.problems.length ||
    !label ||
    !version ||
    sizeMb === undefined ||
    !imageUrl ||
    !provides ||
    !hardware
  ) {
    throw new DefinitionError(
      r.problems.length
        ? r.problems
        : [{ field: 'document', message: 'expected a complete definition' }],
    );
  }
  return {
    label,
    description,
    version,
    sizeMb,
    imageUrl,
    signatureUrl,
    provides,
    webpanel,
    hardware,
    dependencies,
    variables,
  };
}
