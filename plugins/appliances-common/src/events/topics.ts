/**
 * Published (Backstage events service) by the appliances backend when the set
 * of appliances changed: a channel ingested new definitions or was removed.
 * The catalog module refreshes its appliance entities on it.
 */
export const APPLIANCES_CHANGED_TOPIC = 'tempest.appliances.changed';

/**
 * Published by the appliances backend when an instance changed state (after
 * the change is committed). The catalog module refreshes its host and
 * instance entities on it.
 */
export const HOSTING_CHANGED_TOPIC = 'tempest.hosting.changed';
