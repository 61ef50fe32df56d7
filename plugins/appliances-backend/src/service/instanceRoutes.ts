import { AuditorService } from '@backstage/backend-plugin-api';
import {
  InputError,
  NotAllowedError,
  NotFoundError,
  serializeError,
} from '@backstage/errors';
import {
  InstanceAction,
  allowedActions,
  instanceActionPermission,
  instanceCreatePermission,
  instanceEntityRef,
  instanceReadPermission,
} from '@tempest/backstage-plugin-appliances-common';
import { HostStore } from '../hosts/HostStore';
import {
  InstanceActionConflict,
  InstanceActionUnavailable,
} from '../instances/InstanceActionErrors';
import { InstanceActions } from '../instances/InstanceActions';
import { InstanceEventStore } from '../instances/InstanceEventStore';
import { Instance, InstanceStore } from '../instances/InstanceStore';
import { ProvisioningService } from '../instances/ProvisioningService';
import { ProvisionRunner } from '../operations/ProvisionRunner';
import { migrationTargets } from '../operations/migrationPlacement';
import { audited } from './audited';
import { CallerScopeDeps, callerScope } from './callerScope';
import {
  InstanceAccessDeps,
  instanceAccess,
  requireInstanceAccess,
} from './instanceAccess';
import { AppliancesRouter } from './types';

export type InstanceRoutesOptions = CallerScopeDeps &
  InstanceAccessDeps & {
    auditor: AuditorService;
    hosts: HostStore;
    instances: InstanceStore;
    events: InstanceEventStore;
    actions: InstanceActions;
    provisioning: ProvisioningService;
    runner: ProvisionRunner;
    /** The installation currency, for the wording of placement decisions. */
    currency?: string;
    /** Billing: the cost center to record, or a refusal (zero balance, not the requester's). */
    admitProvisioning?: (
      requester: { principalRef: string; ownershipRefs: string[] },
      requested?: string,
    ) => Promise<string>;
  };

/** `If-Match: "7"` (or W/"7", or 7) → 7. */
export function versionFromIfMatch(
  header: string | undefined,
): number | undefined {
  const match = header?.trim().match(/^(?:W\/)?"?(\d{1,9})"?$/);
  return match ? Number(match[1]) : undefined;
}

/**
 * GET/POST /instances, POST /instances/estimate, GET /instances/:id,
 * POST /instances/:id/actions, GET /instances/:id/events. Reads and actions
 * are filtered in the database by the caller's conditional decisions;
 * an instance the caller may not see is not found.
 */
export function addInstanceRoutes(
  router: AppliancesRouter,
  options: InstanceRoutesOptions,
) {
  const { instances, provisioning, runner, hosts, events, actions } = options;
  const create = (req: any) =>
    callerScope(
      options,
      req,
      instanceCreatePermission,
      'Not allowed to provision instances',
      ['user'],
    );
  const read = (req: any) =>
    requireInstanceAccess(
      options,
      req,
      instanceReadPermission,
      'Not allowed to read instances',
    );

  const hostNames = new Map<string, string>();
  async function view(instance: Instance) {
    let hostName: string | undefined;
    if (instance.hostId) {
      hostName =
        hostNames.get(instance.hostId) ??
        (await hosts.get(instance.hostId))?.name;
      if (hostName) hostNames.set(instance.hostId, hostName);
    }
    return {
      ...instance,
      ...(hostName ? { hostName } : {}),
      entityRef: instanceEntityRef(instance.hostname),
      allowedActions: instance.pendingAction
        ? []
        : allowedActions(instance.state),
    };
  }

  async function visible(req: any, id: string) {
    const access = await read(req);
    const instance = await instances.getVisible(id, access.criteria);
    if (!instance) throw new NotFoundError(`No instance '${id}'`);
    return instance;
  }

  router.get('/instances', async (req, res) => {
    const access = await read(req);
    const limit = Number(req.query.limit ?? 50);
    const offset = Number(req.query.offset ?? 0);
    const page = await instances.page({
      criteria: access.criteria,
      state: req.query.state,
      hostId: req.query.hostId,
      owner: req.query.owner,
      hostname: req.query.hostname,
      limit,
      offset,
    });
    res.json({
      items: await Promise.all(page.items.map(view)),
      totalCount: page.totalCount,
      ...(offset + page.items.length < page.totalCount
        ? { nextOffset: offset + page.items.length }
        : {}),
    });
  });

  router.get('/instances/:id', async (req, res) => {
    res.json(await view(await visible(req, req.params.id)));
  });

  router.get('/instances/:id/migration-targets', async (req, res) => {
    const instance = await visible(req, req.params.id);
    res.json(await migrationTargets(hosts, instance, options.currency));
  });

  router.get('/instances/:id/events', async (req, res) => {
    const instance = await visible(req, req.params.id);
    const items = await events.list(instance.id, {
      limit: Number(req.query.limit ?? 50),
      before:
        req.query.before === undefined ? undefined : Number(req.query.before),
    });
    res.json({ items });
  });

  router.post('/instances/:id/actions', async (req, res) => {
    const { id } = req.params;
    const action = req.body.action as InstanceAction;
    const expectedVersion =
      req.body.expectedVersion ?? versionFromIfMatch(req.header('if-match'));
    const audit = await options.auditor.createEvent({
      eventId: 'instance-action',
      request: req,
      severityLevel: 'medium',
      meta: {
        instanceId: id,
        action,
        expectedVersion: expectedVersion ?? null,
      },
    });
    let actor = 'unknown';
    let from: string | null = null;
    try {
      if (expectedVersion === undefined) {
        throw new InputError(
          'Send the version you saw as expectedVersion or If-Match',
        );
      }
      const access = await instanceAccess(options, req, [
        instanceReadPermission,
        instanceActionPermission(action),
      ]);
      actor = access.principalRef;
      const [readDecision, actDecision] = access.decisions;
      const instance =
        readDecision === 'deny'
          ? undefined
          : await instances.getVisible(id, readDecision.criteria);
      if (!instance) throw new NotFoundError(`No instance '${id}'`);
      from = instance.state;
      // An unconditional allow needs no second look at the row just read.
      if (
        actDecision === 'deny' ||
        (actDecision.criteria &&
          !(await instances.getVisible(id, actDecision.criteria)))
      ) {
        await events.record({
          instanceId: id,
          actor,
          kind: 'denied',
          action,
          fromState: instance.state,
          version: expectedVersion,
          outcome: 'refused',
          message: 'not permitted',
        });
        throw new NotAllowedError(
          `You may see instance ${instance.hostname} but not ${action} it`,
        );
      }
      const result = await actions.run(
        instance,
        action,
        expectedVersion,
        actor,
        { hostId: req.body.hostId },
      );
      await audit.success({
        meta: {
          actor,
          from: instance.state,
          to: result.instance.state,
          version: result.instance.version,
        },
      });
      res.json({
        instance: await view(result.instance),
        ...(result.operationId ? { operationId: result.operationId } : {}),
      });
    } catch (e) {
      const error = e as Error;
      const details =
        e instanceof InstanceActionConflict ||
        e instanceof InstanceActionUnavailable
          ? e.details
          : undefined;
      await audit.fail({
        error,
        meta: {
          actor,
          from,
          ...(details
            ? {
                reason: details.reason,
                state: details.currentState,
                version: details.currentVersion,
              }
            : {}),
        },
      });
      if (details) {
        const statusCode = e instanceof InstanceActionConflict ? 409 : 503;
        // The usual Backstage error body (so ResponseError reads it) plus what the caller needs to retry.
        res.status(statusCode).json({
          error: serializeError(error),
          request: { method: req.method, url: req.originalUrl },
          response: { statusCode },
          ...details,
        });
        return;
      }
      throw e;
    }
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
      {
        applianceId: req.body.applianceId,
        hostname: req.body.hostname,
        idempotencyKey: key ?? null,
      },
      async () => {
        const scope = await create(req);
        const costCenter = options.admitProvisioning
          ? await options.admitProvisioning(scope, req.body.costCenter)
          : req.body.costCenter;
        return provisioning.request(
          { ...req.body, ...(costCenter ? { costCenter } : {}) },
          scope.principalRef,
          key,
        );
      },
    );
    void runner.kick(accepted.operationId);
    res.status(202).json(accepted);
  });
}
