import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { AccountStore, PLATFORM_FEES_OWNER } from './AccountStore';
import { BillingTask } from './BillingTask';
import {
  T0,
  TestInstance,
  insertHost,
  insertInstances,
  ledgerProblems,
  migrated,
} from './__testUtils__/billingFixtures';

jest.setTimeout(900_000);

/**
 * Exactly once, simulated: 30 days of 1,000 instances changing state on a
 * seeded schedule, two replicas ticking against one PostgreSQL database
 * (sometimes at once, with a two-day outage), 20 of their ticks killed
 * midway. The ledger must equal what the instances' histories say.
 */
const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const INSTANCES = 1000;
const FEE_BP = 250;

function mulberry32(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Change = { id: string; at: number; from: string; to: string };

type Plan = TestInstance & { changes: Change[] };

function plan(random: () => number, end: number): Plan[] {
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
  const plans: Plan[] = [];
  for (let i = 0; i < INSTANCES; i++) {
    const pricedAt = T0 + Math.floor(random() * 2 * DAY);
    const p: Plan = {
      id: `sim-${String(i).padStart(4, '0')}`,
      owner: `user:default/u${i % 50}`,
      costCenter: `group:default/team-${i % 20}`,
      hostId: `host-${i % 10}`,
      pricedAt,
      runningPriceMinor: 1 + Math.floor(random() * 5000),
      runningPeriodSeconds: pick([1800, 3600, 7200, 14400]),
      storagePriceMinor: Math.floor(random() * 20000),
      storagePeriodSeconds: pick([6 * 3600, 12 * 3600, 86400]),
      changes: [],
    };
    let at = pricedAt + Math.floor(random() * 10 * 60_000);
    let state = 'provisioning';
    const move = (to: string) => {
      p.changes.push({ id: p.id, at, from: state, to });
      state = to;
    };
    move('started');
    for (;;) {
      at += Math.floor(random() * 4 * DAY);
      if (at >= end) break;
      if (random() < 0.08) {
        move('deleting');
        at += 1000 + Math.floor(random() * 60_000);
        move('deleted');
        break;
      }
      if (state === 'started') move(random() < 0.7 ? 'stopped' : 'suspended');
      else move('started');
    }
    plans.push(p);
  }
  return plans;
}

/** What the instances' histories say each account owes or earns, computed without the billing code. */
function expectation(
  plans: Plan[],
  hostOwner: (hostId: string) => string,
  end: number,
) {
  const balances = new Map<string, number>();
  const add = (owner: string, amount: number) =>
    balances.set(owner, (balances.get(owner) ?? 0) + amount);
  let transactions = 0;
  const charge = (p: Plan, price: number, count: number) => {
    const fee = Math.floor((price * FEE_BP) / 10000);
    add(p.costCenter!, -price * count);
    add(hostOwner(p.hostId), (price - fee) * count);
    add(PLATFORM_FEES_OWNER, fee * count);
    transactions += count;
  };
  const periodsIn = (from: number, to: number, period: number) => {
    let n = 0;
    for (let t = from; t <= end && t < to; t += period) n++;
    return n;
  };
  for (const p of plans) {
    const deleted = p.changes.find(c => c.to === 'deleted');
    charge(
      p,
      p.storagePriceMinor,
      periodsIn(
        p.pricedAt,
        deleted?.at ?? Infinity,
        p.storagePeriodSeconds * 1000,
      ),
    );
    let startedAt: number | undefined;
    for (const c of [...p.changes, { at: Infinity, to: 'end' }]) {
      if (c.to === 'started') startedAt = c.at;
      else if (startedAt !== undefined) {
        charge(
          p,
          p.runningPriceMinor,
          periodsIn(startedAt, c.at, p.runningPeriodSeconds * 1000),
        );
        startedAt = undefined;
      }
    }
  }
  return { balances, transactions };
}

async function applyChanges(knex: Knex, changes: Change[]) {
  if (!changes.length) return;
  for (let i = 0; i < changes.length; i += 500) {
    await knex('instance_events').insert(
      changes.slice(i, i + 500).map(c => ({
        instance_id: c.id,
        at: new Date(c.at),
        actor: 'user:default/sim',
        kind: 'action',
        from_state: c.from,
        to_state: c.to,
        outcome: 'succeeded',
      })),
    );
  }
  const last = new Map<string, Change>();
  for (const c of changes) last.set(c.id, c);
  for (const c of last.values()) {
    await knex('instances')
      .where({ id: c.id })
      .update({
        state: c.to,
        updated_at: new Date(c.at),
        ...(c.to === 'started' ? { started_at: new Date(c.at) } : {}),
      });
  }
}

describe.each(databases.eachSupportedId())(
  'billing simulation on %p',
  databaseId => {
    it('charges every period exactly once over 30 days with two replicas and 20 kills', async () => {
      const knex = await migrated(await databases.init(databaseId));
      const random = mulberry32(20261202);
      const end = T0 + 30 * DAY;
      const hostOwner = (hostId: string) =>
        `user:default/provider-${Number(hostId.split('-')[1]) % 5}`;
      for (let h = 0; h < 10; h++) {
        await insertHost(knex, {
          id: `host-${h}`,
          owner: hostOwner(`host-${h}`),
        });
      }
      const plans = plan(random, end);
      const accounts = new AccountStore(knex, 'EUR');

      // Kills: 20 ticks chosen in advance die at one of the steps of a batch.
      let killsLeft = 20;
      let killed = 0;
      let killNext: 'transactions' | 'postings' | 'balances' | undefined;
      const replica = () =>
        new BillingTask(knex, accounts, {
          feeBasisPoints: FEE_BP,
          lowBalanceThresholdMinor: 0,
          batchSize: 1000,
          between: step => {
            if (step === killNext) {
              killNext = undefined;
              killed++;
              throw new Error('replica killed');
            }
          },
        });
      const replicas = [replica(), replica()];

      const changes = plans.flatMap(p => p.changes).sort((a, b) => a.at - b.at);
      let applied = 0;
      let placed = 0;
      const byPlacement = [...plans].sort((a, b) => a.pricedAt - b.pricedAt);
      const rejections: string[] = [];
      for (let now = T0; now < end;) {
        // A two-day outage: nobody ticks from day 10 to day 12.
        now +=
          now > T0 + 10 * DAY && now < T0 + 12 * DAY
            ? 2 * DAY
            : Math.floor(random() * 6 * HOUR);
        now = Math.min(now, end);
        const newly: Plan[] = [];
        while (
          placed < byPlacement.length &&
          byPlacement[placed].pricedAt <= now
        )
          newly.push(byPlacement[placed++]);
        await insertInstances(knex, newly);
        const due: Change[] = [];
        while (applied < changes.length && changes[applied].at <= now)
          due.push(changes[applied++]);
        await applyChanges(knex, due);

        if (killsLeft > 0 && random() < 0.15) {
          killsLeft--;
          killNext = (['transactions', 'postings', 'balances'] as const)[
            Math.floor(random() * 3)
          ];
        }
        const both = random() < 0.3;
        const runners = both ? replicas : [replicas[Math.floor(random() * 2)]];
        const results = await Promise.allSettled(runners.map(r => r.tick(now)));
        for (const r of results) {
          // Killed, or a deadlock victim of the other replica: rolled back either way.
          if (r.status === 'rejected') rejections.push(String(r.reason));
        }
        killNext = undefined;
      }
      expect(killed).toBe(20);
      expect(
        rejections.filter(r => !/replica killed|deadlock/.test(r)),
      ).toEqual([]);
      // The last tick of each replica at the end settles whatever a kill left.
      await replicas[0].tick(end);
      await replicas[1].tick(end);

      const expected = expectation(plans, hostOwner, end);
      const rows = await knex('billing_accounts').select(
        'owner',
        'balance_minor',
      );
      const actual = new Map(rows.map(r => [r.owner, Number(r.balance_minor)]));
      expect(Object.fromEntries(actual)).toEqual(
        Object.fromEntries(expected.balances),
      );
      const [{ n }] = await knex('billing_transactions').count({ n: '*' });
      expect(Number(n)).toBe(expected.transactions);
      expect(await ledgerProblems(knex)).toEqual([]);
      // eslint-disable-next-line no-console
      console.log(
        `simulation: ${INSTANCES} instances, 30 days, ${changes.length} state changes, ${expected.transactions} charges, ${killed} kills, ${rejections.length} rolled-back ticks; ledger equals expectation for ${actual.size} accounts`,
      );
    });
  },
);
