import { randomBytes } from 'node:crypto';

/**
 * A MAC for an instance NIC: locally administered and unicast (first octet
 * 02), then Tempest's 7e, then 32 random bits. Uniqueness is the database's
 * unique index; a collision draws again (InstanceStore.insert).
 */
export function issueMac(): string {
  return ['02', '7e', ...randomBytes(4).toString('hex').match(/../g)!].join(
    ':',
  );
}
