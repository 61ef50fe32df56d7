import { TestDatabases } from '@backstage/backend-test-utils';
import fs from 'node:fs/promises';
import path from 'node:path';
import { waitFor } from '@tempest/provider-agent/testing';
import { useProvisionRunnerTestBed } from '../__testUtils__/provisionRunnerTestBed';
import { diskNameOf } from './diskNameOf';

jest.setTimeout(90_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())(
  'ProvisionRunner failures and recovery on %s',
  databaseId => {
    const { env, setup } = useProvisionRunnerTestBed(databases, databaseId);

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
        /already exists on h-[0-9a-f]+ and is not this instance's/,
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
