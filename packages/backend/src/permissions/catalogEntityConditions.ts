import {
  PermissionCondition,
  PermissionCriteria,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import { catalogConditions } from '@backstage/plugin-catalog-backend/alpha';
import {
  HOST_ENTITY_TYPE,
  HOST_OWNER_ANNOTATION,
  INSTANCE_ENTITY_TYPE,
} from '@tempest/backstage-plugin-appliances-common';

/**
 * Which catalog entities a user who is not an admin may see (and refresh or
 * delete): every entity but Tempest's hosts and instances, which follow the
 * appliances API's rules — an instance its owner (the user or one of their
 * groups) sees, and, for reads, the provider of its host; a host its owner.
 * The catalog applies these as a filter in its own database.
 */
export function tempestEntityConditions(
  permission: ResourcePermission<'catalog-entity'>,
  ownershipEntityRefs: string[],
  isProvider: boolean,
): PermissionCriteria<PermissionCondition<'catalog-entity'>> {
  const isInstance = catalogConditions.hasSpec({
    key: 'type',
    value: INSTANCE_ENTITY_TYPE,
  });
  const isHost = catalogConditions.hasSpec({
    key: 'type',
    value: HOST_ENTITY_TYPE,
  });
  type Criteria = PermissionCriteria<PermissionCondition<'catalog-entity'>>;
  const onOwnHost: Criteria[] = ownershipEntityRefs.map(ref =>
    catalogConditions.hasAnnotation({
      annotation: HOST_OWNER_ANNOTATION,
      value: ref,
    }),
  );
  const seeOnHost: Criteria[] =
    isProvider &&
    permission.name !== 'catalog.entity.delete' &&
    onOwnHost.length
      ? [
          {
            allOf: [
              isInstance,
              { anyOf: onOwnHost as [Criteria, ...Criteria[]] },
            ],
          },
        ]
      : [];
  return {
    anyOf: [
      { not: { anyOf: [isInstance, isHost] } },
      catalogConditions.isEntityOwner({ claims: ownershipEntityRefs }),
      ...seeOnHost,
    ],
  };
}
