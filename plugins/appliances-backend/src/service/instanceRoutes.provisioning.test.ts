import { TestDatabases, mockCredentials } from '@backstage/backend-test-utils';
import request from 'supertest';
import { Knex } from 'knex';
import { startHostingTestBackend } from '../__testUtils__/startHostingTestBackend';

jest.setTimeout(90_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const buyer = mockCredentials.user('user:default/buyer');
const other = mockCredentials.user('user:default/other');

async function seedAppliance(
  knex: Knex,
  signatureState = 'verified',
  variables: unknown[] = [],
) {
  await knex('channels')
    .insert({
      id: 'sample',
      url: 'http://localhost/feed.xml',
      owner: 'group:default/tempest-admins',
      trusted_keys: '[]',
      source: 'api',
      created_at: new Date(),
    } as any)
    .onConflict('id')
    .ignore();
  const id = `sample.web.${signatureState}`;
  await knex('appliances').insert({
    id,
    channel_id: 'sample',
    provides: 'web',
    version: signatureState,
    label: 'Web',
    description: 'A web server',
    size_mb: 512,
    image_url: 'http://localhost/web.tgz',
    signature_url: 'http://localhost/web.tgz.asc',
    signature_state: signatureState,
    cpus: 2,
    memory_kib: 1048576,
    ostype: 'linux',
    disks: JSON.stringify([
      { name: 'vda', type: 'system', file: 'sys.img' },
      { name: 'vdb', type: 'data', sizeMb: 1024 },
    ]),
    dependencies: '[]',
    variables: JSON.stringify(variables),
    definition_url: 'http://localhost/web.xml',
    item_name: 'web',
    ingested_at: new Date(),
  });
  return id;
}

describe.each(databases.eachSupportedId())(
  'instance provisioning routes on %s',
  databaseId => {
    const start = async () =>
      startHostingTestBackend(await databases.init(databaseId));

    it('issues every instance a MAC of its own, also under 50 concurrent provisions, and shows it with its addresses', async () => {
      const { server, knex } = await start();
      const applianceId = await seedAppliance(knex);
      const auth = mockCredentials.user.header(buyer.principal.userEntityRef);
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          request(server)
            .post('/api/appliances/instances')
            .set('Authorization', auth)
            .send({
              applianceId,
              hostname: `mac-${i}`,
              size: { cpuCores: 2, memoryMb: 1024, storageMb: 1536 },
            }),
        ),
      );
      expect(answers.map(a => a.status)).toEqual(answers.map(() => 202));
      const listed = await request(server)
        .get('/api/appliances/instances?limit=100')
        .set('Authorization', auth);
      const macs = listed.body.items.map((i: any) => i.mac);
      expect(macs).toHaveLength(50);
      expect(new Set(macs).size).toBe(50);
      for (const mac of macs) expect(mac).toMatch(/^02:7e(:[0-9a-f]{2}){4}$/);
      expect(listed.body.items[0].addresses).toEqual([]);
      // What the agent reports is shown, the webpanel at the first IPv4 address.
      const one = listed.body.items[0];
      await knex('instances')
        .where({ id: one.id })
        .update({
          addresses: JSON.stringify(['fd00::7', '10.77.0.7']),
          webpanel: '/panel/',
        });
      const read = await request(server)
        .get(`/api/appliances/instances/${one.id}`)
        .set('Authorization', auth);
      expect(read.body).toMatchObject({
        mac: one.mac,
        addresses: ['fd00::7', '10.77.0.7'],
        webpanelUrl: 'http://10.77.0.7/panel/',
      });
    });

    it("takes the instance's domain, SSH key and declared variables, refuses others, and never serves a secret", async () => {
      const { server, knex } = await start();
      const applianceId = await seedAppliance(knex, 'verified', [
        {
          name: 'SITE_TITLE',
          description: 'The first page title',
          required: false,
          secret: false,
          default: 'Welcome',
        },
        {
          name: 'ADMIN_PASSWORD',
          description: 'The webpanel password',
          required: true,
          secret: true,
        },
      ]);
      const auth = mockCredentials.user.header(buyer.principal.userEntityRef);
      const appliance = await request(server)
        .get(`/api/appliances/appliances/${applianceId}`)
        .set('Authorization', auth);
      expect(appliance.body.variables.map((v: any) => v.name)).toEqual([
        'SITE_TITLE',
        'ADMIN_PASSWORD',
      ]);
      const body = {
        applianceId,
        hostname: 'valued-1',
        size: { cpuCores: 2, memoryMb: 1024, storageMb: 1536 },
        domain: 'lab.example.com',
        sshAuthorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 me@laptop'],
        variables: { ADMIN_PASSWORD: 'correct horse' },
      };
      const provision = (overrides: Record<string, unknown>) =>
        request(server)
          .post('/api/appliances/instances')
          .set('Authorization', auth)
          .send({ ...body, ...overrides });

      // The spec refuses malformed values; the backend what the appliance does not declare or needs.
      const badDomain = await provision({ domain: 'Lab Example' });
      expect(badDomain.status).toBe(400);
      expect(badDomain.body.error.message).toMatch(/domain/);
      const badKey = await provision({ sshAuthorizedKeys: ['not a key'] });
      expect(badKey.status).toBe(400);
      const tooLong = await provision({
        variables: { ADMIN_PASSWORD: 'x'.repeat(4097) },
      });
      expect(tooLong.status).toBe(400);
      const undeclared = await provision({
        variables: { ADMIN_PASSWORD: 'p', DEBUG: '1' },
      });
      expect(undeclared.status).toBe(400);
      expect(undeclared.body.error.message).toBe(
        'Web has no variable DEBUG (it has SITE_TITLE, ADMIN_PASSWORD).',
      );
      const missing = await provision({ variables: {} });
      expect(missing.status).toBe(400);
      expect(missing.body.error.message).toBe(
        'Web needs the variable ADMIN_PASSWORD.',
      );
      expect(Number((await knex('instances').count({ n: '*' }))[0].n)).toBe(0);

      const accepted = await provision({});
      expect(accepted.status).toBe(202);
      const instance = await request(server)
        .get(`/api/appliances/instances/${accepted.body.instanceId}`)
        .set('Authorization', auth);
      expect(instance.body).toMatchObject({
        domain: 'lab.example.com',
        sshAuthorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 me@laptop'],
        variables: { SITE_TITLE: 'Welcome' },
        secretVariables: ['ADMIN_PASSWORD'],
      });
      const operation = await request(server)
        .get(`/api/appliances/operations/${accepted.body.operationId}`)
        .set('Authorization', auth);
      expect(operation.status).toBe(200);
      // Neither the API nor the database holds the secret in the clear.
      for (const text of [
        JSON.stringify(instance.body),
        JSON.stringify(operation.body),
        JSON.stringify(await knex('instances').select()),
        JSON.stringify(await knex('operations').select()),
      ])
        expect(text).not.toContain('correct horse');
    });

    it('refuses bad provisioning requests clearly and applies Idempotency-Key semantics', async () => {
      const { server, knex } = await start();
      const applianceId = await seedAppliance(knex);
      const unsigned = await seedAppliance(knex, 'invalid');
      const auth = mockCredentials.user.header(buyer.principal.userEntityRef);
      const body = {
        applianceId,
        hostname: 'web-1',
        size: { cpuCores: 2, memoryMb: 1024, storageMb: 1536 },
      };

      const unknown = await request(server)
        .post('/api/appliances/instances')
        .set('Authorization', auth)
        .send({ ...body, applianceId: 'nope' });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error.message).toBe(
        "There is no appliance 'nope' in any subscribed channel.",
      );
      const small = await request(server)
        .post('/api/appliances/instances')
        .set('Authorization', auth)
        .send({
          ...body,
          size: { cpuCores: 1, memoryMb: 512, storageMb: 100 },
        });
      expect(small.status).toBe(400);
      expect(small.body.error.message).toMatch(
        /needs at least 2 cores, 1,024 MB memory, 1,536 MB storage; 1 core and 512 MB memory and 100 MB storage is too little\.$/,
      );
      const badSig = await request(server)
        .post('/api/appliances/instances')
        .set('Authorization', auth)
        .send({ ...body, applianceId: unsigned });
      expect(badSig.status).toBe(400);
      expect(badSig.body.error.message).toMatch(/signature is invalid/);
      const badName = await request(server)
        .post('/api/appliances/instances')
        .set('Authorization', auth)
        .send({ ...body, hostname: '../etc' });
      expect(badName.status).toBe(400);

      const first = await request(server)
        .post('/api/appliances/instances')
        .set('Authorization', auth)
        .set('Idempotency-Key', 'k1')
        .send(body);
      expect(first.status).toBe(202);
      expect(first.body.created).toBe(true);
      const replay = await request(server)
        .post('/api/appliances/instances')
        .set('Authorization', auth)
        .set('Idempotency-Key', 'k1')
        .send(body);
      expect(replay.status).toBe(202);
      expect(replay.body).toEqual({ ...first.body, created: false });
      const changed = await request(server)
        .post('/api/appliances/instances')
        .set('Authorization', auth)
        .set('Idempotency-Key', 'k1')
        .send({ ...body, hostname: 'web-2' });
      expect(changed.status).toBe(409);
      expect(changed.body.error.message).toMatch(/different request/);
      await knex('instances').insert({
        id: '00000000-0000-0000-0000-000000000001',
        hostname: 'taken',
        active_hostname: 'taken',
        owner: 'user:default/other',
        appliance_id: applianceId,
        cpu_cores: 2,
        memory_mb: 1024,
        storage_mb: 2048,
        state: 'started',
        version: 2,
        created_at: new Date(),
        updated_at: new Date(),
      });
      const dupName = await request(server)
        .post('/api/appliances/instances')
        .set('Authorization', auth)
        .set('Idempotency-Key', 'k2')
        .send({ ...body, hostname: 'taken' });
      expect(dupName.status).toBe(409);
      expect(dupName.body.error.message).toBe(
        "The hostname 'taken' is already in use; choose another.",
      );
      // The estimate refuses what provisioning would, and never says who holds a name.
      const estimate = (overrides: Record<string, unknown>) =>
        request(server)
          .post('/api/appliances/instances/estimate')
          .set('Authorization', auth)
          .send({ ...body, ...overrides });
      const takenEstimate = await estimate({ hostname: 'taken' });
      expect(takenEstimate.status).toBe(409);
      expect(takenEstimate.body.error.message).toBe(
        "The hostname 'taken' is already in use; choose another.",
      );
      expect(JSON.stringify(takenEstimate.body)).not.toContain(
        'user:default/other',
      );
      const smallEstimate = await estimate({
        size: { cpuCores: 2, memoryMb: 100, storageMb: 1536 },
      });
      expect(smallEstimate.status).toBe(400);
      expect(smallEstimate.body.error.message).toMatch(
        /needs at least 2 cores.*; 100 MB memory is too little\.$/,
      );
      const nowhere = await estimate({ hostname: 'web-3' });
      expect(nowhere.status).toBe(409);
      expect(nowhere.body.error.message).toBe(
        'No host can run 2 cores, 1,024 MB memory, 1,536 MB storage: no host is registered yet.',
      );
      expect(Number((await knex('instances').count({ n: '*' }))[0].n)).toBe(2);
      // The buyer does not see the other owner's instance.
      const mine = await request(server)
        .get('/api/appliances/instances')
        .set('Authorization', auth);
      expect(
        mine.body.items.map((i: { hostname: string }) => i.hostname),
      ).toEqual(['web-1']);

      // No host is registered, so placement fails and says so.
      const deadline = Date.now() + 20_000;
      let op;
      do {
        op = await request(server)
          .get(`/api/appliances/operations/${first.body.operationId}`)
          .set('Authorization', auth);
        if (op.body.state === 'failed') break;
        await new Promise(r => setTimeout(r, 100));
      } while (Date.now() < deadline);
      expect(op.body).toMatchObject({ state: 'failed', failedStep: 'place' });
      const hidden = await request(server)
        .get(`/api/appliances/operations/${first.body.operationId}`)
        .set(
          'Authorization',
          mockCredentials.user.header(other.principal.userEntityRef),
        );
      expect(hidden.status).toBe(404);
      const instance = await request(server)
        .get(`/api/appliances/instances/${first.body.instanceId}`)
        .set('Authorization', auth);
      expect(instance.body).toMatchObject({
        state: 'error',
        hostname: 'web-1',
        entityRef: 'resource:default/web-1',
      });
    });
  },
);
