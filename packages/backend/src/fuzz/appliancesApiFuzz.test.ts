import {
  TestDatabases,
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { httpRouterServiceFactory } from '@backstage/backend-defaults/httpRouter';
import appliancesPlugin, {
  appliancesOpenApiSpec as spec,
} from '@tempest/backstage-plugin-appliances-backend';
import fc from 'fast-check';
import { Knex } from 'knex';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import {
  policyPermissionsFactory,
  userInfoFactory,
} from '../__testUtils__/policyServices';
import {
  DatabaseSnapshot,
  snapshotDatabase,
  snapshotDifference,
} from './__testUtils__/databaseSnapshot';
import {
  FuzzRequest,
  specOperations,
  specRequests,
} from './__testUtils__/specRequests';
import { seedFuzzData } from './__testUtils__/seedFuzzData';

/**
 * Spec-driven fuzzing of every route of the appliances API, on SQLite and
 * PostgreSQL, as five identities and anonymously. Requests come from the
 * OpenAPI spec (every operation in it, so new routes are fuzzed too): valid
 * ones, boundary values, and hostile ones (NUL, unpaired surrogates, 2^53 + 1,
 * 2^64, 1e308, long strings, wrong types, unknown ids, broken JSON).
 *
 * Every answer must be a 2xx, or a 4xx whose body says what was wrong (no
 * stack, no server path); a refused request must change nothing in the
 * database; a 2xx body carries no inexact number. FUZZ_REQUESTS sets the
 * requests per database (default 1500), FUZZ_SEED replays a run; FUZZ_DEBUG=<path part> prints the
 * valid requests to matching routes with their answers, and the statuses
 * each route gave.
 */
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 1500);
jest.setTimeout(Math.max(300_000, REQUESTS * 200));

const repoRoot = path.resolve(__dirname, '../../../..');

const IDENTITIES: Record<
  string,
  { ref: string; groups: string[] } | undefined
> = {
  admin: { ref: 'user:default/ada', groups: ['group:default/tempest-admins'] },
  buyer1: {
    ref: 'user:default/ann',
    groups: ['group:default/tempest-buyers', 'group:default/team-a'],
  },
  buyer2: {
    ref: 'user:default/bob',
    groups: ['group:default/tempest-buyers', 'group:default/team-b'],
  },
  provider: {
    ref: 'user:default/pat',
    groups: ['group:default/tempest-providers'],
  },
  norole: { ref: 'user:default/nora', groups: [] },
  anonymous: undefined,
};
const memberships = Object.fromEntries(
  Object.values(IDENTITIES).flatMap(i => (i ? [[i.ref, i.groups]] : [])),
);

/** Rows the API writes on purpose when it refuses: the instance's history of refused attempts. */
function isRefusalRecord(table: string, row: Record<string, unknown>) {
  return (
    table === 'instance_events' &&
    (row.kind === 'denied' || row.outcome === 'refused')
  );
}

/** Columns an action's claim-and-revert touches when the agent refuses or cannot be reached. */
const REVERT_COLUMNS = [
  'version',
  'error',
  'updated_at',
  'pending_action',
  'pending_since',
];

/** Whether a difference is only an action that was claimed and reverted (instance bookkeeping and its history). */
function onlyReverted(diff: ReturnType<typeof snapshotDifference>) {
  const tables = Object.keys(diff);
  if (tables.some(t => t !== 'instances' && t !== 'instance_events'))
    return false;
  const strip = (row: string) => {
    const parsed = JSON.parse(row);
    for (const c of REVERT_COLUMNS) delete parsed[c];
    return JSON.stringify(parsed);
  };
  const instances = diff.instances ?? { removed: [], added: [] };
  return (
    JSON.stringify(instances.removed.map(strip).sort()) ===
    JSON.stringify(instances.added.map(strip).sort())
  );
}

/** Numbers in a JSON text that are not safe integers, except ratios (score, progress). */
function inexactNumbers(text: string): string[] {
  const found: string[] = [];
  JSON.parse(text, (key, value) => {
    if (
      typeof value === 'number' &&
      !['score', 'progress'].includes(key) &&
      !Number.isSafeInteger(value)
    )
      found.push(`${key}=${value}`);
    return value;
  });
  return found;
}

function describeRequest(r: FuzzRequest) {
  return `${r.method.toUpperCase()} ${r.url.slice(0, 300)} as ${r.identity}${
    r.body === undefined ? '' : ` with ${r.body.slice(0, 300)}`
  }`;
}

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe('the appliances API fuzzer', () => {
  it('covers every operation of the spec', () => {
    expect(specOperations(spec).length).toBe(
      Object.values(spec.paths).reduce(
        (n, item) =>
          n + Object.keys(item).filter(k => k !== 'parameters').length,
        0,
      ),
    );
  });
});

describe.each(databases.eachSupportedId())(
  'fuzzing the appliances API on %s',
  databaseId => {
    let server: any;
    let knex: Knex;

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempest-fuzz-'));
      ({ server } = await startTestBackend({
        features: [
          appliancesPlugin,
          httpRouterServiceFactory,
          mockServices.httpAuth.factory({
            defaultCredentials: mockCredentials.none(),
          }),
          policyPermissionsFactory(memberships),
          userInfoFactory(memberships),
          mockServices.database.factory({ knex }),
          mockServices.rootConfig.factory({
            data: {
              appliances: {
                dataDir,
                secretKey: 'a-test-secret-key-of-enough-length!!',
                staticChannels: {
                  directory: path.join(repoRoot, 'catalog/channels'),
                },
                osImageDirectory: path.join(repoRoot, 'catalog/os-images'),
                fetch: { timeoutSeconds: 2 },
              },
            },
          }),
        ],
      }));
    });

    it('answers every request with a 2xx, or a 4xx that says why and changes nothing', async () => {
      const known = await seedFuzzData(knex, {
        admin: IDENTITIES.admin!.ref,
        buyer1: IDENTITIES.buyer1!.ref,
        buyer2Group: 'group:default/team-b',
        provider: IDENTITIES.provider!.ref,
        channelFiles: fs.readdirSync(
          path.join(repoRoot, 'catalog/channels/sample'),
        ),
        osImageFiles: fs.readdirSync(path.join(repoRoot, 'catalog/os-images')),
      });
      const snapshot = () => snapshotDatabase(knex, isRefusalRecord);
      /**
       * Waits until background work a request started has settled: provisioning
       * operations ended, every channel fetched once, and nothing changing.
       */
      async function settled(): Promise<DatabaseSnapshot> {
        let last = await snapshot();
        let busy: unknown;
        let changed: unknown;
        for (let i = 0; i < 400; i++) {
          await new Promise(r => setTimeout(r, 25));
          busy =
            (await knex('operations')
              .whereIn('state', ['pending', 'running', 'rolling-back'])
              .first()) ??
            (await knex('channels').whereNull('last_fetch_at').first());
          const next = await snapshot();
          changed = snapshotDifference(last, next);
          if (!busy && !Object.keys(changed as object).length) return next;
          last = next;
        }
        throw new Error(
          `Background work did not settle within 10 s: busy ${JSON.stringify(busy)}, still changing ${JSON.stringify(changed).slice(0, 1500)}`,
        );
      }

      const timing = { request: 0, snapshot: 0, settle: 0 };
      const counts = {
        requests: 0,
        hostile: 0,
        byStatus: {} as Record<number, number>,
      };
      const byRoute: Record<string, number> = {};
      let before = await settled();

      const result = await fc.check(
        fc.asyncProperty(
          specRequests(spec, {
            identities: Object.keys(IDENTITIES),
            known: known.values,
          }),
          async r => {
            const identity = IDENTITIES[r.identity];
            let req = request(server)[r.method](`/api/appliances${r.url}`);
            if (identity)
              req = req.set(
                'Authorization',
                mockCredentials.user.header(identity.ref),
              );
            for (const [k, v] of Object.entries(r.headers)) req = req.set(k, v);
            if (r.body !== undefined)
              req = req.set('content-type', 'application/json').send(r.body);
            const t0 = performance.now();
            const res = await req;
            timing.request += performance.now() - t0;

            if (
              process.env.FUZZ_DEBUG &&
              r.route.includes(process.env.FUZZ_DEBUG) &&
              r.kind === 'valid'
            )
              // eslint-disable-next-line no-console
              console.log(
                `${describeRequest(r)} → ${res.status} ${res.text.slice(0, 200)}`,
              );
            counts.requests++;
            if (r.kind === 'hostile') counts.hostile++;
            counts.byStatus[res.status] =
              (counts.byStatus[res.status] ?? 0) + 1;
            const routeKey = `${r.method.toUpperCase()} ${r.route} ${res.status}`;
            byRoute[routeKey] = (byRoute[routeKey] ?? 0) + 1;

            const what = describeRequest(r);
            const refusedByAgent =
              res.status === 503 && res.body?.reason === 'agent-unavailable';
            if (
              !(res.status >= 200 && res.status < 300) &&
              !(res.status >= 400 && res.status < 500) &&
              !refusedByAgent
            ) {
              throw new Error(
                `${what} answered ${res.status}: ${res.text.slice(0, 500)}`,
              );
            }
            if (res.status >= 400) {
              const message = res.body?.error?.message;
              if (typeof message !== 'string' || !message.trim())
                throw new Error(
                  `${what} answered ${res.status} without a message: ${res.text.slice(0, 300)}`,
                );
              if (
                res.body.error.stack ||
                /node_modules|\.ts:\d+/.test(res.text) ||
                res.text.includes(repoRoot)
              )
                throw new Error(
                  `${what} answered with a stack or a server path: ${res.text.slice(0, 500)}`,
                );
              const t1 = performance.now();
              const after = await snapshot();
              timing.snapshot += performance.now() - t1;
              const diff = snapshotDifference(before, after);
              const reverted = ['agent-unavailable', 'agent-refused'].includes(
                res.body?.reason,
              );
              if (Object.keys(diff).length && !(reverted && onlyReverted(diff)))
                throw new Error(
                  `${what} was refused (${res.status}) but changed ${JSON.stringify(diff).slice(0, 1500)}`,
                );
              before = after;
            } else {
              const inexact =
                res.type === 'application/json' ? inexactNumbers(res.text) : [];
              if (inexact.length)
                throw new Error(
                  `${what} answered inexact numbers: ${inexact.join(', ')}`,
                );
              const t2 = performance.now();
              if (r.method !== 'get')
                before = await settled().catch(e => {
                  throw new Error(
                    `After ${what} → ${res.status}: ${e.message}`,
                  );
                });
              timing.settle += performance.now() - t2;
            }
          },
        ),
        {
          numRuns: REQUESTS,
          endOnFailure: true,
          ...(process.env.FUZZ_SEED
            ? { seed: Number(process.env.FUZZ_SEED) }
            : {}),
        },
      );
      if (result.failed) {
        // The server keeps its state between requests, so the failing request is reported as it was, unshrunk.
        const cause = result.errorInstance as Error | undefined;
        throw new Error(
          `After ${counts.requests} requests (seed ${result.seed}): ${cause?.message ?? result.failures}`,
        );
      }

      // eslint-disable-next-line no-console
      console.log(
        `Fuzzed the appliances API on ${databaseId}: ${counts.requests} requests (${counts.hostile} hostile) over ${
          specOperations(spec).length
        } operations; statuses ${JSON.stringify(counts.byStatus)}; ms ${JSON.stringify(timing)}`,
      );
      if (process.env.FUZZ_DEBUG)
        // eslint-disable-next-line no-console
        console.log(
          Object.entries(byRoute)
            .sort()
            .map(([k, n]) => `${k}: ${n}`)
            .join('\n'),
        );
      expect(counts.requests).toBe(REQUESTS);
      // Every operation was reached, and some request to each got past validation into its route.
      for (const op of specOperations(spec)) {
        const statuses = Object.keys(byRoute).filter(k =>
          k.startsWith(`${op.method.toUpperCase()} ${op.path} `),
        );
        expect({
          op: `${op.method} ${op.path}`,
          reached: statuses.length > 0,
        }).toEqual({
          op: `${op.method} ${op.path}`,
          reached: true,
        });
      }
    });
  },
);
