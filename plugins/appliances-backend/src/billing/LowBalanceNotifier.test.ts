import { TestDatabases } from '@backstage/backend-test-utils';
import { AccountStore } from './AccountStore';
import { TopUps } from './TopUps';
import { BillingTask } from './BillingTask';
import { LowBalanceNotifier } from './LowBalanceNotifier';
import {
  MIN,
  T0,
  insertHost,
  insertInstances,
  migrated,
  moveInstance,
} from './__testUtils__/billingFixtures';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const TEAM = 'group:default/team-a';

describe.each(databases.eachSupportedId())(
  'LowBalanceNotifier on %p',
  databaseId => {
    it("tells the account's owners once per crossing below the threshold, again after a top-up and a new fall, and retries when telling failed", async () => {
      const knex = await migrated(await databases.init(databaseId));
      await insertHost(knex, { id: 'host-1', owner: 'user:default/pat' });
      const accounts = new AccountStore(knex, 'EUR');
      const topUps = new TopUps(knex, accounts);
      const team = await accounts.ensure(TEAM);
      await topUps.topUp(team.id, {
        amountMinor: 1000,
        reference: 'INV-1',
        actor: 'user:default/admin',
      });
      const task = new BillingTask(knex, accounts, {
        feeBasisPoints: 0,
        lowBalanceThresholdMinor: 500,
      });
      const sent: any[] = [];
      let failing = false;
      const notifier = new LowBalanceNotifier(
        knex,
        {
          send: async n => {
            if (failing) throw new Error('notifications backend down');
            sent.push(n);
          },
        },
        { thresholdMinor: 500, refusesAtZero: true },
      );
      // Running costs 200 a minute; storage 0.
      await insertInstances(knex, [
        {
          id: 'i-1',
          owner: 'user:default/ann',
          costCenter: TEAM,
          hostId: 'host-1',
          pricedAt: T0,
          runningPriceMinor: 200,
          runningPeriodSeconds: 60,
          storagePriceMinor: 0,
          storagePeriodSeconds: 3600,
        },
      ]);
      await moveInstance(knex, 'i-1', 'provisioning', 'started', T0);
      const tick = async (at: number) => {
        await task.tick(at);
        return notifier.notifyPending(at);
      };

      expect(await tick(T0 + 1 * MIN)).toEqual([]); // 1000 - 400 = 600
      failing = true;
      // 400: below 500, but the notifications backend is down.
      await expect(tick(T0 + 2 * MIN)).rejects.toThrow(
        /notifications backend down/,
      );
      failing = false;
      expect(await tick(T0 + 2 * MIN + 1000)).toEqual([TEAM]);
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({
        recipients: { type: 'entity', entityRef: TEAM },
        payload: {
          title: `The account of ${TEAM} is low: €4.00`,
          link: '/appliances/costs',
          severity: 'normal',
        },
      });
      expect(sent[0].payload.description).toMatch(/below €5\.00/);
      // Further ticks below the threshold, even at zero, tell nobody again.
      expect(await tick(T0 + 4 * MIN)).toEqual([]);
      expect(await tick(T0 + 6 * MIN)).toEqual([]);
      expect(sent).toHaveLength(1);

      // A top-up above the threshold clears the mark; the next fall is told again.
      await topUps.topUp(team.id, {
        amountMinor: 2000,
        reference: 'INV-2',
        actor: 'user:default/admin',
      });
      expect(await tick(T0 + 6 * MIN + 1000)).toEqual([]);
      expect((await accounts.get(team.id))?.lowBalanceSince).toBeUndefined();
      for (let m = 7; m <= 16; m++) await tick(T0 + m * MIN);
      expect(sent).toHaveLength(2);
      expect(sent[1].payload.scope).toBe(sent[0].payload.scope);
      // Balance: 3000 - 17 periods × 200 = -400, told at the first tick below 500.
      expect((await accounts.get(team.id))?.balanceMinor).toBe(-400);
    });

    it('says when new instances are refused at zero', async () => {
      const knex = await migrated(await databases.init(databaseId));
      const accounts = new AccountStore(knex, 'EUR');
      const team = await accounts.ensure(TEAM);
      await knex('billing_accounts')
        .where({ id: team.id })
        .update({ balance_minor: -5, low_balance_since_ms: T0 });
      const sent: any[] = [];
      const notifier = new LowBalanceNotifier(
        knex,
        { send: async n => void sent.push(n) },
        { thresholdMinor: 0, refusesAtZero: true },
      );
      await notifier.notifyPending(T0);
      expect(sent[0].payload).toMatchObject({
        title: `The account of ${TEAM} is at -€0.05`,
        severity: 'high',
      });
      expect(sent[0].payload.description).toMatch(
        /New instances billed to it are refused until it is topped up/,
      );
    });
  },
);
