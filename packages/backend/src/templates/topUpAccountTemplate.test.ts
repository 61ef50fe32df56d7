import { httpRouterServiceFactory } from '@backstage/backend-defaults/httpRouter';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModuleScaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import appliancesPlugin from '@tempest/backstage-plugin-appliances-backend';
import scaffolderModuleAppliances from '@tempest/backstage-plugin-scaffolder-backend-module-appliances';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import {
  policyPermissionsFactory,
  userInfoFactory,
} from '../__testUtils__/policyServices';

jest.setTimeout(180_000);

/**
 * The "Top up account" template end to end in one process: the real catalog
 * reads catalog/templates/top-up-account.yaml, the real scaffolder runs it as
 * an admin, its appliances:account:top-up action calls the real appliances
 * backend on the admin's behalf, through the Tempest policy.
 */

const ADA = 'user:default/ada'; // admin
const ANN = 'user:default/ann'; // buyer in team-a
const TEAM = 'group:default/team-a';
const memberships = {
  [ADA]: ['group:default/tempest-admins'],
  [ANN]: ['group:default/tempest-buyers', TEAM],
};
const repoRoot = path.resolve(__dirname, '../../../..');

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 250));
  }
}

describe('the Top up account template', () => {
  let server: any;
  let dataDir: string;
  const as = (ref: string) => mockCredentials.user.header(ref);

  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempest-top-up-'));
    ({ server } = await startTestBackend({
      features: [
        catalogPlugin,
        catalogModuleScaffolderEntityModel,
        scaffolderPlugin,
        scaffolderModuleAppliances,
        appliancesPlugin,
        httpRouterServiceFactory,
        mockServices.httpAuth.factory({
          defaultCredentials: mockCredentials.none(),
        }),
        policyPermissionsFactory(memberships),
        userInfoFactory(memberships),
        mockServices.rootConfig.factory({
          data: {
            catalog: {
              rules: [{ allow: ['Template'] }],
              locations: [
                {
                  type: 'file',
                  target: path.join(
                    repoRoot,
                    'catalog/templates/top-up-account.yaml',
                  ),
                },
              ],
            },
            appliances: {
              dataDir,
              secretKey: 'a-test-secret-key-of-enough-length!!',
              currency: 'EUR',
              billing: {
                startingBalances: [{ owner: TEAM, amountMinor: 50000 }],
              },
            },
          },
        }),
      ],
    }));
    await until('the template in the catalog', async () => {
      const res = await request(server)
        .get('/api/catalog/entities/by-name/template/default/top-up-account')
        .set('Authorization', as(ADA));
      return res.status === 200 ? true : undefined;
    });
  });

  async function balanceOfTeam(): Promise<number> {
    const res = await request(server)
      .get('/api/appliances/accounts')
      .set('Authorization', as(ADA));
    expect(res.status).toBe(200);
    return res.body.items.find((a: any) => a.owner === TEAM).balanceMinor;
  }

  /** Runs the template as `who` and answers its status, output and log. */
  async function runTemplate(who: string, values: Record<string, string>) {
    const created = await request(server)
      .post('/api/scaffolder/v2/tasks')
      .set('Authorization', as(who))
      .send({ templateRef: 'template:default/top-up-account', values });
    expect(`${created.status} ${created.text}`).toMatch(/^201 /);
    const id = created.body.id;
    const status = await until('the task to end', async () => {
      const task = await request(server)
        .get(`/api/scaffolder/v2/tasks/${id}`)
        .set('Authorization', as(who));
      return ['completed', 'failed', 'cancelled'].includes(task.body.status)
        ? (task.body.status as string)
        : undefined;
    });
    const events = await request(server)
      .get(`/api/scaffolder/v2/tasks/${id}/events`)
      .set('Authorization', as(who));
    const bodies = (events.body as any[]).map(e => e.body ?? {});
    return {
      status,
      output: bodies.find(b => b.output)?.output,
      log: bodies
        .map(b => b.message)
        .filter(Boolean)
        .join('\n'),
    };
  }

  it("credits the team's account once per reference and says the balance in money", async () => {
    expect(await balanceOfTeam()).toBe(50000);
    const values = { owner: TEAM, amount: '25.50', reference: 'INV-E2E-1' };
    const first = await runTemplate(ADA, values);
    expect({ status: first.status, log: first.log }).toMatchObject({
      status: 'completed',
    });
    expect(first.log).toContain(
      `Credited €25.50 to ${TEAM}; the balance is €525.50`,
    );
    expect(JSON.stringify(first.output)).toContain(
      'The balance is now **€525.50**',
    );
    expect(await balanceOfTeam()).toBe(52550);

    // The same reference again, even with another amount: nothing changes.
    const again = await runTemplate(ADA, { ...values, amount: '99' });
    expect(again.status).toBe('completed');
    expect(again.log).toContain(
      'Reference INV-E2E-1 was used before; nothing changed; the balance is €525.50',
    );
    expect(await balanceOfTeam()).toBe(52550);

    const ledger = await request(server)
      .get('/api/appliances/accounts')
      .set('Authorization', as(ADA));
    const team = ledger.body.items.find((a: any) => a.owner === TEAM);
    const lines = await request(server)
      .get(`/api/appliances/accounts/${team.id}/ledger`)
      .set('Authorization', as(ADA));
    expect(
      lines.body.items.map((l: any) => [l.kind, l.reference, l.amountMinor]),
    ).toEqual([
      ['top-up', 'INV-E2E-1', 2550],
      ['top-up', 'starting-balance', 50000],
    ]);
  });

  it('fails for a buyer, whom the policy refuses top-ups, and credits nothing', async () => {
    const run = await runTemplate(ANN, {
      owner: TEAM,
      amount: '10',
      reference: 'INV-E2E-2',
    });
    expect(run.status).toBe('failed');
    expect(run.log).toContain('Only admins may top up accounts');
    expect(await balanceOfTeam()).toBe(52550);
  });
});
