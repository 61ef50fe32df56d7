import { decodeXmlText, parseXmlDocument, XmlDocumentError } from './xml';
import { normalizeWebpanel, resolveHttpUrl } from './urls';
import { PROVIDES_PATTERN, VERSION_PATTERN, parseDependency } from './versions';
import { ApplianceDefinition, DefinitionError } from './types';
import { DefinitionReader, Node, attr, show } from './DefinitionReader';
import { readDisks } from './readDisks';
import { readVariables } from './readVariables';

const OSTYPE = /^[a-z][a-z0-9_.-]{0,31}$/;

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
  const r = new DefinitionReader();

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
