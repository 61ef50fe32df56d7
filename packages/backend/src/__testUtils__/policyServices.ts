import {
  BackstageCredentials,
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { TempestPermissionPolicy } from '../permissions/TempestPermissionPolicy';
import { readTempestRoles } from '../permissions/readTempestRoles';

/** The roles of the embedded default. */
export const testRoles = {
  admin: ['group:default/tempest-admins'],
  provider: ['group:default/tempest-providers'],
  buyer: ['group:default/tempest-buyers'],
};

/** user entity ref → the groups it belongs to. */
export type TestMemberships = Record<string, readonly string[]>;

function ownershipOf(memberships: TestMemberships, userEntityRef: string) {
  return [userEntityRef, ...(memberships[userEntityRef] ?? [])];
}

/**
 * The permissions service answered by the real Tempest policy, evaluated in
 * process the way the permission backend does, with users' groups from
 * `memberships`.
 */
export function policyPermissionsFactory(memberships: TestMemberships) {
  const policy = new TempestPermissionPolicy(
    readTempestRoles(new ConfigReader({ tempest: { roles: testRoles } })),
  );
  const userOf = (credentials: BackstageCredentials) => {
    const principal = credentials.principal as {
      type: string;
      userEntityRef?: string;
    };
    if (principal.type !== 'user') return undefined;
    const ownershipEntityRefs = ownershipOf(
      memberships,
      principal.userEntityRef!,
    );
    return {
      identity: {
        type: 'user',
        userEntityRef: principal.userEntityRef!,
        ownershipEntityRefs,
      },
      token: '',
      credentials,
      info: { userEntityRef: principal.userEntityRef!, ownershipEntityRefs },
    } as any;
  };
  return createServiceFactory({
    service: coreServices.permissions,
    deps: {},
    factory: () =>
      ({
        async authorize(
          requests: any[],
          options: { credentials: BackstageCredentials },
        ) {
          return Promise.all(
            requests.map(async r => {
              const decision = await policy.handle(
                { permission: r.permission },
                userOf(options.credentials),
              );
              if (decision.result === AuthorizeResult.CONDITIONAL) {
                throw new Error(
                  `${r.permission.name}: a conditional decision needs authorizeConditional`,
                );
              }
              return decision;
            }),
          );
        },
        async authorizeConditional(
          requests: any[],
          options: { credentials: BackstageCredentials },
        ) {
          return Promise.all(
            requests.map(r =>
              policy.handle(
                { permission: r.permission },
                userOf(options.credentials),
              ),
            ),
          );
        },
      }) as any,
  });
}

/** The user info service with users' groups from `memberships`. */
export function userInfoFactory(memberships: TestMemberships) {
  return createServiceFactory({
    service: coreServices.userInfo,
    deps: {},
    factory: () => ({
      async getUserInfo(credentials: BackstageCredentials) {
        const ref = (credentials.principal as { userEntityRef: string })
          .userEntityRef;
        return {
          userEntityRef: ref,
          ownershipEntityRefs: ownershipOf(memberships, ref),
        };
      },
    }),
  });
}
