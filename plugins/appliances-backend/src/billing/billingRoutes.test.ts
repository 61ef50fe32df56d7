import {
  TestDatabases,
  mockCredentials,
  mockServices,
} from '@backstage/backend-test-utils';
import request from 'supertest';
import { Knex } from 'knex';
import { AccountStore } from './AccountStore';
import { BillingTask } from './BillingTask';
import {
  MIN,
  T0,
  insertHost,
  insertInstances,
  moveInstance,
} from './__testUtils__/billingFixtures';
import {
  ANN,
  BOB,
  startBillingBackends,
} from './__testUtils__/startBillingBackends';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const as = (ref: string) => mockCredentials.user.header(ref);

describe.each(databases.eachSupportedId())(
  'billing routes on %p',
  databaseId => {
    let buyerServer: any;
    let adminServer: any;
    let ann: string;
    let bob: string;
    let knex: Knex;
    const auditor = mockServices.auditor.mock();

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      ({ buyerServer, adminServer, ann, bob } = await startBillingBackends(
        knex,
        auditor,
      ));
    });

    it('shows buyers their own accounts only, and others as if they did not exist', async () => {
      const list = await request(buyerServer)
        .get('/api/appliances/accounts')
        .set('Authorization', as(ANN));
      expect(list.status).toBe(200);
      expect(list.body.items.map((a: any) => a.owner)).toEqual([ANN]);
      expect(list.body.items[0]).toMatchObject({
        balanceMinor: 0,
        currency: 'EUR',
        spendPerHourMinor: 0,
        provisioningRefused: true,
      });
      const other = await request(buyerServer)
        .get(`/api/appliances/accounts/${bob}`)
        .set('Authorization', as(ANN));
      expect(other.status).toBe(404);
      expect(JSON.stringify(other.body)).not.toContain('bob');
      const all = await request(adminServer)
        .get('/api/appliances/accounts')
        .set('Authorization', as(ANN));
      expect(all.body.items.map((a: any) => a.owner)).toEqual(
        expect.arrayContaining([ANN, BOB]),
      );
    });

    it('tops up for admins only, once per reference', async () => {
      const refused = await request(buyerServer)
        .post(`/api/appliances/accounts/${ann}/top-ups`)
        .set('Authorization', as(ANN))
        .send({ amountMinor: 1000, reference: 'INV-7' });
      expect(refused.status).toBe(403);
      const bad = await request(adminServer)
        .post(`/api/appliances/accounts/${ann}/top-ups`)
        .set('Authorization', as(ANN))
        .send({ amountMinor: 0, reference: 'INV-7' });
      expect(bad.status).toBe(400);
      const first = await request(adminServer)
        .post(`/api/appliances/accounts/${ann}/top-ups`)
        .set('Authorization', as(ANN))
        .send({ amountMinor: 1000, reference: 'INV-7' });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({
        created: true,
        account: { balanceMinor: 1000, provisioningRefused: false },
      });
      const again = await request(adminServer)
        .post(`/api/appliances/accounts/${ann}/top-ups`)
        .set('Authorization', as(ANN))
        .send({ amountMinor: 1000, reference: 'INV-7' });
      expect(again.body).toMatchObject({
        created: false,
        transactionId: first.body.transactionId,
        account: { balanceMinor: 1000 },
      });
      const missing = await request(adminServer)
        .post('/api/appliances/accounts/nope/top-ups')
        .set('Authorization', as(ANN))
        .send({ amountMinor: 5, reference: 'INV-8' });
      expect(missing.status).toBe(404);
    });

    it('pages the ledger and exports it as CSV in currency units', async () => {
      for (const reference of ['A-1', 'A-2', '=HYPERLINK("x")']) {
        await request(adminServer)
          .post(`/api/appliances/accounts/${bob}/top-ups`)
          .set('Authorization', as(ANN))
          .send({ amountMinor: 250, reference });
      }
      const page1 = await request(adminServer)
        .get(`/api/appliances/accounts/${bob}/ledger?limit=2`)
        .set('Authorization', as(ANN));
      expect(page1.body.items).toHaveLength(2);
      expect(page1.body.items[0]).toMatchObject({
        kind: 'top-up',
        amountMinor: 250,
      });
      const page2 = await request(adminServer)
        .get(
          `/api/appliances/accounts/${bob}/ledger?limit=2&before=${page1.body.nextBefore}`,
        )
        .set('Authorization', as(ANN));
      expect(page2.body.items.map((l: any) => l.reference)).toEqual(['A-1']);
      expect(page2.body.nextBefore).toBeUndefined();
      const csv = await request(adminServer)
        .get(`/api/appliances/accounts/${bob}/ledger`)
        .set('Authorization', as(ANN))
        .set('Accept', 'text/csv');
      expect(csv.status).toBe(200);
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      const lines = csv.text.trim().split('\n');
      expect(lines[0]).toBe(
        'transaction,at,kind,instance,hostname,period_start,period_seconds,amount,currency,reference,reverses,reason',
      );
      expect(lines).toHaveLength(4);
      expect(lines[3]).toMatch(/,top-up,,,,,2\.50,EUR,A-1,,$/);
      expect(lines[1]).toMatch(/,2\.50,EUR,"'=HYPERLINK\(""x""\)",,$/);
    });

    it("names a deleted instance's charges by its hostname", async () => {
      const TEAM = 'group:default/team-gone';
      await insertHost(knex, { id: 'host-gone', owner: 'user:default/pat' });
      await insertInstances(knex, [
        {
          id: 'i-gone',
          owner: ANN,
          costCenter: TEAM,
          hostId: 'host-gone',
          pricedAt: T0,
          runningPriceMinor: 7,
          runningPeriodSeconds: 60,
          storagePriceMinor: 3,
          storagePeriodSeconds: 600,
        },
      ]);
      await knex('instances')
        .where({ id: 'i-gone' })
        .update({ hostname: 'web-gone', active_hostname: 'web-gone' });
      await moveInstance(knex, 'i-gone', 'provisioning', 'started', T0);
      await moveInstance(knex, 'i-gone', 'started', 'deleting', T0 + MIN / 2);
      await moveInstance(knex, 'i-gone', 'deleting', 'deleted', T0 + MIN / 2);
      // What the instance store does when an instance is deleted.
      await knex('instances')
        .where({ id: 'i-gone' })
        .update({ active_hostname: null });
      await new BillingTask(knex, new AccountStore(knex, 'EUR'), {
        feeBasisPoints: 0,
        lowBalanceThresholdMinor: 0,
      }).tick(T0 + 10 * MIN);
      const team = await new AccountStore(knex, 'EUR').findByOwner(TEAM);
      const ledger = await request(adminServer)
        .get(`/api/appliances/accounts/${team!.id}/ledger`)
        .set('Authorization', as(ANN));
      expect(ledger.status).toBe(200);
      expect(
        ledger.body.items
          .map((l: any) => `${l.kind} ${l.instanceId} ${l.instanceHostname}`)
          .sort(),
      ).toEqual(['running i-gone web-gone', 'storage i-gone web-gone']);
      const csv = await request(adminServer)
        .get(`/api/appliances/accounts/${team!.id}/ledger`)
        .set('Authorization', as(ANN))
        .set('Accept', 'text/csv');
      const lines = csv.text.trim().split('\n').slice(1);
      expect(lines).toHaveLength(2);
      for (const line of lines)
        expect(line).toMatch(/,(running|storage),i-gone,web-gone,/);
    });

    it("gives a provider their own hosts' income, admins any account's, and nobody else's", async () => {
      const QUINN = 'user:default/quinn';
      await insertHost(knex, { id: 'quinn-a', owner: QUINN });
      await insertHost(knex, { id: 'quinn-b', owner: QUINN });
      const instance = (id: string, hostId: string, running: number) => ({
        id,
        owner: BOB,
        costCenter: BOB,
        hostId,
        pricedAt: T0,
        runningPriceMinor: running,
        runningPeriodSeconds: 60,
        storagePriceMinor: 2,
        storagePeriodSeconds: 600,
      });
      await insertInstances(knex, [
        instance('qa-1', 'quinn-a', 5),
        instance('qa-2', 'quinn-a', 1),
        instance('qb-1', 'quinn-b', 100),
      ]);
      // qa-1 and qb-1 run one minute (two running periods), qa-2 is only stored.
      for (const id of ['qa-1', 'qb-1'])
        await moveInstance(knex, id, 'provisioning', 'started', T0);
      await new BillingTask(knex, new AccountStore(knex, 'EUR'), {
        feeBasisPoints: 0,
        lowBalanceThresholdMinor: 0,
      }).tick(T0 + MIN);
      const quinn = (await new AccountStore(knex, 'EUR').findByOwner(QUINN))!;
      const expected = [
        {
          hostId: 'quinn-b',
          hostName: 'quinn-b',
          instances: 1,
          incomeMinor: 202,
        },
        {
          hostId: 'quinn-a',
          hostName: 'quinn-a',
          instances: 2,
          incomeMinor: 14,
        },
      ];
      const own = await request(buyerServer)
        .get(`/api/appliances/accounts/${quinn.id}/income-by-host`)
        .set('Authorization', as(QUINN));
      expect(own.status).toBe(200);
      expect(own.body.items).toEqual(expected);
      const admin = await request(adminServer)
        .get(`/api/appliances/accounts/${quinn.id}/income-by-host`)
        .set('Authorization', as(ANN));
      expect(admin.body.items).toEqual(expected);
      const other = await request(buyerServer)
        .get(`/api/appliances/accounts/${quinn.id}/income-by-host`)
        .set('Authorization', as(ANN));
      expect(other.status).toBe(404);
      expect(JSON.stringify(other.body)).not.toContain('quinn-');
      // A buyer's own account has no income.
      const buyer = await request(buyerServer)
        .get(`/api/appliances/accounts/${bob}/income-by-host`)
        .set('Authorization', as(BOB));
      expect(buyer.body.items).toEqual([]);
    });

    it('refuses a top-up that would take a balance past what is kept exactly, and changes nothing', async () => {
      const top = (amountMinor: number, reference: string) =>
        request(adminServer)
          .post(`/api/appliances/accounts/${bob}/top-ups`)
          .set('Authorization', as(ANN))
          .send({ amountMinor, reference });
      const before = (await top(2745, 'BIG-1')).body.account.balanceMinor;
      const ledger = async () =>
        (
          await request(adminServer)
            .get(`/api/appliances/accounts/${bob}/ledger?limit=100`)
            .set('Authorization', as(ANN))
        ).body.items.length;
      const lines = await ledger();
      const refused = await top(Number.MAX_SAFE_INTEGER, 'BIG-2');
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toBe(
        `This top-up would take the balance past 9,007,199,254,740,991 minor units, the most Tempest keeps exactly; the balance stays ${before}`,
      );
      const account = await request(adminServer)
        .get(`/api/appliances/accounts/${bob}`)
        .set('Authorization', as(ANN));
      expect(account.body.balanceMinor).toBe(before);
      expect(await ledger()).toBe(lines);
      // The reference was not used up: the top-up can be sent again with a smaller amount.
      expect((await top(5, 'BIG-2')).body).toMatchObject({
        created: true,
        account: { balanceMinor: before + 5 },
      });
    });
  },
);
