import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';

export type TempestRole = 'admin' | 'provider' | 'buyer';

export type TempestRoles = Record<TempestRole, string[]>;

const ROLES: TempestRole[] = ['admin', 'provider', 'buyer'];

/**
 * Reads `tempest.roles`, a map from role to the group refs whose members hold
 * it. A malformed ref stops start-up with the key that holds it.
 */
export function readTempestRoles(config: Config): TempestRoles {
  const roles = {} as TempestRoles;
  for (const role of ROLES) {
    const key = `tempest.roles.${role}`;
    const refs = config.getOptionalStringArray(key) ?? [];
    roles[role] = refs.map((ref, index) => {
      try {
        const parsed = parseEntityRef(ref, {
          defaultKind: 'group',
          defaultNamespace: 'default',
        });
        if (
          !['group', 'user'].includes(parsed.kind.toLocaleLowerCase('en-US'))
        ) {
          throw new Error('roles are held by groups or users');
        }
        return stringifyEntityRef(parsed);
      } catch (e) {
        throw new InputError(
          `Invalid config at ${key}[${index}]: '${ref}' is not an entity ref (${
            e instanceof Error ? e.message : String(e)
          })`,
        );
      }
    });
  }
  return roles;
}

/** The roles held by a user whose ownership refs (user and groups) are given. */
export function rolesOf(
  roles: TempestRoles,
  ownershipEntityRefs: string[],
): Set<TempestRole> {
  const held = new Set<TempestRole>();
  const refs = new Set(
    ownershipEntityRefs.map(r => r.toLocaleLowerCase('en-US')),
  );
  for (const role of ROLES) {
    if (roles[role].some(ref => refs.has(ref.toLocaleLowerCase('en-US')))) {
      held.add(role);
    }
  }
  return held;
}
