import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RunningAgent } from '@tempest/provider-agent';
import { enrolTestAgent } from '../support/enrolTestAgent';
import { freePort } from '../support/freePort';
import { waitFor } from '../support/waitFor';
import { hasTool } from '../support/requireTool';
import { Backend, startBackend } from '../support/startBackend';
import {
  LibvirtTestDaemon,
  startLibvirtTestDaemon,
} from '../support/startLibvirtTestDaemon';
import {
  TEST_ONLY_PUBLIC_KEY,
  buildSignedChannel,
} from '../support/buildSignedChannel';
import { stopQuietly } from '../support/testBedCalls';

jest.setTimeout(400_000);

const tools: Array<[string, string]> = [
  ['/usr/bin/virsh', 'the agent drives libvirt through virsh'],
  ['/usr/sbin/libvirtd', "libvirt's test driver keeps state in a daemon"],
  ['/usr/bin/qemu-img', 'instance disks are qcow2 backing chains'],
  ['/usr/bin/genisoimage', 'the cloud-init seed is an ISO'],
  ['/usr/bin/unshare', 'libvirtd runs in its own network namespace'],
  ['/usr/bin/setpriv', 'libvirtd runs unprivileged (session mode)'],
];
const present = tools.every(([tool, why]) => hasTool(tool, why));

(present ? describe : describe.skip)(
  'provisioning through the Provision appliance template on libvirt',
  () => {
    let work: string;
    let libvirt: LibvirtTestDaemon | undefined;
    let backend: Backend | undefined;
    let agent: RunningAgent | undefined;

    afterAll(async () => {
      // Each part stops on its own, so one that fails to stop leaves no others running.
      await stopQuietly(backend?.stop);
      await stopQuietly(agent?.stop);
      await stopQuietly(libvirt?.stop);
      if (work) fs.rmSync(work, { recursive: true, force: true });
    }, 90_000);

    it('places, installs, defines and starts an instance the requester owns in the catalog', async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'tempest-e2e-provision-'));
      const { channelsDir, osDir } = await buildSignedChannel(work);
      libvirt = await startLibvirtTestDaemon();
      const port = await freePort();
      const api = `http://localhost:${port}/api/appliances`;
      const configFile = path.join(work, 'app-config.e2e.yaml');
      fs.writeFileSync(
        configFile,
        `backend:
  baseUrl: http://localhost:${port}
  listen: { port: ${port} }
catalog:
  providers:
    tempestHosting:
      schedule: { frequency: { seconds: 2 }, timeout: { minutes: 1 } }
appliances:
  dataDir: ${work}/backend-data
  embeddedHosts: { count: 0 }
  staticChannels: { directory: ${channelsDir} }
  channels:
    - id: e2e
      url: ${api}/static/channels/e2e/feed.xml
      owner: group:default/tempest-admins
      trustedKeys: [{ $file: ${TEST_ONLY_PUBLIC_KEY} }]
  osImageDirectory: ${osDir}
  osImages:
    - ostype: linux
      name: e2e-os
      version: '1.0'
      url: ${api}/static/os-images/e2e-os.qcow2
      signatureUrl: ${api}/static/os-images/e2e-os.qcow2.asc
      trustedKeys: [{ $file: ${TEST_ONLY_PUBLIC_KEY} }]
`,
      );
      backend = await startBackend({ port, configFile });
      const base = `http://localhost:${port}`;
      const headers: Record<string, string> = {
        'content-type': 'application/json',
      };
      // The guest's groups come from the catalog (its User entity's memberOf):
      // sign in again until the token carries the Tempest roles' groups.
      const signIn = async () => {
        const res = await fetch(`${base}/api/auth/guest/refresh`, {
          headers: { 'X-Requested-With': 'XMLHttpRequest' },
        });
        const { backstageIdentity } = await res.json();
        headers.authorization = `Bearer ${backstageIdentity.token}`;
        return backstageIdentity.identity.ownershipEntityRefs as string[];
      };
      const call = async (method: string, url: string, body?: unknown) => {
        const res = await fetch(
          url.startsWith('http') ? url : `${base}${url}`,
          {
            method,
            headers,
            body: body === undefined ? undefined : JSON.stringify(body),
          },
        );
        const text = await res.text();
        return {
          status: res.status,
          body: text ? JSON.parse(text) : undefined,
        };
      };
      await waitFor(
        'the guest to be an admin and a provider',
        async () => {
          const refs = await signIn();
          return (
            refs.includes('group:default/tempest-admins') &&
            refs.includes('group:default/tempest-providers')
          );
        },
        120_000,
      );

      // A provider registers the host and enrols its agent (running on libvirt's test driver).
      ({ agent } = await enrolTestAgent({
        call,
        work,
        name: 'e2e-host',
        cpuModel: 'libvirt test driver',
        cpuCores: 8,
        memoryMb: 8192,
        hypervisorUri: libvirt.uri,
        onlineWithinMs: 30_000,
      }));
      const appliance = await waitFor(
        'the e2e appliance',
        async () =>
          (await call('GET', '/api/appliances/appliances?channel=e2e')).body
            .items[0],
        60_000,
      );
      expect(appliance.signature.provisionable).toBe(true);
      await waitFor(
        'the Provision appliance template',
        async () =>
          (
            await call(
              'GET',
              '/api/catalog/entities/by-name/template/default/provision-appliance',
            )
          ).status === 200,
        60_000,
      );

      // The engineer runs the template.
      const task = await call('POST', '/api/scaffolder/v2/tasks', {
        templateRef: 'template:default/provision-appliance',
        values: {
          appliance: `resource:default/${appliance.id}`,
          hostname: 'e2e-web-1',
          cpuCores: 1,
          memoryMb: 64,
          storageMb: 1024,
          maxPricePerHourMinor: 1000,
        },
      });
      expect(task.status).toBe(201);
      const finished = await waitFor(
        'the scaffolder task',
        async () => {
          const t = await call(
            'GET',
            `/api/scaffolder/v2/tasks/${task.body.id}`,
          );
          return ['completed', 'failed', 'cancelled'].includes(t.body.status)
            ? t.body
            : undefined;
        },
        240_000,
      );
      if (finished.status !== 'completed') {
        const events = await call(
          'GET',
          `/api/scaffolder/v2/tasks/${task.body.id}/events`,
        );
        throw new Error(
          `Task ${finished.status}: ${JSON.stringify(
            events.body
              ?.map((e: any) => e.body?.message)
              .filter(Boolean)
              .slice(-15),
          )}`,
        );
      }

      // The instance is in the catalog, owned by the requester, depending on the appliance and the host.
      const entity = await waitFor(
        'the instance entity',
        async () => {
          const r = await call(
            'GET',
            '/api/catalog/entities/by-name/resource/default/e2e-web-1',
          );
          return r.status === 200 ? r.body : undefined;
        },
        60_000,
      );
      expect(entity.spec).toMatchObject({
        type: 'appliance-instance',
        owner: 'user:development/guest',
      });
      expect([...entity.spec.dependsOn].sort()).toEqual(
        [
          'resource:default/e2e-host.host',
          `resource:default/${appliance.id}`,
        ].sort(),
      );

      // And libvirt runs its domain.
      const instances = await call('GET', '/api/appliances/instances');
      const instance = instances.body.items.find(
        (i: any) => i.hostname === 'e2e-web-1',
      );
      expect(instance).toMatchObject({
        state: 'started',
        hostName: 'e2e-host',
      });
      const state = execFileSync(
        'virsh',
        ['-c', libvirt.uri, 'domstate', instance.domainName],
        { encoding: 'utf8' },
      );
      expect(state.trim()).toBe('running');
    });
  },
);
