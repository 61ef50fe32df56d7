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
  T0,
  insertHost,
  insertInstances,
  ledgerProblems,
  moveInstance,
} from './__testUtils__/billingFixtures';
import {
  ANN,
  startBillingBackends,
} from './__testUtils__/startBillingBackends';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const as = (ref: string) => mockCredentials.user.header(ref);

describe.each(databases.eachSupportedId())(
  'billing reversal routes on %p',
  databaseId => {
    let buyerServer: any;
    let adminServer: any;
    let bob: string;
    let knex: Knex;
    const auditor = mockServices.auditor.mock();

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      ({ buyerServer, adminServer, bob } = await startBillingBackends(
        knex,
        auditor,
      ));
    });

    it('reverses a transaction once, for admins only, with a reason, and never a reversal', async () => {
      const RITA = 'user:default/rita';
      const TEAM = 'group:default/team-r';
      await insertHost(knex, { id: 'rita-h', owner: RITA });
      await insertInstances(knex, [
        {
          id: 'r-1',
          owner: ANN,
          costCenter: TEAM,
          hostId: 'rita-h',
          pricedAt: T0,
          runningPriceMinor: 7,
          runningPeriodSeconds: 60,
          storagePriceMinor: 3,
          storagePeriodSeconds: 600,
        },
      ]);
      await moveInstance(knex, 'r-1', 'provisioning', 'started', T0);
      const store = new AccountStore(knex, 'EUR');
      await new BillingTask(knex, store, {
        feeBasisPoints: 0,
        lowBalanceThresholdMinor: 0,
      }).tick(T0);
      const team = (await store.findByOwner(TEAM))!;
      const rita = (await store.findByOwner(RITA))!;
      const running = await knex('billing_transactions')
        .where({ instance_id: 'r-1', kind: 'running' })
        .first('id');
      const chargeId = Number(running.id);
      const url = (account: string, tx: number) =>
        `/api/appliances/accounts/${account}/ledger/${tx}/reversal`;
      const balance = async (id: string) => (await store.get(id))!.balanceMinor;
      expect([await balance(team.id), await balance(rita.id)]).toEqual([
        -10, 10,
      ]);

      const refused = await request(buyerServer)
        .post(url(team.id, chargeId))
        .set('Authorization', as(ANN))
        .send({ reason: 'double charge' });
      expect(refused.status).toBe(403);
      const noReason = await request(adminServer)
        .post(url(team.id, chargeId))
        .set('Authorization', as(ANN))
        .send({});
      expect(noReason.status).toBe(400);
      const blank = await request(adminServer)
        .post(url(team.id, chargeId))
        .set('Authorization', as(ANN))
        .send({ reason: '   ' });
      expect(blank.status).toBe(400);
      // Another account's transaction is not found through this one.
      const elsewhere = await request(adminServer)
        .post(url(bob, chargeId))
        .set('Authorization', as(ANN))
        .send({ reason: 'wrong account' });
      expect(elsewhere.status).toBe(404);
      expect([await balance(team.id), await balance(rita.id)]).toEqual([
        -10, 10,
      ]);

      // Twice at once: one reversal, the balances moved once.
      const [first, second] = await Promise.all(
        [0, 1].map(() =>
          request(adminServer)
            .post(url(team.id, chargeId))
            .set('Authorization', as(ANN))
            .send({ reason: 'double charge' }),
        ),
      );
      expect([first.status, second.status]).toEqual([200, 200]);
      expect([first.body.created, second.body.created].sort()).toEqual([
        false,
        true,
      ]);
      expect(second.body.transactionId).toBe(first.body.transactionId);
      expect(first.body).toMatchObject({
        reversesTransactionId: chargeId,
        account: { id: team.id, balanceMinor: -3 },
      });
      const again = await request(adminServer)
        .post(url(rita.id, chargeId))
        .set('Authorization', as(ANN))
        .send({ reason: 'asked again from the other side' });
      expect(again.body).toMatchObject({
        created: false,
        transactionId: first.body.transactionId,
        account: { id: rita.id, balanceMinor: 3 },
      });
      const ofReversal = await request(adminServer)
        .post(url(team.id, first.body.transactionId))
        .set('Authorization', as(ANN))
        .send({ reason: 'undo the undo' });
      expect(ofReversal.status).toBe(409);
      expect(ofReversal.body.error.message).toMatch(/is a reversal/);
      expect([await balance(team.id), await balance(rita.id)]).toEqual([-3, 3]);
      const reversal = await knex('billing_postings')
        .whereIn('account_id', [team.id, rita.id])
        .where('transaction_id', first.body.transactionId)
        .orderBy('line');
      expect(reversal.map(p => [p.line, Number(p.amount_minor)])).toEqual([
        [0, 7],
        [1, -7],
      ]);
      expect(await ledgerProblems(knex)).toEqual([]);

      // Every attempt that reached the route went through the auditor (the
      // one without a reason was refused by the spec before it).
      const calls = auditor.createEvent.mock.calls
        .map(
          (c, i) => [c[0], auditor.createEvent.mock.results[i].value] as const,
        )
        .filter(([e]) => e.eventId === 'account-ledger-reversal');
      const handles = await Promise.all(calls.map(([, h]) => h));
      expect(calls).toHaveLength(7);
      expect(calls[0][0].meta).toEqual({
        accountId: team.id,
        transactionId: chargeId,
        reason: 'double charge',
      });
      expect(handles.filter(h => h.success.mock.calls.length)).toHaveLength(3);
      expect(handles.filter(h => h.fail.mock.calls.length)).toHaveLength(4);

      const csv = await request(adminServer)
        .get(`/api/appliances/accounts/${team.id}/ledger`)
        .set('Authorization', as(ANN))
        .set('Accept', 'text/csv');
      expect(csv.text.split('\n')[1]).toMatch(
        new RegExp(
          `,reversal,r-1,r-1,,,0\\.07,EUR,,${chargeId},double charge$`,
        ),
      );

      const ledger = await request(adminServer)
        .get(`/api/appliances/accounts/${team.id}/ledger`)
        .set('Authorization', as(ANN));
      expect(ledger.body.items[0]).toMatchObject({
        transactionId: first.body.transactionId,
        kind: 'reversal',
        instanceId: 'r-1',
        instanceHostname: 'r-1',
        reversesTransactionId: chargeId,
        reason: 'double charge',
        amountMinor: 7,
      });
      expect(
        ledger.body.items.find((l: any) => l.transactionId === chargeId),
      ).toMatchObject({
        kind: 'running',
        amountMinor: -7,
        reversedByTransactionId: first.body.transactionId,
      });
      // The provider's income per host is net of the reversal.
      const income = await request(adminServer)
        .get(`/api/appliances/accounts/${rita.id}/income-by-host`)
        .set('Authorization', as(ANN));
      expect(income.body.items).toEqual([
        { hostId: 'rita-h', hostName: 'rita-h', instances: 1, incomeMinor: 3 },
      ]);
    });
  },
);
