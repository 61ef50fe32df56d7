import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import fs from 'node:fs/promises';
import path from 'node:path';
import { waitFor } from '@tempest/provider-agent/testing';
import { AgentConnector } from '../hosts/AgentConnector';
import {
  createOnlineTestHost,
  insertProvisionRequest,
  provisionTestStores,
  testPricing,
  testSecrets,
  testSize,
  useProvisionTestAgent,
} from '../__testUtils__/provisionTestBed';
import { ImageLayer } from './ImageLayers';
import { ProvisionRunner } from './ProvisionRunner';
import { diskNameOf } from './diskNameOf';

jest.setTimeout(90_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())(
  'ProvisionRunner on %s',
  databaseId => {
    const env = useProvisionTestAgent({
      os: 256 * 1024,
      appliance: 512 * 1024,
    });

    async function setup(
      options: { layers?: () => Promise<ImageLayer[]>; leaseMs?: number } = {},
    ) {
      const { db, hosts, instances, operations } = await provisionTestStores(
        databases,
        databaseId,
      );
      const connector = new AgentConnector({
        ca: env.agent.pki.ca,
        client: env.agent.pki.client,
      });
      const logger = mockServices.logger.mock();
      const runner = new ProvisionRunner({
        db,
        hosts,
        instances,
        operations,
        appliances: {
          get: async () =>
            ({
              id: 'sample.webserv.2.0',
              // As STORM's Figure 2: the system image, a swap and a user disk.
              disks: [
                { name: 'hda1', type: 'system', file: 'sys.img' },
                { name: 'hda3', type: 'swap', sizeMb: 128 },
                { name: 'hda2', type: 'user', sizeMb: 256 },
              ],
            }) as any,
        },
        layers: { layersFor: options.layers ?? (async () => env.layers) },
        agents: connector,
        logger,
        auditor: mockServices.auditor.mock(),
        pollMs: 20,
        leaseMs: options.leaseMs,
        secrets: testSecrets,
      });
      const host = await createOnlineTestHost(db, hosts, env.agent);

      const request = (
        hostname: string,
        size?: typeof testSize,
        values?: Parameters<typeof insertProvisionRequest>[4],
      ) =>
        insertProvisionRequest(
          db,
          { operations, instances },
          hostname,
          size,
          values,
        );
      return {
        db,
        hosts,
        instances,
        operations,
        runner,
        host,
        request,
        connector,
        logger,
      };
    }

    it('stops driving an operation when renewing its lease fails, and says so', async () => {
      let renewals = 0;
      let renewalFailed: () => void = () => {};
      const failedRenewal = new Promise<void>(r => (renewalFailed = r));
      const { operations, runner, request, logger } = await setup({
        leaseMs: 1500,
        // install-images waits until a renewal has failed.
        layers: async () => {
          await failedRenewal;
          return env.layers;
        },
      });
      const { operationId } = await request('web-lease');
      const lease = operations.lease.bind(operations);
      jest
        .spyOn(operations, 'lease')
        .mockImplementation(async (...args: Parameters<typeof lease>) => {
          if (renewals++ === 0) return lease(...args);
          renewalFailed();
          throw new Error('connection to the database lost');
        });

      await runner.kick(operationId);

      const op = (await operations.get(operationId))!;
      expect(op.state).toBe('running');
      expect(op.steps.map(s => s.state)).toEqual([
        'done',
        'done',
        'done',
        'done',
        'pending',
        'pending',
        'pending',
        'pending',
      ]);
      expect(logger.warn).toHaveBeenCalledWith(
        expect.stringMatching(
          /renewing its lease failed: Error: connection to the database lost; this runner stops driving it/,
        ),
      );
    });

    it('drives every step to a started instance with the price locked at placement', async () => {
      const { hosts, instances, operations, runner, host, request, connector } =
        await setup();
      const { instanceId, operationId } = await request('web-1');
      await runner.kick(operationId);

      const op = (await operations.get(operationId))!;
      expect(op.state).toBe('succeeded');
      expect(op.steps.map(s => [s.name, s.state])).toEqual([
        ['place', 'done'],
        ['reserve-capacity', 'done'],
        ['power-on', 'done'],
        ['install-images', 'done'],
        ['create-disk', 'done'],
        ['define', 'done'],
        ['start', 'done'],
        ['publish', 'done'],
      ]);
      expect(op.steps[3].detail!.layers).toEqual([
        expect.objectContaining({ kind: 'os', name: 'base', verified: true }),
        expect.objectContaining({
          kind: 'appliance',
          name: 'webserv',
          verified: true,
        }),
      ]);
      const instance = (await instances.get(instanceId))!;
      expect(instance).toMatchObject({
        state: 'started',
        hostId: host.id,
        version: 2,
      });
      // 2 cores × 2000 MHz = 4 speed units × 3 + 2 memory units × 2; 2 storage units × 7.
      expect(instance.price).toMatchObject({
        runningPriceMinor: 16,
        storagePriceMinor: 14,
      });
      expect(instance.placement!.chosen!.hostId).toBe(host.id);
      expect((await hosts.get(host.id))!.used).toEqual({
        cpuCores: 2,
        memoryMb: 2048,
        storageMb: 20480,
      });

      // A later price change does not touch the locked price.
      await hosts.updatePricing(host.id, {
        ...testPricing,
        speedPriceMinor: 300,
      });
      expect((await instances.get(instanceId))!.price!.runningPriceMinor).toBe(
        16,
      );

      const client = connector.forHost(host);
      const state = await client.GET('/v1/domains/{name}/state', {
        params: { path: { name: diskNameOf(instanceId) } },
      });
      expect(state.data!.state).toBe('running');

      // The swap and user disks the appliance declares, of their sizes, beside
      // an instance disk of the rest of its storage (20 GiB less 384 MiB).
      const disk = await client.GET('/v1/disks/{name}', {
        params: { path: { name: diskNameOf(instanceId) } },
      });
      expect(
        disk.data!.volumes!.map(v => [v.name, v.role, v.sizeMiB, v.serial]),
      ).toEqual([
        ['hda3', 'swap', 128, 'tempest-swap'],
        ['hda2', 'user', 256, 'tempest-user'],
      ]);
      expect(disk.data!.layers![0].virtualSizeBytes).toBe(20 * 1024 ** 3);
      expect(op.steps.find(s => s.name === 'create-disk')).toMatchObject({
        progress: 1,
        detail: {
          sizeGiB: 20,
          volumes: [
            { name: 'hda3', role: 'swap', sizeMiB: 128 },
            { name: 'hda2', role: 'user', sizeMiB: 256 },
          ],
        },
      });

      // Its NIC carries the MAC Tempest issued, on the host's default network, and
      // the address the guest took is known before the instance is published.
      expect(instance.mac).toMatch(/^02:7e(:[0-9a-f]{2}){4}$/);
      expect(op.steps[5].detail).toMatchObject({
        network: 'default',
        mac: instance.mac,
      });
      const domain = await client.GET('/v1/domains/{name}', {
        params: { path: { name: diskNameOf(instanceId) } },
      });
      expect(domain.data!.spec.nics).toEqual([
        { network: 'default', mac: instance.mac },
      ]);
      const address = domain.data!.interfaces[0].addresses[0];
      expect(address).toMatch(/^10\.77\.0\.\d+$/);
      expect(op.steps[6].detail!.addresses).toEqual([address]);
      expect((await instances.get(instanceId))!).toMatchObject({
        network: 'default',
        addresses: [address],
      });
    });

    it("gives the guest's seed the instance's domain, SSH key and variables, secret ones opened only for it", async () => {
      const { instances, operations, runner, host, request, connector } =
        await setup();
      const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFq0 owner@laptop';
      const { instanceId, operationId } = await request(
        'web-values',
        testSize,
        {
          domain: 'lab.example.com',
          sshAuthorizedKeys: [key],
          variables: { DNS_RECORDS: 'www=10.0.0.8' },
          secretVariables: { REDIS_PASSWORD: "it's s3cret" },
        },
      );
      await runner.kick(operationId);

      const op = (await operations.get(operationId))!;
      expect(op.state).toBe('succeeded');
      const { data: disk } = await connector
        .forHost(host)
        .GET('/v1/disks/{name}', {
          params: { path: { name: diskNameOf(instanceId) } },
        });
      expect(disk!.seed).toMatchObject({
        hostname: 'web-values',
        domain: 'lab.example.com',
        sshAuthorizedKeys: [key],
        variables: {
          DNS_RECORDS: 'www=10.0.0.8',
          REDIS_PASSWORD: "it's s3cret",
        },
      });
      // What the API serves: the secret's name, never its value.
      expect(await instances.get(instanceId)).toMatchObject({
        domain: 'lab.example.com',
        sshAuthorizedKeys: [key],
        variables: { DNS_RECORDS: 'www=10.0.0.8' },
        secretVariables: ['REDIS_PASSWORD'],
      });
      expect(JSON.stringify(op)).not.toContain('s3cret');
      expect(JSON.stringify(await instances.get(instanceId))).not.toContain(
        's3cret',
      );
      expect(
        op.steps.find(s => s.name === 'create-disk')!.detail,
      ).toMatchObject({
        disk: diskNameOf(instanceId),
        seed: {
          hostname: 'web-values',
          domain: 'lab.example.com',
          sshAuthorizedKeys: 1,
          variables: ['DNS_RECORDS', 'REDIS_PASSWORD'],
        },
      });
    });

    it('rolls back what earlier steps did when one fails, naming the step', async () => {
      const { hosts, instances, operations, runner, host, request, connector } =
        await setup();
      const { instanceId, operationId } = await request('web-2');
      // The domain name is taken by a foreign domain: define fails after the disk was created.
      const client = connector.forHost(host);
      for (const layer of env.layers) {
        await client.PUT('/v1/images/{kind}/{name}', {
          params: { path: { kind: layer.kind, name: layer.name } },
          body: layer.request,
        });
        await waitFor(
          () =>
            client.POST('/v1/images/{kind}/{name}/check', {
              params: { path: { kind: layer.kind, name: layer.name } },
            }),
          r => Boolean(r.data?.installed),
        );
      }
      const foreignDisk = `foreign-${instanceId.slice(0, 8)}`;
      await client.DELETE('/v1/disks/{name}', {
        params: { path: { name: foreignDisk } },
      });
      expect(
        (
          await client.POST('/v1/disks', {
            body: { name: foreignDisk, appliance: 'webserv' },
          })
        ).response.status,
      ).toBe(201);
      const defined = await client.PUT('/v1/domains/{name}', {
        params: { path: { name: diskNameOf(instanceId) } },
        body: { vcpus: 1, memoryMiB: 64, disk: foreignDisk },
      });
      expect(defined.response.status).toBe(201);
      await runner.kick(operationId);

      const op = (await operations.get(operationId))!;
      expect(op.state).toBe('failed');
      expect(op.failedStep).toBe('define');
      expect(op.error).toMatch(new RegExp(`^${op.failedStep} failed: `));
      const instance = (await instances.get(instanceId))!;
      expect(instance.state).toBe('error');
      expect(instance.error).toBe(op.error);
      expect((await hosts.get(host.id))!.used).toEqual({
        cpuCores: 0,
        memoryMb: 0,
        storageMb: 0,
      });
      expect(op.error).toMatch(
        /already exists on the host and is not this instance's/,
      );
      const disk = await client.GET('/v1/disks/{name}', {
        params: { path: { name: diskNameOf(instanceId) } },
      });
      expect(disk.response.status).toBe(404);
      // Its swap and user volumes went with it.
      await expect(
        fs.stat(
          path.join(env.agent.config.dataDir, 'disks', diskNameOf(instanceId)),
        ),
      ).rejects.toThrow(/ENOENT/);
      // The foreign domain is left alone.
      const foreign = await client.GET('/v1/domains/{name}', {
        params: { path: { name: diskNameOf(instanceId) } },
      });
      expect(foreign.data!.spec.disk).toBe(foreignDisk);
      // The hostname is free again.
      expect(await instances.hostnameTaken('web-2')).toBe(false);
    });

    it('fails cleanly when no host fits, with the reasons', async () => {
      const { operations, instances, runner, request } = await setup();
      const { instanceId, operationId } = await request('huge', {
        cpuCores: 64,
        memoryMb: 1024,
        storageMb: 1024,
      });
      await runner.kick(operationId);
      const op = (await operations.get(operationId))!;
      expect(op).toMatchObject({ state: 'failed', failedStep: 'place' });
      expect(op.error).toMatch(/has only 8 cores free/);
      expect(
        (await instances.get(instanceId))!.placement!.rejected[0].reason,
      ).toBe('cpu');
    });

    it('rolls back when the host goes offline mid-operation', async () => {
      const { db, hosts, operations, runner, host, request } = await setup({
        layers: async () => {
          await db('hosts').update({ state: 'offline' });
          return env.layers;
        },
      });
      const { operationId } = await request('web-3');
      await runner.kick(operationId);
      const op = (await operations.get(operationId))!;
      expect(op.state).toBe('failed');
      expect(op.error).toMatch(/went offline/);
      expect((await hosts.get(host.id))!.used.cpuCores).toBe(0);
    });

    it('resumes an operation whose runner died mid-way', async () => {
      const { operations, instances, runner, request, db } = await setup();
      const { instanceId, operationId } = await request('web-4');
      // A previous process placed and reserved, then died holding a lapsed lease.
      await db('operations')
        .where({ id: operationId })
        .update({
          state: 'running',
          lease_owner: 'dead-runner',
          lease_expires_at: new Date(Date.now() - 1000),
        });
      expect(await runner.resumeOrphaned()).toContain(operationId);
      await runner.idle();
      await waitFor(
        () => operations.get(operationId),
        o => o!.state === 'succeeded',
      );
      expect((await instances.get(instanceId))!.state).toBe('started');
    });
  },
);
