import { TestDatabases } from '@backstage/backend-test-utils';
import { AccountStore, PLATFORM_FEES_OWNER } from './AccountStore';
import { TopUps } from './TopUps';
import { BillingTask } from './BillingTask';
import {
  MIN,
  T0,
  balances,
  insertHost,
  insertInstances,
  ledgerProblems,
  migrated,
  moveInstance,
} from './__testUtils__/billingFixtures';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const BUYER = 'group:default/team-a';
const PROVIDER = 'user:default/provider';

async function setUp(databaseId: any, feeBasisPoints = 0) {
  const knex = await migrated(await databases.init(databaseId));
  await insertHost(knex, { id: 'host-1', owner: PROVIDER });
  const accounts = new AccountStore(knex, 'EUR');
  const task = new BillingTask(knex, accounts, {
    feeBasisPoints,
    lowBalanceThresholdMinor: 0,
  });
  // Storage 3 per 10 minutes, running 7 per minute.
  await insertInstances(knex, [
    {
      id: 'i-1',
      owner: 'user:default/alice',
      costCenter: BUYER,
      hostId: 'host-1',
      pricedAt: T0,
      runningPriceMinor: 7,
      runningPeriodSeconds: 60,
      storagePriceMinor: 3,
      storagePeriodSeconds: 600,
    },
  ]);
  return { knex, accounts, task };
}

describe.each(databases.eachSupportedId())('BillingTask on %p', databaseId => {
  it('charges storage in every state and running time only while started, each at the beginning of its period', async () => {
    const { knex, task } = await setUp(databaseId);
    await task.tick(T0);
    // Storage period 0 begins at placement; not started yet.
    expect((await balances(knex)).get(BUYER)).toBe(-3);
    await moveInstance(knex, 'i-1', 'provisioning', 'started', T0 + 30_000);
    await task.tick(T0 + 30_000);
    expect((await balances(knex)).get(BUYER)).toBe(-3 - 7);
    // 4.5 minutes later: running periods at +30 s, 1:30, 2:30, 3:30, 4:30.
    await task.tick(T0 + 4 * MIN + 45_000);
    expect((await balances(knex)).get(BUYER)).toBe(-3 - 5 * 7);
    await moveInstance(knex, 'i-1', 'started', 'stopped', T0 + 5 * MIN);
    await task.tick(T0 + 20 * MIN);
    // Stopped: storage periods at 10 and 20 minutes only.
    const b = await balances(knex);
    expect(b.get(BUYER)).toBe(-3 * 3 - 5 * 7);
    expect(b.get(PROVIDER)).toBe(3 * 3 + 5 * 7);
    // The cost center pays, not the requester.
    expect(b.has('user:default/alice')).toBe(false);
    expect(await ledgerProblems(knex)).toEqual([]);
  });

  it('starting a stopped instance starts a new running period then', async () => {
    const { knex, task } = await setUp(databaseId);
    await moveInstance(knex, 'i-1', 'provisioning', 'started', T0);
    await task.tick(T0 + 10_000);
    await moveInstance(knex, 'i-1', 'started', 'stopped', T0 + 20_000);
    await moveInstance(knex, 'i-1', 'stopped', 'started', T0 + 40_000);
    await task.tick(T0 + 40_000);
    const starts = await knex('billing_transactions')
      .where({ kind: 'running' })
      .orderBy('period_start_ms')
      .pluck('period_start_ms');
    expect(starts.map(Number)).toEqual([T0, T0 + 40_000]);
  });

  it('after downtime charges every missed period the history says was chargeable, once', async () => {
    const { knex, task } = await setUp(databaseId);
    // Nobody ticks while the instance runs 3 minutes, stops, runs 2 more, is deleted.
    await moveInstance(knex, 'i-1', 'provisioning', 'started', T0);
    await moveInstance(knex, 'i-1', 'started', 'stopped', T0 + 3 * MIN);
    await moveInstance(knex, 'i-1', 'stopped', 'started', T0 + 30 * MIN);
    await moveInstance(knex, 'i-1', 'started', 'deleting', T0 + 32 * MIN);
    await moveInstance(
      knex,
      'i-1',
      'deleting',
      'deleted',
      T0 + 32 * MIN + 5000,
    );
    await task.tick(T0 + 120 * MIN);
    await task.tick(T0 + 121 * MIN);
    await task.tick(T0 + 500 * MIN);
    // Storage: periods at 0, 10, 20, 30 minutes; running 3 + 2.
    expect((await balances(knex)).get(BUYER)).toBe(-(4 * 3 + 5 * 7));
    expect(await ledgerProblems(knex)).toEqual([]);
  });

  it('charges once when two replicas tick at the same moment, and nothing of a tick killed midway', async () => {
    const { knex, accounts } = await setUp(databaseId);
    await moveInstance(knex, 'i-1', 'provisioning', 'started', T0);
    let kills = 0;
    const dying = new BillingTask(knex, accounts, {
      feeBasisPoints: 0,
      lowBalanceThresholdMinor: 0,
      between: step => {
        if (step === 'postings') {
          kills++;
          throw new Error('killed');
        }
      },
    });
    await expect(dying.tick(T0 + 10 * MIN)).rejects.toThrow('killed');
    expect(kills).toBe(1);
    const [{ n }] = await knex('billing_transactions').count({ n: '*' });
    expect(Number(n)).toBe(0);
    expect((await balances(knex)).get(BUYER) ?? 0).toBe(0);
    const replicas = [0, 1].map(
      () =>
        new BillingTask(knex, accounts, {
          feeBasisPoints: 0,
          lowBalanceThresholdMinor: 0,
        }),
    );
    if (databaseId === 'SQLITE_3') {
      // One connection: SQLite serialises them anyway.
      for (const r of replicas) await r.tick(T0 + 10 * MIN);
    } else {
      const results = await Promise.allSettled(
        replicas.map(r => r.tick(T0 + 10 * MIN)),
      );
      // A deadlock victim rolls back; the next tick finishes its work.
      if (results.some(r => r.status === 'rejected'))
        await replicas[0].tick(T0 + 10 * MIN);
    }
    // Storage at 0 and 10 min; running at 0..10 min inclusive.
    expect((await balances(knex)).get(BUYER)).toBe(-(2 * 3 + 11 * 7));
    expect(await ledgerProblems(knex)).toEqual([]);
  });

  it('skips periods already in the ledger when a segment is behind it, and charges the rest', async () => {
    const { knex, task } = await setUp(databaseId);
    await moveInstance(knex, 'i-1', 'provisioning', 'started', T0);
    await task.tick(T0 + 10 * MIN);
    const charged = -(2 * 3 + 11 * 7);
    expect((await balances(knex)).get(BUYER)).toBe(charged);
    // As if the segments' progress were lost: every period is due again.
    await knex('billing_segments').update({
      next_k: 0,
      next_due_ms: knex.ref('start_ms'),
    });
    const again = await task.tick(T0 + 12 * MIN);
    // Only the running periods at 11 and 12 minutes are new.
    expect(again.charged).toBe(2);
    expect((await balances(knex)).get(BUYER)).toBe(charged - 2 * 7);
    expect(await ledgerProblems(knex)).toEqual([]);
  });

  it('takes a platform fee in its own account and marks low balances', async () => {
    const { knex, accounts, task } = await setUp(databaseId, 1250);
    await knex('instances')
      .where({ id: 'i-1' })
      .update({ storage_price_minor: 1000 });
    await task.tick(T0);
    const b = await balances(knex);
    expect(b.get(BUYER)).toBe(-1000);
    expect(b.get(PLATFORM_FEES_OWNER)).toBe(125);
    expect(b.get(PROVIDER)).toBe(875);
    const buyer = await accounts.findByOwner(BUYER);
    expect(buyer?.lowBalanceSince).toBe(new Date(T0).toISOString());
    // A top-up above the threshold clears the mark on the next tick.
    await new TopUps(knex, accounts).topUp(buyer!.id, {
      amountMinor: 5000,
      reference: 'INV-1',
      actor: 'user:default/admin',
    });
    await task.tick(T0 + 1000);
    expect((await accounts.get(buyer!.id))?.lowBalanceSince).toBeUndefined();
    expect(await ledgerProblems(knex)).toEqual([]);
  });
});
