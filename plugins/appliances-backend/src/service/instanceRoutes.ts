import { AuditorService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import {
  instanceCreatePermission,
  instanceEntityRef,
  instanceReadPermission,
} from '@tempest/backstage-plugin-appliances-common';
import { HostStore } from '../hosts/HostStore';
import { Instance, InstanceStore } from '../instances/InstanceStore';
import { ProvisioningService } from '../instances/ProvisioningService';
import { ProvisionRunner } from '../operations/ProvisionRunner';
import { audited } from './audited';
import { CallerScopeDeps, assertOwns, callerScope } from './callerScope';
import { AppliancesRouter } from './types';

export type InstanceRoutesOptions = CallerScopeDeps & {
  auditor: AuditorService;
  hosts: HostStore;
  instances: InstanceStore;
  provisioning: ProvisioningService;
  runner: ProvisionRunner;
};

/** GET/POST /instances, POST /instances/estimate, GET /instances/:id. */
export function addInstanceRoutes(router: AppliancesRouter, options: InstanceRoutesOptions) {
  const { instances, provisioning, runner, hosts } = options;
  const read = (req: any) =>
    callerScope(options, req, instanceReadPermission, 'Not allowed to read instances');
  const create = (req: any) =>
    callerScope(options, req, instanceCreatePermission, 'Not allowed to provision instances', ['user']);

  const hostNames = new Map<string, string>();
  async function view(instance: Instance) {
    let hostName: string | undefined;
    if (instance.hostId) {
      hostName = hostNames.get(instance.hostId) ?? (await hosts.get(instance.hostId))?.name;
      if (hostName) hostNames.set(instance.hostId, hostName);
    }
    return {
      ...instance,
      ...(hostName ? { hostName } : {}),
      entityRef: instanceEntityRef(instance.hostname),
    };
  }

  router.get('/instances', async (req, res) => {
    const scope = await read(req);
    const items = await instances.list(scope.all ? {} : { owners: scope.ownershipRefs });
    res.json({ items: await Promise.all(items.map(view)) });
  });

  router.get('/instances/:id', async (req, res) => {
    const scope = await read(req);
    const instance = await instances.get(req.params.id);
    if (!instance) throw new NotFoundError(`No instance '${req.params.id}'`);
    assertOwns(scope, instance.owner, `instance '${req.params.id}'`);
    res.json(await view(instance));
  });

  router.post('/instances/estimate', async (req, res) => {
    await create(req);
    res.json(await provisioning.estimate(req.body));
  });

  router.post('/instances', async (req, res) => {
    const key = req.header('idempotency-key') || undefined;
    const accepted = await audited(
      options.auditor,
      req,
      'instance-provision',
      { applianceId: req.body.applianceId, hostname: req.body.hostname, idempotencyKey: key ?? null },
      async () => {
        const scope = await create(req);
        return provisioning.request(req.body, scope.principalRef, key);
      },
    );
    void runner.kick(accepted.operationId);
    res.status(202).json(accepted);
  });
}
