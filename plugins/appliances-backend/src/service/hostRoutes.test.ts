import { TestDatabases, mockCredentials } from '@backstage/backend-test-utils';
import { X509Certificate } from 'node:crypto';
import request from 'supertest';
import { startHostingTestBackend } from '../__testUtils__/startHostingTestBackend';

jest.setTimeout(90_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const provider = mockCredentials.user('user:default/provider');
const other = mockCredentials.user('user:default/other');

const hostBody = {
  name: 'rack1-node4',
  cpuModel: 'AMD EPYC 7443',
  coreSpeedMhz: 2850,
  cpuCores: 24,
  memoryMb: 131072,
  storageMb: 2_000_000,
  pricing: {
    speedUnitMhz: 1000,
    speedPriceMinor: 2,
    memoryUnitMb: 1024,
    memoryPriceMinor: 1,
    runningPeriodSeconds: 3600,
    storageUnitMb: 10240,
    storagePriceMinor: 3,
    storagePeriodSeconds: 86400,
  },
  agentUrl: 'https://rack1-node4.example.net:7443',
  bmc: { address: '10.0.0.4', username: 'ADMIN', password: 'bmc-pass-hunter2' },
};

describe.each(databases.eachSupportedId())(
  'host registration and enrolment routes on %s',
  databaseId => {
    const start = async () =>
      startHostingTestBackend(await databases.init(databaseId));

    it('registers a host, hides BMC credentials, enrols once and comes online on heartbeat', async () => {
      const { server, knex } = await start();
      const res = await request(server)
        .post('/api/appliances/hosts')
        .set(
          'Authorization',
          mockCredentials.user.header(provider.principal.userEntityRef),
        )
        .send(hostBody);
      expect(res.status).toBe(201);
      expect(res.body.host).toMatchObject({
        name: 'rack1-node4',
        owner: 'user:default/provider',
        state: 'pending',
        bmc: { address: '10.0.0.4', hasCredentials: true },
      });
      expect(JSON.stringify(res.body)).not.toContain('hunter2');
      const row = await knex('hosts').first();
      expect(row.bmc_credentials).not.toContain('hunter2');
      expect(row.enrolment_token_hash).not.toBe(res.body.enrolment.token);
      expect(res.body.enrolment.command).toContain('tempest-agent enroll');

      // Another provider does not see it; a duplicate name is refused.
      const others = await request(server)
        .get('/api/appliances/hosts')
        .set(
          'Authorization',
          mockCredentials.user.header(other.principal.userEntityRef),
        );
      expect(others.body.items).toEqual([]);
      const dup = await request(server)
        .post('/api/appliances/hosts')
        .set(
          'Authorization',
          mockCredentials.user.header(provider.principal.userEntityRef),
        )
        .send(hostBody);
      expect(dup.status).toBe(409);

      // An enrolment that claims another address is refused; the token stays usable.
      const elsewhere = await request(server)
        .post('/api/appliances/agent/enroll')
        .send({
          token: res.body.enrolment.token,
          agentUrl: 'https://another-providers-host.example.net:7443',
        });
      expect(elsewhere.status).toBe(400);
      expect(elsewhere.body.error.message).toContain(
        `registered with agent URL ${hostBody.agentUrl}`,
      );
      const enrol = await request(server)
        .post('/api/appliances/agent/enroll')
        .send({ token: res.body.enrolment.token });
      expect(enrol.status).toBe(200);
      expect(enrol.body.agentUrl).toBe(hostBody.agentUrl);
      const cert = new X509Certificate(enrol.body.cert);
      expect(
        cert.verify(new X509Certificate(enrol.body.caCert).publicKey),
      ).toBe(true);
      expect(cert.subjectAltName).toContain('DNS:rack1-node4.example.net');
      const again = await request(server)
        .post('/api/appliances/agent/enroll')
        .send({ token: res.body.enrolment.token });
      expect(again.status).toBe(403);

      const bad = await request(server)
        .post('/api/appliances/agent/heartbeat')
        .set('Authorization', 'Bearer nope')
        .send({ name: 'x', sentAt: 'now' });
      expect(bad.status).toBe(401);
      const beat = await request(server)
        .post('/api/appliances/agent/heartbeat')
        .set('Authorization', `Bearer ${enrol.body.heartbeatToken}`)
        .send({
          name: 'rack1-node4',
          sentAt: new Date().toISOString(),
          info: { driver: 'simulated' },
        });
      expect(beat.status).toBe(204);
      const host = await request(server)
        .get(`/api/appliances/hosts/${res.body.host.id}`)
        .set(
          'Authorization',
          mockCredentials.user.header(provider.principal.userEntityRef),
        );
      expect(host.body.state).toBe('online');

      // A heartbeat cannot move the host's agent URL; only its provider can, and only theirs.
      const moved = await request(server)
        .post('/api/appliances/agent/heartbeat')
        .set('Authorization', `Bearer ${enrol.body.heartbeatToken}`)
        .send({
          name: 'rack1-node4',
          sentAt: new Date().toISOString(),
          agentUrl: 'https://someone-elses-agent.example.net:7443',
          info: { driver: 'simulated' },
        });
      expect(moved.status).toBe(204);
      const agentUrlNow = async () =>
        (
          await request(server)
            .get(`/api/appliances/hosts/${res.body.host.id}`)
            .set(
              'Authorization',
              mockCredentials.user.header(provider.principal.userEntityRef),
            )
        ).body.agentUrl;
      expect(await agentUrlNow()).toBe(hostBody.agentUrl);
      const foreignMove = await request(server)
        .put(`/api/appliances/hosts/${res.body.host.id}/agent-url`)
        .set(
          'Authorization',
          mockCredentials.user.header(other.principal.userEntityRef),
        )
        .send({ agentUrl: 'https://elsewhere.example.net:7443' });
      expect(foreignMove.status).toBe(404);
      const notHttps = await request(server)
        .put(`/api/appliances/hosts/${res.body.host.id}/agent-url`)
        .set(
          'Authorization',
          mockCredentials.user.header(provider.principal.userEntityRef),
        )
        .send({ agentUrl: 'http://rack1-node4.example.net:7443' });
      expect(notHttps.status).toBe(400);
      const ownMove = await request(server)
        .put(`/api/appliances/hosts/${res.body.host.id}/agent-url`)
        .set(
          'Authorization',
          mockCredentials.user.header(provider.principal.userEntityRef),
        )
        .send({ agentUrl: 'https://rack1-node4.dc2.example.net:7443' });
      expect(ownMove.status).toBe(200);
      expect(ownMove.body).toMatchObject({
        agentUrl: 'https://rack1-node4.dc2.example.net:7443',
        agentCertificateFingerprint: cert.fingerprint256,
      });

      // Prices change; capacity fields are not accepted by the pricing route.
      const priced = await request(server)
        .put(`/api/appliances/hosts/${res.body.host.id}/pricing`)
        .set(
          'Authorization',
          mockCredentials.user.header(provider.principal.userEntityRef),
        )
        .send({ ...hostBody.pricing, speedPriceMinor: 5, cpuCores: 999 });
      expect(priced.status).toBe(400);
      const repriced = await request(server)
        .put(`/api/appliances/hosts/${res.body.host.id}/pricing`)
        .set(
          'Authorization',
          mockCredentials.user.header(provider.principal.userEntityRef),
        )
        .send({ ...hostBody.pricing, speedPriceMinor: 5 });
      expect(repriced.body).toMatchObject({
        cpuCores: 24,
        pricing: { speedPriceMinor: 5 },
      });
      const foreign = await request(server)
        .put(`/api/appliances/hosts/${res.body.host.id}/maintenance`)
        .set(
          'Authorization',
          mockCredentials.user.header(other.principal.userEntityRef),
        )
        .send({ maintenance: true });
      expect(foreign.status).toBe(404);
    });
  },
);
