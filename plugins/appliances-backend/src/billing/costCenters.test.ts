import { TestDatabases } from '@backstage/backend-test-utils';
import { AccountStore } from './AccountStore';
import { TopUps } from './TopUps';
import { admitProvisioning, costCentersOf } from './costCenters';
import { BillingConfig } from './readBillingConfig';
import { migrated } from './__testUtils__/billingFixtures';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const ann = {
  principalRef: 'user:default/ann',
  ownershipRefs: [
    'user:default/ann',
    'group:default/team-a',
    'group:default/team-b',
  ],
};
const config: BillingConfig = {
  frequencySeconds: 15,
  marketFrequencySeconds: 60,
  feeBasisPoints: 0,
  lowBalanceThresholdMinor: 0,
  zeroBalancePolicy: 'refuse-provisioning',
  zeroBalanceGraceSeconds: 3600,
  startingBalances: [],
};

describe('costCentersOf', () => {
  it('offers the groups first, then the user', () => {
    expect(costCentersOf(ann)).toEqual([
      'group:default/team-a',
      'group:default/team-b',
      'user:default/ann',
    ]);
  });
});

describe.each(databases.eachSupportedId())(
  'admitProvisioning on %p',
  databaseId => {
    it('bills the first group by default, the chosen one of the requester’s, and refuses at zero', async () => {
      const knex = await migrated(await databases.init(databaseId));
      const accounts = new AccountStore(knex, 'EUR');
      const topUps = new TopUps(knex, accounts);
      await expect(admitProvisioning(accounts, config, ann)).resolves.toBe(
        'group:default/team-a',
      );
      await expect(
        admitProvisioning(accounts, config, ann, 'group:team-b'),
      ).resolves.toBe('group:default/team-b');
      await expect(
        admitProvisioning(accounts, config, ann, 'group:default/team-z'),
      ).rejects.toThrow(/one of your groups.*not 'group:default\/team-z'/);

      const teamA = await accounts.ensure('group:default/team-a');
      await expect(
        admitProvisioning(accounts, config, ann),
      ).rejects.toMatchObject({
        name: 'NotAllowedError',
        message:
          'The account of group:default/team-a has a balance of 0.00 EUR; ask an admin to top it up, or bill another of your groups',
      });
      await expect(
        admitProvisioning(
          accounts,
          { ...config, zeroBalancePolicy: 'none' },
          ann,
        ),
      ).resolves.toBe('group:default/team-a');
      // Stopping after a grace period refuses new instances too.
      await expect(
        admitProvisioning(
          accounts,
          { ...config, zeroBalancePolicy: 'stop-after-grace' },
          ann,
        ),
      ).rejects.toMatchObject({ name: 'NotAllowedError' });
      await topUps.topUp(teamA.id, {
        amountMinor: 1,
        reference: 'r',
        actor: 'user:default/admin',
      });
      await expect(admitProvisioning(accounts, config, ann)).resolves.toBe(
        'group:default/team-a',
      );
    });
  },
);
