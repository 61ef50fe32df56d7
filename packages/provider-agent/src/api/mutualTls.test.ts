import https from 'node:https';
import { createCertificateAuthority } from '../pki/createCertificateAuthority';
import { issueCertificate } from '../pki/issueCertificate';
import { startTestAgent, TestAgent } from '../testing/startTestAgent';

function get(
  url: string,
  options: https.RequestOptions,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { ...options, agent: false }, res => {
      let body = '';
      res.on('data', c => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('mutual TLS', () => {
  let t: TestAgent;
  beforeAll(async () => {
    t = await startTestAgent();
  });
  afterAll(() => t.close());

  it('answers a caller with a client certificate from its CA', async () => {
    const { ca, client } = t.pki;
    const res = await get(`${t.agent.url}/v1/info`, {
      ca: ca.cert,
      cert: client.cert,
      key: client.key,
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({
      name: 'test-host',
      apiVersion: 'v1',
      driver: 'simulated',
    });
  });

  it('refuses at TLS a caller without a certificate', async () => {
    await expect(
      get(`${t.agent.url}/v1/info`, { ca: t.pki.ca.cert }),
    ).rejects.toThrow(/certificate|socket hang up|ECONNRESET|alert/i);
  });

  it('refuses at TLS a caller whose certificate comes from another CA', async () => {
    const other = await createCertificateAuthority({
      commonName: 'Intruder CA',
    });
    const intruder = await issueCertificate({
      ca: other,
      kind: 'client',
      name: 'tempest-backend',
    });
    await expect(
      get(`${t.agent.url}/v1/info`, {
        ca: t.pki.ca.cert,
        cert: intruder.cert,
        key: intruder.key,
      }),
    ).rejects.toThrow(/certificate|socket hang up|ECONNRESET|alert/i);
  });

  it('refuses at TLS a certificate from its CA that was issued for a server, not a client', async () => {
    const { ca, server } = t.pki;
    await expect(
      get(`${t.agent.url}/v1/info`, {
        ca: ca.cert,
        cert: server.cert,
        key: server.key,
      }),
    ).rejects.toThrow(/certificate|socket hang up|ECONNRESET|alert/i);
  });
});
