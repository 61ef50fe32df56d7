/** The callers of the route × caller table, the records it touches and what each caller should get. */

export const IDENTITIES = {
  owner: {
    ref: 'user:default/ann',
    groups: ['group:default/team-a', 'group:default/tempest-buyers'],
  },
  otherBuyer: {
    ref: 'user:default/bob',
    groups: ['group:default/tempest-buyers'],
  },
  provider: {
    ref: 'user:default/pat',
    groups: ['group:default/tempest-providers'],
  },
  admin: { ref: 'user:default/ada', groups: ['group:default/tempest-admins'] },
  none: undefined,
} as const;
export type Who = keyof typeof IDENTITIES;
export const WHO = Object.keys(IDENTITIES) as Who[];

export const HOST_ID = '11111111-1111-4111-8111-111111111111';
export const INSTANCE_ID = '22222222-2222-4222-8222-222222222222';
export const OPERATION_ID = '33333333-3333-4333-8333-333333333333';
export const ACCOUNT_ID = '44444444-4444-4444-8444-444444444444';

export type Expected = number | { status: number; items: number };
export type Row = {
  method: 'get' | 'post' | 'put' | 'delete';
  /** The path as the spec writes it. */
  path: string;
  url: (who: Who) => string;
  body?: (who: Who) => object;
  expect: Record<Who, Expected>;
};

export const same = (status: number): Record<Who, Expected> => ({
  owner: status,
  otherBuyer: status,
  provider: status,
  admin: status,
  none: status,
});
export const signedIn = (
  status: number,
  admin = status,
): Record<Who, Expected> => ({
  owner: status,
  otherBuyer: status,
  provider: status,
  admin,
  none: 401,
});
/** Instance reads: the owner (through a group), the provider of its host and admins see it; others are told it does not exist. */
export const instanceRead = (status: number): Record<Who, Expected> => ({
  owner: status,
  otherBuyer: 404,
  provider: status,
  admin: status,
  none: 401,
});

/** Accounts: the owning group's members and admins see it; others are told it does not exist. */
export const accountRead = (status: number): Record<Who, Expected> => ({
  owner: status,
  otherBuyer: 404,
  provider: 404,
  admin: status,
  none: 401,
});

export const memberships = Object.fromEntries(
  Object.values(IDENTITIES).flatMap(i => (i ? [[i.ref, i.groups]] : [])),
);
