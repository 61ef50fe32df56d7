import { decodeXmlText } from './xml';
import { ApplianceVariable } from './types';
import { DefinitionReader, Node, attr, show } from './DefinitionReader';

// The names the agent's seed accepts: a shell variable, not one the guest's shell gives meaning to.
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const RESERVED_VARIABLE =
  /^(PATH|IFS|ENV|BASH_ENV|HOME|SHELL|CDPATH|PS[1-4]|OPTIND|OPTARG|PWD|OLDPWD|LD_[A-Z_]*)$/;
export const MAX_VARIABLE_LENGTH = 4096;
const MAX_VARIABLES = 32;

function flag(
  r: DefinitionReader,
  entry: unknown,
  name: string,
  field: string,
) {
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
export function readVariables(
  r: DefinitionReader,
  node: Node,
): ApplianceVariable[] {
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
