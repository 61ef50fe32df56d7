import {
  AuditorService,
  DiscoveryService,
} from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  hostManagePermission,
  hostReadPermission,
} from '@tempest/backstage-plugin-appliances-common';
import { HostEnrolment } from '../hosts/HostEnrolment';
import { Host, HostStore } from '../hosts/HostStore';
import {
  CallerScope,
  CallerScopeDeps,
  assertOwns,
  callerScope,
} from './callerScope';
import { normalizeOwnerRef } from '../permissions/ownerRef';
import { audited } from './audited';
import { AppliancesRouter } from './types';

export type HostRoutesOptions = CallerScopeDeps & {
  auditor: AuditorService;
  discovery: DiscoveryService;
  hosts: HostStore;
  enrolment: HostEnrolment;
};

/** GET/POST /hosts, GET /hosts/:id, PUT pricing and maintenance, POST enrolment-token. */
export function addHostRoutes(
  router: AppliancesRouter,
  options: HostRoutesOptions,
) {
  const { hosts, enrolment } = options;

  const read = (req: any) =>
    callerScope(options, req, hostReadPermission, 'Not allowed to read hosts');
  const manage = (req: any) =>
    callerScope(
      options,
      req,
      hostManagePermission,
      'Not allowed to manage hosts',
      ['user'],
    );

  async function ownedHost(scope: CallerScope, id: string): Promise<Host> {
    const host = await hosts.get(id);
    if (!host) throw new NotFoundError(`No host '${id}'`);
    assertOwns(scope, host.owner, `host '${id}'`);
    return host;
  }

  async function tokenView(
    token: { token: string; expiresAt: Date },
    agentUrl: string,
  ) {
    const base = await options.discovery.getExternalBaseUrl('appliances');
    const enrolUrl = `${base}/agent/enroll`;
    return {
      token: token.token,
      expiresAt: token.expiresAt.toISOString(),
      enrolUrl,
      // The agent listens where the host was registered, so its certificate and config match.
      command: `tempest-agent enroll --url ${enrolUrl} --token ${token.token} --agent-url ${agentUrl}`,
    };
  }

  router.get('/hosts', async (req, res) => {
    const scope = await read(req);
    res.json({
      items: await hosts.list(scope.all ? {} : { owners: scope.ownershipRefs }),
    });
  });

  router.get('/hosts/:id', async (req, res) => {
    const scope = await read(req);
    res.json(await ownedHost(scope, req.params.id));
  });

  router.post('/hosts', async (req, res) => {
    const body = req.body;
    const result = await audited(
      options.auditor,
      req,
      'host-register',
      { hostName: body.name },
      async () => {
        const scope = await manage(req);
        const owner = body.owner
          ? normalizeOwnerRef(body.owner)
          : scope.principalRef;
        if (!owner)
          throw new InputError(
            `owner '${body.owner}' is not a user or group entity ref such as group:default/platform`,
          );
        if (!scope.all && !scope.ownershipRefs.includes(owner)) {
          throw new InputError(
            `You may register hosts for yourself or your groups, not ${owner}`,
          );
        }
        if (await hosts.getByName(body.name)) {
          throw new ConflictError(
            `A host named '${body.name}' is already registered`,
          );
        }
        const token = enrolment.newToken();
        const host = await hosts.create(
          {
            name: body.name,
            owner,
            cpuModel: body.cpuModel,
            coreSpeedMhz: body.coreSpeedMhz,
            cpuCores: body.cpuCores,
            memoryMb: body.memoryMb,
            storageMb: body.storageMb,
            pricing: body.pricing,
            agentUrl: body.agentUrl,
            bmc: body.bmc,
          },
          { tokenHash: token.tokenHash, expiresAt: token.expiresAt },
        );
        return { host, enrolment: await tokenView(token, host.agentUrl) };
      },
    );
    res.status(201).json(result);
  });

  router.put('/hosts/:id/pricing', async (req, res) => {
    const { id } = req.params;
    const host = await audited(
      options.auditor,
      req,
      'host-pricing-update',
      { hostId: id },
      async () => {
        const scope = await manage(req);
        await ownedHost(scope, id);
        return (await hosts.updatePricing(id, req.body))!;
      },
    );
    res.json(host);
  });

  router.put('/hosts/:id/maintenance', async (req, res) => {
    const { id } = req.params;
    const maintenance = req.body.maintenance;
    const host = await audited(
      options.auditor,
      req,
      'host-maintenance',
      { hostId: id, maintenance },
      async () => {
        const scope = await manage(req);
        await ownedHost(scope, id);
        return (await hosts.setMaintenance(id, maintenance))!;
      },
    );
    res.json(host);
  });

  router.put('/hosts/:id/agent-url', async (req, res) => {
    const { id } = req.params;
    const { agentUrl } = req.body;
    const host = await audited(
      options.auditor,
      req,
      'host-agent-url-update',
      { hostId: id, agentUrl },
      async () => {
        const scope = await manage(req);
        await ownedHost(scope, id);
        if (!URL.canParse(agentUrl))
          throw new InputError(`agentUrl ${agentUrl} is not a URL`);
        return (await hosts.setAgentUrl(id, agentUrl))!;
      },
    );
    res.json(host);
  });

  router.post('/hosts/:id/enrolment-token', async (req, res) => {
    const { id } = req.params;
    const view = await audited(
      options.auditor,
      req,
      'host-enrolment-token',
      { hostId: id },
      async () => {
        const scope = await manage(req);
        const host = await ownedHost(scope, id);
        if (host.enrolledAt)
          throw new ConflictError(`Host '${host.name}' has already enrolled`);
        const token = enrolment.newToken();
        await hosts.setEnrolmentToken(id, token.tokenHash, token.expiresAt);
        return tokenView(token, host.agentUrl);
      },
    );
    res.json(view);
  });
}
