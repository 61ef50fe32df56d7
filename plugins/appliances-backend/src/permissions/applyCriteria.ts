import { Knex } from 'knex';
import { PermissionCriteria } from '@backstage/plugin-permission-common';
import {
  isAndCriteria,
  isNotCriteria,
  isOrCriteria,
} from '@backstage/plugin-permission-node';
import { InstanceQuery } from './instanceRules';

/**
 * Applies criteria made of rule queries (what createConditionTransformer
 * returns) to a knex query, so a conditional decision filters in SQL.
 */
export function applyCriteria(
  query: Knex.QueryBuilder,
  criteria: PermissionCriteria<InstanceQuery>,
): void {
  if (isAndCriteria(criteria)) {
    query.where(q => {
      for (const c of criteria.allOf) q.andWhere(sub => applyCriteria(sub, c));
    });
  } else if (isOrCriteria(criteria)) {
    query.where(q => {
      for (const c of criteria.anyOf) q.orWhere(sub => applyCriteria(sub, c));
    });
  } else if (isNotCriteria(criteria)) {
    query.whereNot(q => applyCriteria(q, criteria.not));
  } else {
    criteria(query);
  }
}
