import { InputError } from '@backstage/errors';
import { ApplianceVariable } from '../channels/types';
import { SecretBox } from '../hosts/SecretBox';

/** What the requester gives an instance beyond its size (the template's instance values). */
export type InstanceValuesRequest = {
  domain?: string;
  sshAuthorizedKeys?: string[];
  variables?: Record<string, string>;
};

/** The values checked against the appliance, defaults filled in, secrets apart. */
export type InstanceValues = {
  domain?: string;
  sshAuthorizedKeys: string[];
  /** The variables anyone who may see the instance may read. */
  variables: Record<string, string>;
  /** Passwords and keys: sealed on the instance, only in the guest's seed. */
  secretVariables: Record<string, string>;
};

/** The secret variables as stored: their names, and the values sealed for this instance. */
export type SealedVariables = { names: string[]; sealed: string };

const SSH_KEY =
  /^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/=]+( [^\r\n]*)?$/;
const DOMAIN =
  /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Checks the requested values against what the appliance declares, as the
 * agent's seed will (so a request it would refuse fails here, before anything
 * is placed): a known domain form, OpenSSH key lines, only declared variables,
 * every required one given or defaulted, no NUL bytes.
 */
export function resolveInstanceValues(
  appliance: { label: string; variables: ApplianceVariable[] },
  request: InstanceValuesRequest,
): InstanceValues {
  const problems: string[] = [];
  if (
    request.domain !== undefined &&
    (!DOMAIN.test(request.domain) || request.domain.length > 253)
  )
    problems.push(
      `the domain '${request.domain}' is not a DNS domain in lower case (such as lab.example.com)`,
    );
  const keys = (request.sshAuthorizedKeys ?? []).map(k => k.trim());
  keys.forEach((key, i) => {
    if (!SSH_KEY.test(key))
      problems.push(
        `SSH key ${i + 1} is not one OpenSSH public key line (type, key, optional comment)`,
      );
  });
  const given = request.variables ?? {};
  const declared = new Map(appliance.variables.map(v => [v.name, v]));
  for (const name of Object.keys(given)) {
    if (!declared.has(name))
      problems.push(
        `${appliance.label} has no variable ${name}${declared.size ? ` (it has ${[...declared.keys()].join(', ')})` : ' (it declares none)'}`,
      );
    else if (given[name].includes('\0'))
      problems.push(`the variable ${name} holds a NUL byte`);
  }
  const variables: Record<string, string> = {};
  const secretVariables: Record<string, string> = {};
  for (const v of appliance.variables) {
    const value = given[v.name] ?? v.default;
    if (value === undefined || (value === '' && v.required)) {
      if (v.required)
        problems.push(`${appliance.label} needs the variable ${v.name}`);
      continue;
    }
    (v.secret ? secretVariables : variables)[v.name] = value;
  }
  if (problems.length)
    throw new InputError(
      `${problems.join('; ')}.`.replace(/^./, c => c.toUpperCase()),
    );
  return {
    ...(request.domain ? { domain: request.domain } : {}),
    sshAuthorizedKeys: keys,
    variables,
    secretVariables,
  };
}

/** Seals the secret variables for one instance (the instance id binds them to its row). */
export function sealVariables(
  secrets: SecretBox | undefined,
  instanceId: string,
  values: Record<string, string>,
): SealedVariables | undefined {
  const names = Object.keys(values);
  if (!names.length) return undefined;
  if (!secrets)
    throw new Error('Secret appliance variables need appliances.secretKey');
  return {
    names,
    sealed: secrets.seal(JSON.stringify(values), `instance:${instanceId}`),
  };
}

export function openVariables(
  secrets: SecretBox | undefined,
  instanceId: string,
  stored: SealedVariables | undefined,
): Record<string, string> {
  if (!stored) return {};
  if (!secrets)
    throw new Error('Secret appliance variables need appliances.secretKey');
  return JSON.parse(secrets.open(stored.sealed, `instance:${instanceId}`));
}
