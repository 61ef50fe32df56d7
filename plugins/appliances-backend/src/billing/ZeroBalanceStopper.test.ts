import { TestDatabases } from '@backstage/backend-test-utils';
import { AccountStore } from './AccountStore';
import { TopUps } from './TopUps';
import { BillingTask } from './BillingTask';
import { BILLING_ACTOR, ZeroBalanceStopper } from './ZeroBalanceStopper';
import {
  MIN,
  T0,
  balances,
  insertHost,
  insertInstances,
  migrated,
  moveInstance,
} from './__testUtils__/billingFixtures';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const TEAM = 'group:default/team-a';
const OTHER = 'group:default/team-b';

describe.each(databases.eachSupportedId())(
  'ZeroBalanceStopper on %p',
  databaseId => {
    it("stops the running instances of an account at zero once the grace period has passed, audited, never deleting them, and not others'", async () => {
      const knex = await migrated(await databases.init(databaseId));
      await insertHost(knex, { id: 'host-1', owner: 'user:default/pat' });
      const accounts = new AccountStore(knex, 'EUR');
      const topUps = new TopUps(knex, accounts);
      const team = await accounts.ensure(TEAM);
      await topUps.topUp(team.id, {
        amountMinor: 300,
        reference: 'INV-1',
        actor: 'user:default/admin',
      });
      const other = await accounts.ensure(OTHER);
      await topUps.topUp(other.id, {
        amountMinor: 100_000,
        reference: 'INV-2',
        actor: 'user:default/admin',
      });
      const price = {
        hostId: 'host-1',
        pricedAt: T0,
        runningPriceMinor: 100,
        runningPeriodSeconds: 60,
        storagePriceMinor: 1,
        storagePeriodSeconds: 60,
      };
      await insertInstances(knex, [
        { id: 'a-1', owner: 'user:default/ann', costCenter: TEAM, ...price },
        { id: 'a-2', owner: 'user:default/ann', costCenter: TEAM, ...price },
        { id: 'b-1', owner: 'user:default/bob', costCenter: OTHER, ...price },
      ]);
      for (const id of ['a-1', 'a-2', 'b-1'])
        await moveInstance(knex, id, 'provisioning', 'started', T0);
      // a-2 is stopped by its owner before the account runs out.
      await moveInstance(knex, 'a-2', 'started', 'stopped', T0 + 30_000);

      let now = T0;
      const stops: Array<[string, string]> = [];
      const audit: any[] = [];
      const stopper = new ZeroBalanceStopper({
        db: knex,
        graceMs: 5 * MIN,
        // As the instance actions do: a clean stop, recorded in its history.
        stopInstance: async (id, actor) => {
          stops.push([id, actor]);
          await moveInstance(knex, id, 'started', 'stopped', now);
        },
        auditor: {
          createEvent: async (e: any) => ({
            success: async () => void audit.push({ ...e, outcome: 'ok' }),
            fail: async () => void audit.push({ ...e, outcome: 'failed' }),
          }),
        } as any,
      });
      const task = new BillingTask(knex, accounts, {
        feeBasisPoints: 0,
        lowBalanceThresholdMinor: 0,
      });
      const tick = async (at: number) => {
        now = at;
        await task.tick(at);
        return stopper.run(at);
      };
      // 300 - a-1's running 100 and three storage periods: at zero by 0:01.
      expect(await tick(T0)).toEqual([]);
      expect(await tick(T0 + MIN)).toEqual([]);
      expect((await balances(knex)).get(TEAM)).toBeLessThanOrEqual(0);
      // Within the grace period nothing stops.
      expect(await tick(T0 + 5 * MIN)).toEqual([]);
      expect(stops).toEqual([]);
      const stopped = await tick(T0 + 6 * MIN);
      expect(stopped).toEqual([
        { instanceId: 'a-1', hostname: 'a-1', account: TEAM },
      ]);
      expect(stops).toEqual([['a-1', BILLING_ACTOR]]);
      expect(audit).toEqual([
        expect.objectContaining({
          eventId: 'instance-stop-zero-balance',
          outcome: 'ok',
          meta: expect.objectContaining({
            instanceId: 'a-1',
            account: TEAM,
            actor: BILLING_ACTOR,
            graceSeconds: 300,
          }),
        }),
      ]);
      const states = Object.fromEntries(
        (await knex('instances').select('id', 'state')).map(r => [
          r.id,
          r.state,
        ]),
      );
      expect(states).toEqual({
        'a-1': 'stopped',
        'a-2': 'stopped',
        'b-1': 'started',
      });
      // Stopped, it is charged storage only from then on; nothing more to stop.
      const before = (await balances(knex)).get(TEAM)!;
      expect(await tick(T0 + 10 * MIN)).toEqual([]);
      expect((await balances(knex)).get(TEAM)).toBe(before - 4 * 2);

      // Topped up above zero, the mark clears: a new fall waits a full grace period again.
      await topUps.topUp(team.id, {
        amountMinor: 1000,
        reference: 'INV-3',
        actor: 'user:default/admin',
      });
      await tick(T0 + 10 * MIN + 1000);
      const row = await knex('billing_accounts').where({ id: team.id }).first();
      expect(row.zero_balance_since_ms).toBeNull();
    });
  },
);
