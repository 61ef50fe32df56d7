import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import https from 'node:https';
import { spec } from '../schema/openapi.generated';
import { emptyQcow2 } from '../disks/qcow2';
import { startChannel, waitFor } from '../testing/channelFixture';
import { startTestAgent, TestAgent } from '../testing/startTestAgent';
import {
  FuzzRequest,
  SpecOperation,
  requestsFor,
  specOperations,
} from './__testUtils__/agentSpecRequests';
import { dataDirSnapshot } from './__testUtils__/dataDirSnapshot';
import {
  RawResponse,
  sendOverMutualTls,
} from './__testUtils__/sendOverMutualTls';

jest.setTimeout(600_000);

/** Requests per run; FUZZ_REQUESTS raises it for a longer hunt. */
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 2000);
const ERROR_CODES: string[] = (spec as any).components.schemas.Error.properties
  .error.properties.code.enum;

/**
 * Spec-driven property tests of the agent's `/v1` API: every operation in
 * its OpenAPI spec, over mutual TLS, with the simulated drivers, with valid,
 * boundary and hostile values. Every answer is a 2xx that matches the spec
 * or a 4xx with a stable code and a message (never a stack), and a refused
 * request leaves the data directory exactly as it was.
 */
describe('agent API fuzzing', () => {
  let t: TestAgent;
  let channel: Awaited<ReturnType<typeof startChannel>>;
  let tls: https.Agent;
  const operations = specOperations(spec);
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const componentsId = 'agent-spec';
  ajv.addSchema({ components: (spec as any).components }, componentsId);
  const responseValidators = new Map<string, ReturnType<Ajv['compile']>>();

  const send = (request: Omit<FuzzRequest, 'operation'>) =>
    sendOverMutualTls(tls, t.agent.url, request);

  const installs: Record<string, unknown[]> = {};
  const downloadIds: string[] = [];

  /** Waits until no download or import (both answer 202) is running. */
  async function settleDownloads() {
    await waitFor(
      async () => [
        ...JSON.parse(
          (await send({ method: 'GET', path: '/v1/downloads' })).text,
        ).items,
        ...JSON.parse((await send({ method: 'GET', path: '/v1/imports' })).text)
          .items,
      ],
      (items: any[]) =>
        !items.some(d =>
          ['downloading', 'verifying', 'installing', 'transferring'].includes(
            d.state,
          ),
        ),
      30_000,
    );
  }

  beforeAll(async () => {
    channel = await startChannel();
    // An enrolled agent's certificate (server and client): its imports run.
    t = await startTestAgent({}, { pki: { hostId: 'fuzz-host' } });
    tls = new https.Agent({
      ca: t.pki.ca.cert,
      cert: t.pki.client.cert,
      key: t.pki.client.key,
      keepAlive: true,
      maxSockets: 4,
    });
    // Something to find: an OS, an appliance on it, a boot image, two disks, a domain.
    const os = await channel.publish('/base.img', emptyQcow2(1024 ** 3));
    const app = await channel.publish('/app.img', emptyQcow2(2 * 1024 ** 3), {
      os: 'base',
    });
    const boot = await channel.publish('/vmlinuz', Buffer.from('kernel'));
    const app2 = await channel.publish(
      '/app-2.img',
      emptyQcow2(3 * 1024 ** 3),
      {
        os: 'base',
        version: '2.0.0',
      },
    );
    installs.installImage = [os, app, boot];
    installs.upgradeImage = [app2];
    for (const [kind, name, body] of [
      ['os', 'base', os],
      ['appliance', 'app', app],
      ['boot', 'vmlinuz', boot],
    ] as const) {
      const started = await send({
        method: 'PUT',
        path: `/v1/images/${kind}/${name}`,
        body: JSON.stringify(body),
      });
      downloadIds.push(JSON.parse(started.text).id);
      // An appliance installs onto its OS, so one at a time.
      await settleDownloads();
    }
    const made = [
      await send({
        method: 'POST',
        path: '/v1/disks',
        body: JSON.stringify({ name: 'disk-1', appliance: 'app' }),
      }),
      await send({
        method: 'POST',
        path: '/v1/disks',
        body: JSON.stringify({
          name: 'disk-2',
          appliance: 'app',
          seed: { hostname: 'web' },
        }),
      }),
      await send({
        method: 'PUT',
        path: '/v1/domains/dom-1',
        body: JSON.stringify({ vcpus: 1, memoryMiB: 64, disk: 'disk-1' }),
      }),
      await send({ method: 'POST', path: '/v1/domains/dom-1/start' }),
    ];
    const failed = made.filter(r => r.status >= 300);
    if (failed.length)
      throw new Error(
        `The fuzzing fixture was not made: ${failed.map(r => r.text).join('; ')}`,
      );
  });
  afterAll(async () => {
    tls?.destroy();
    await t?.close();
    await channel?.close();
  });

  const known = (name: string): readonly unknown[] | undefined => {
    switch (name) {
      case 'name':
      case 'appliance':
      case 'disk':
      case 'os':
      case 'kernel':
      case 'initrd':
        return ['base', 'app', 'vmlinuz', 'disk-1', 'disk-2', 'dom-1', 'ghost'];
      case 'id':
        return downloadIds;
      case 'createDisk':
        return [
          { name: 'disk-3', appliance: 'app' },
          { name: 'disk-1', appliance: 'app' },
        ];
      case 'createImport':
        // Nothing listens there: the import fails at once, and leaves nothing.
        return [
          {
            disk: 'disk-9',
            source: {
              agentUrl: 'https://127.0.0.1:1',
              hostId: 'host-x',
              certificateFingerprint256: Array(32).fill('AB').join(':'),
              exportId: '00000000-0000-4000-8000-000000000000',
            },
          },
          {
            disk: 'disk-1',
            source: {
              agentUrl: 'https://127.0.0.1:1',
              hostId: 'host-x',
              certificateFingerprint256: Array(32).fill('AB').join(':'),
              exportId: '00000000-0000-4000-8000-000000000000',
            },
          },
        ];
      case 'createExport':
        return [
          {
            peer: {
              hostId: 'host-x',
              certificateFingerprint256: Array(32).fill('CD').join(':'),
            },
            ttlSeconds: 60,
          },
        ];
      case 'createIncomingMigration':
        return [
          {
            spec: { vcpus: 1, memoryMiB: 64, disk: 'disk-2' },
            peer: {
              hostId: 'host-x',
              certificateFingerprint256: Array(32).fill('CD').join(':'),
            },
            ttlSeconds: 60,
          },
        ];
      case 'startLiveMigration':
        // Nothing listens there: the migration fails at once, and dom-1 runs on.
        return [
          {
            destination: {
              agentUrl: 'https://127.0.0.1:1',
              hostId: 'host-x',
              certificateFingerprint256: Array(32).fill('AB').join(':'),
              incomingId: '00000000-0000-4000-8000-000000000000',
            },
          },
        ];
      case 'defineDomain':
        return [
          { vcpus: 2, memoryMiB: 256, disk: 'disk-2' },
          { vcpus: 1, memoryMiB: 64, disk: 'disk-1' },
        ];
      default:
        return installs[name];
    }
  };

  function validatorFor(operation: SpecOperation, status: number) {
    const key = `${operation.id} ${status}`;
    if (!responseValidators.has(key)) {
      const schema = operation.responses[String(status)];
      const rewritten = JSON.parse(
        JSON.stringify(schema ?? {}).replace(
          /"#\/components\//g,
          `"${componentsId}#/components/`,
        ),
      );
      responseValidators.set(key, ajv.compile(rewritten));
    }
    return responseValidators.get(key)!;
  }

  /** What is wrong with an answer, if anything. */
  function problemWith(
    operation: SpecOperation,
    res: RawResponse,
  ): string | undefined {
    if (res.status >= 200 && res.status < 300) {
      if (!(String(res.status) in operation.responses))
        return `status ${res.status} is not in the spec`;
      if (!res.contentType.startsWith('application/json')) return undefined;
      const validate = validatorFor(operation, res.status);
      if (!validate(JSON.parse(res.text)))
        return `the answer does not match the spec: ${ajv.errorsText(validate.errors)}`;
      return undefined;
    }
    if (res.status < 400 || res.status >= 500)
      return `answered ${res.status}: ${res.text.slice(0, 300)}`;
    let body: any;
    try {
      body = JSON.parse(res.text);
    } catch {
      return `a ${res.status} without a JSON error body: ${res.text.slice(0, 200)}`;
    }
    if (!ERROR_CODES.includes(body?.error?.code))
      return `unknown error code ${JSON.stringify(body?.error?.code)}`;
    if (typeof body.error.message !== 'string' || !body.error.message.trim())
      return 'an error without a message';
    if (/\n\s+at .+:\d+/.test(body.error.message) || body.error.stack)
      return 'an error body with a stack trace';
    return undefined;
  }

  it('answers every request to every route with a 2xx or a 4xx with a message, and refusals change nothing', async () => {
    const counts = new Map<string, Record<string, number>>();
    const byOperation = new Map(operations.map(o => [o.id, o]));
    const requests = fc.oneof(
      ...operations.map(op =>
        requestsFor(spec, op, { hostility: 0.15, known }),
      ),
    );
    const started = Date.now();
    let downloadsMayRun = false;
    let still: string[] | undefined;
    // Exports expire on their own (the spec lets ttlSeconds be 1): their files are left out near and past expiry.
    const exportExpiry = new Map<string, number>();
    const unexpired = (snapshot: string[]) =>
      snapshot.filter(line => {
        const id = /^exports\/([^/]+)\//.exec(line)?.[1];
        return !id || (exportExpiry.get(id) ?? Infinity) > Date.now() + 1000;
      });
    await fc.assert(
      fc.asyncProperty(requests, async request => {
        const operation = byOperation.get(request.operation)!;
        // A download that is running changes files; refusals are judged on a still agent.
        if (downloadsMayRun) {
          await settleDownloads();
          downloadsMayRun = false;
          still = undefined;
        }
        const before = still ?? (await dataDirSnapshot(t.config.dataDir));
        const res = await send(request);
        if (request.operation === 'createExport' && res.status === 201) {
          const made = JSON.parse(res.text);
          exportExpiry.set(made.id, Date.parse(made.expiresAt));
        }
        if (res.status === 202) downloadsMayRun = true;
        const tally = counts.get(request.operation) ?? {};
        const klass = `${String(res.status)[0]}xx`;
        tally[klass] = (tally[klass] ?? 0) + 1;
        counts.set(request.operation, tally);
        const problem = problemWith(operation, res);
        if (problem) {
          throw new Error(
            `${request.method} ${request.path.slice(0, 200)} ${
              request.body?.slice(0, 300) ?? ''
            } → ${problem}`,
          );
        }
        // A refusal leaves every file as it was (a success may change them).
        const after =
          res.status >= 400 ? await dataDirSnapshot(t.config.dataDir) : before;
        expect(unexpired(after)).toEqual(unexpired(before));
        // After a refusal the files are known; after a success they are read again.
        still = res.status >= 400 ? after : undefined;
      }),
      { numRuns: REQUESTS, endOnFailure: true },
    );
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const lines = [...counts.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, tally]) => `  ${id}: ${JSON.stringify(tally)}`);
    const total = [...counts.values()].reduce(
      (sum, tally) => sum + Object.values(tally).reduce((a, b) => a + b, 0),
      0,
    );
    // eslint-disable-next-line no-console
    console.log(
      `agent API fuzzing: ${total} requests over ${counts.size} of ${operations.length} operations in ${seconds} s\n${lines.join('\n')}`,
    );
    expect(total).toBe(REQUESTS);
    expect([...counts.keys()].sort()).toEqual(operations.map(o => o.id).sort());
  });
});
