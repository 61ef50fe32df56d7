import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from './support/freePort';
import { Backend, startBackend } from './support/startBackend';
import { repoRoot } from './support/startPortal';

const pgUrl = process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING;
if (!pgUrl) {
  if (process.env.CI === 'true')
    throw new Error(
      'BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING is required under CI=true (production runs on PostgreSQL)',
    );
  // eslint-disable-next-line no-console
  console.warn(
    'SKIPPED: the production configuration runs on PostgreSQL: BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING is not set',
  );
}

jest.setTimeout(240_000);

/** The `--config` arguments of `npm run start:production`, the README's production command. */
function productionConfigs(): string[] {
  const script: string = JSON.parse(
    fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'),
  ).scripts['start:production'];
  return [...script.matchAll(/--config\s+(\S+)/g)].map(m => m[1]);
}

(pgUrl ? describe : describe.skip)(
  'the production configuration (npm run start:production)',
  () => {
    const database = `tempest_production_${randomBytes(4).toString('hex')}`;
    let backend: Backend | undefined;
    let dataDir: string;

    beforeAll(async () => {
      const admin = new Client({ connectionString: pgUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${database}`);
      await admin.end();
      const url = new URL(pgUrl!);
      const port = await freePort();
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempest-production-'));
      backend = await startBackend({
        port,
        configs: productionConfigs(),
        env: {
          NODE_ENV: 'production',
          APP_BASE_URL: 'http://localhost:3000',
          BACKEND_BASE_URL: `http://localhost:${port}`,
          POSTGRES_HOST: url.hostname,
          POSTGRES_PORT: url.port || '5432',
          POSTGRES_USER: decodeURIComponent(url.username) || 'postgres',
          POSTGRES_PASSWORD: decodeURIComponent(url.password),
          TEMPEST_DATA_DIR: dataDir,
          TEMPEST_SECRET_KEY: randomBytes(24).toString('hex'),
          // Only what a deployment would set besides the file: its port and one database.
          APP_CONFIG_backend_listen_port: String(port),
          APP_CONFIG_backend_database_connection_database: database,
          APP_CONFIG_backend_database_pluginDivisionMode: 'schema',
        },
      });
    });

    afterAll(async () => {
      await backend?.stop();
      const admin = new Client({ connectionString: pgUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('starts on PostgreSQL from the README command alone, without app-config.yaml', () => {
      expect(productionConfigs()).toEqual(['../../app-config.production.yaml']);
      expect(backend!.logs()).not.toMatch(/app-config\.yaml"? does not exist/);
    });

    it('lets nobody in as the guest', async () => {
      const res = await fetch(`${backend!.url}/api/auth/guest/refresh`, {
        headers: { 'X-Requested-With': 'XMLHttpRequest' },
      });
      expect(res.status).toBe(404);
      expect((await res.json()).error.message).toMatch(
        /No auth provider registered for 'guest'/,
      );
    });

    it('answers unauthenticated API calls with 401 and no stack', async () => {
      const res = await fetch(`${backend!.url}/api/appliances/hosts`);
      expect(res.status).toBe(401);
      const body = await res.json();
      expect(body.error.stack).toBeUndefined();
    });

    it('runs no simulated hosts, uses the configured secret key and loads no demo users', async () => {
      const logs = backend!.logs();
      expect(fs.existsSync(path.join(dataDir, 'embedded-hosts'))).toBe(false);
      expect(fs.existsSync(path.join(dataDir, 'secret.key'))).toBe(false);
      expect(logs).not.toMatch(/secretKey is not set/);
      const url = new URL(pgUrl!);
      url.pathname = `/${database}`;
      const catalog = new Client({ connectionString: url.toString() });
      await catalog.connect();
      try {
        // The catalog's tables appear once its migrations ran.
        const refs = async (): Promise<string[]> => {
          const { rows } = await catalog
            .query(
              'SELECT entity_ref FROM catalog.refresh_state ORDER BY entity_ref',
            )
            .catch(e => {
              if (/does not exist/.test(String(e))) return { rows: [] };
              throw e;
            });
          return rows.map(r => r.entity_ref);
        };
        // Wait until the catalog has read its locations, then look for users.
        const deadline = Date.now() + 60_000;
        while (!(await refs()).includes('group:default/tempest-admins')) {
          if (Date.now() > deadline)
            throw new Error(
              `The catalog never read its groups: ${await refs()}`,
            );
          await new Promise(r => setTimeout(r, 500));
        }
        expect((await refs()).filter(ref => ref.startsWith('user:'))).toEqual(
          [],
        );
      } finally {
        await catalog.end();
      }
    });
  },
);
