import { TestDatabases } from '@backstage/backend-test-utils';
import { testPricing, testSize } from '../__testUtils__/provisionTestBed';
import { useProvisionRunnerTestBed } from '../__testUtils__/provisionRunnerTestBed';
import { diskNameOf } from './diskNameOf';

jest.setTimeout(90_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())(
  'ProvisionRunner on %s',
  databaseId => {
    const { setup } = useProvisionRunnerTestBed(databases, databaseId);

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
  },
);
