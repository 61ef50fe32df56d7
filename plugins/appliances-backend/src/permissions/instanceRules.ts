import { Knex } from 'knex';
import { z } from 'zod';
import {
  createConditionExports,
  createPermissionResourceRef,
  createPermissionRule,
} from '@backstage/plugin-permission-node';
import { APPLIANCE_INSTANCE_RESOURCE_TYPE } from '@tempest/backstage-plugin-appliances-common';

/** What the rules test against: the owner and the host of an instance. */
export type InstanceResource = { id: string; owner: string; hostId?: string };

/** A rule as a database filter: narrows a query over `instances`. */
export type InstanceQuery = (query: Knex.QueryBuilder) => void;

export const instanceResourceRef = createPermissionResourceRef<
  InstanceResource,
  InstanceQuery
>().with({
  pluginId: 'appliances',
  resourceType: APPLIANCE_INSTANCE_RESOURCE_TYPE,
});

const ownersSchema = z.object({
  owners: z
    .array(z.string())
    .describe('Entity refs: a user and the groups it belongs to'),
});

/** The instance is owned by one of the refs (the user or one of its groups). */
export const isOwner = createPermissionRule({
  name: 'IS_OWNER',
  description: 'Allow instances owned by one of the given entity refs',
  resourceRef: instanceResourceRef,
  paramsSchema: ownersSchema,
  apply: (instance, { owners }) => owners.includes(instance.owner),
  toQuery:
    ({ owners }) =>
    query => {
      query.whereIn('instances.owner', owners);
    },
});

/** The instance runs on a host owned by one of the refs (its provider). */
export const isOnHostOwnedBy = createPermissionRule({
  name: 'IS_ON_HOST_OWNED_BY',
  description:
    'Allow instances placed on hosts owned by one of the given entity refs',
  resourceRef: instanceResourceRef,
  paramsSchema: ownersSchema,
  // The host's owner is not part of the resource; getResources loads it.
  apply: (instance, { owners }) =>
    owners.includes(
      (instance as InstanceResource & { hostOwner?: string }).hostOwner ?? '',
    ),
  toQuery:
    ({ owners }) =>
    query => {
      query.whereIn('instances.host_id', sub =>
        sub.select('id').from('hosts').whereIn('owner', owners),
      );
    },
});

export const instanceRules = { isOwner, isOnHostOwnedBy };

/** Condition factories for policies: `instanceConditions.isOwner({ owners })`. */
export const {
  conditions: instanceConditions,
  createConditionalDecision: createInstanceConditionalDecision,
} = createConditionExports({
  resourceRef: instanceResourceRef,
  rules: instanceRules,
});
