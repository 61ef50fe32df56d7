import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { appliancesPlugin } from './plugin';

async function startBackend(
  result: AuthorizeResult.ALLOW | AuthorizeResult.DENY,
) {
  const { server } = await startTestBackend({
    features: [appliancesPlugin, mockServices.permissions.factory({ result })],
  });
  return server;
}

describe('appliances plugin', () => {
  it('answers /health without an identity', async () => {
    const server = await startBackend(AuthorizeResult.ALLOW);
    const res = await request(server).get('/api/appliances/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it.each([
    ['GET', '/api/appliances/summary'],
    ['GET', '/api/appliances/channels'],
    ['POST', '/api/appliances/channels'],
    ['GET', '/api/appliances/openapi.json'],
  ])('refuses %s %s without an identity', async (method, path) => {
    const server = await startBackend(AuthorizeResult.ALLOW);
    const res = await request(server)
      [method === 'GET' ? 'get' : 'post'](path)
      .set('Authorization', mockCredentials.none.header());
    expect(res.status).toBe(401);
  });

  it('serves its OpenAPI spec to a signed-in user', async () => {
    const server = await startBackend(AuthorizeResult.ALLOW);
    const res = await request(server)
      .get('/api/appliances/openapi.json')
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    // Served with the plugin's mount path, so a client can call what it reads.
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/appliances/health',
        '/api/appliances/summary',
        '/api/appliances/channels',
      ]),
    );
  });

  it('rejects a body the spec forbids with 400 and stores nothing', async () => {
    const server = await startBackend(AuthorizeResult.ALLOW);
    const bad = await request(server)
      .post('/api/appliances/channels')
      .set('Authorization', mockCredentials.user.header())
      .send({ id: '../etc', url: 'file:///etc/passwd', owner: '' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.name).toBe('InputError');
    expect(bad.body.error.message).toMatch(/request\/body\//);

    const extra = await request(server)
      .post('/api/appliances/channels')
      .set('Authorization', mockCredentials.user.header())
      .send({
        id: 'ok',
        url: 'https://example.com/feed.xml',
        owner: 'group:default/a',
        evil: 1,
      });
    expect(extra.status).toBe(400);

    const list = await request(server)
      .get('/api/appliances/channels')
      .set('Authorization', mockCredentials.user.header());
    expect(list.body.items).toEqual([]);
  });

  it('lets an allowed user subscribe a channel once, and counts it', async () => {
    const server = await startBackend(AuthorizeResult.ALLOW);
    const body = {
      id: 'sample',
      url: 'https://channels.example.com/sample/feed.xml',
      owner: 'group:default/tempest-admins',
    };
    const created = await request(server)
      .post('/api/appliances/channels')
      .set('Authorization', mockCredentials.user.header())
      .send(body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      ...body,
      trustedKeys: [],
      source: 'api',
    });

    const again = await request(server)
      .post('/api/appliances/channels')
      .set('Authorization', mockCredentials.user.header())
      .send(body);
    expect(again.status).toBe(409);

    const summary = await request(server)
      .get('/api/appliances/summary')
      .set('Authorization', mockCredentials.user.header());
    expect(summary.status).toBe(200);
    expect(summary.body.channels).toBe(1);
  });

  it('refuses channel subscription when the policy denies it', async () => {
    const server = await startBackend(AuthorizeResult.DENY);
    const res = await request(server)
      .post('/api/appliances/channels')
      .set('Authorization', mockCredentials.user.header())
      .send({
        id: 'x',
        url: 'https://example.com/f.xml',
        owner: 'group:default/a',
      });
    expect(res.status).toBe(403);
  });
});
