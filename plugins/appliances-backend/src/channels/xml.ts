import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** Elements that may repeat and so always parse as arrays. */
const REPEATED = new Set([
  'item',
  'disk',
  'dependency',
  'enclosure',
  'variable',
]);

// Entities and DTDs are off: documents with a DOCTYPE are refused before
// parsing, and processEntities is false so no entity is ever expanded.
const parser = new XMLParser({
  processEntities: false,
  htmlEntities: false,
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  removeNSPrefix: false,
  maxNestedTags: 32,
  isArray: name => REPEATED.has(name),
});

/** Why a document could not be read as XML at all. */
export class XmlDocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlDocumentError';
  }
}

const PREDEFINED_ENTITIES: Record<string, string> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
};

/**
 * Decodes the five predefined XML entities and numeric character references
 * in a text value. Nothing else: there is no DTD to declare other entities.
 */
export function decodeXmlText(value: string): string {
  return value.replace(
    /&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|lt|gt|amp|quot|apos);/g,
    (whole, ref: string) => {
      if (ref[0] !== '#') return PREDEFINED_ENTITIES[ref];
      const code =
        ref[1] === 'x'
          ? parseInt(ref.slice(2), 16)
          : parseInt(ref.slice(1), 10);
      if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
        return whole;
      }
      return String.fromCodePoint(code);
    },
  );
}

/**
 * Parses a small XML document (a feed or an appliance definition) into plain
 * objects. Refuses DTDs, binary content and malformed XML with a message that
 * says what was expected.
 */
export function parseXmlDocument(text: string): Record<string, unknown> {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(text)) {
    throw new XmlDocumentError(
      'expected an XML text document, got binary data',
    );
  }
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) {
    throw new XmlDocumentError(
      'expected XML without a DOCTYPE: DTDs and entity declarations are not accepted',
    );
  }
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw new XmlDocumentError(
      `expected well-formed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`,
    );
  }
  try {
    return parser.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new XmlDocumentError(
      `expected well-formed XML: ${(e as Error).message}`,
    );
  }
}
