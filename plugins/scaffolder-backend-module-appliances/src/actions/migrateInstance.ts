import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  AppliancesApiComponents,
  allowedActions,
  isInstanceState,
} from '@tempest/backstage-plugin-appliances-common';
import { AppliancesApiDeps, callAppliances } from './appliancesApi';
import { ActionError } from './actionError';
import { hostOf } from './hostOf';
import { findInstance } from './instanceAction';
import { examples } from './migrateInstance.examples';

type Instance = AppliancesApiComponents['schemas']['Instance'];
type Operation = AppliancesApiComponents['schemas']['Operation'];
type ActionResult = AppliancesApiComponents['schemas']['InstanceActionResult'];
type MigrationTargets = AppliancesApiComponents['schemas']['MigrationTargets'];

const MiB = 1048576;

/** A migrate step for the task log: the transfer with its share and speed, the others with their state. */
function describeStep(step: Operation['steps'][number]): string {
  const detail = (step.detail ?? {}) as Record<string, any>;
  if (
    step.name === 'transfer' &&
    step.state === 'running' &&
    detail.bytesDone !== undefined
  ) {
    const total = detail.bytesTotal
      ? ` of ${(detail.bytesTotal / MiB).toFixed(1)}`
      : '';
    const speed = detail.speedBytesPerSecond
      ? `, ${(detail.speedBytesPerSecond / MiB).toFixed(1)} MiB/s`
      : '';
    return `transfer: pulling the disk from ${detail.from}: ${(detail.bytesDone / MiB).toFixed(1)}${total} MiB (${Math.round(step.progress * 100)}%)${speed}`;
  }
  return `${step.name}: ${step.state}${step.error ? ` (${step.error})` : ''}`;
}

/**
 * `appliances:instance:migrate`: moves an instance to another host of its
 * provider (a running one live, a stopped or stored one with its disk) (the one given, or Tempest's choice), as the
 * user who started the task, at the version it reads (or the one given);
 * waits for the move and outputs the new host. The request is made once per
 * instance and version (a checkpoint), so a retried task never moves twice.
 */
export function createMigrateInstanceAction(
  deps: AppliancesApiDeps & { pollMs?: number },
) {
  return createTemplateAction({
    id: 'appliances:instance:migrate',
    description:
      'Moves an appliance instance to another host of the same provider and waits until it is there: a running one live (it keeps running), a stopped or stored one with its disk',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        instance: z =>
          z
            .string({
              description:
                'Instance entity ref (resource:default/web-1), name or id',
            })
            .min(1),
        host: z =>
          z
            .string({
              description:
                "The host to move to: its entity ref (resource:default/<name>.host), name or id; without it Tempest picks the best-fitting host of the instance's provider",
            })
            .optional(),
        expectedVersion: z =>
          z
            .number({
              description: 'The version the user saw; default the current one',
            })
            .int()
            .min(1)
            .optional(),
        timeoutSeconds: z =>
          z
            .number({ description: 'How long to wait for the move' })
            .int()
            .min(1)
            .default(1800),
      },
      output: {
        instanceId: z => z.string(),
        entityRef: z => z.string(),
        operationId: z => z.string(),
        hostName: z =>
          z.string({ description: 'The host the instance is on now' }),
        state: z => z.string({ description: 'The state it kept' }),
      },
    },
    async handler(ctx) {
      const instance = await findInstance(deps, ctx, ctx.input.instance);
      const allowed = isInstanceState(instance.state)
        ? allowedActions(instance.state)
        : [];
      if (!allowed.includes('migrate')) {
        throw new ActionError(
          `Cannot move ${instance.hostname}: it is ${instance.state}, and only running, stopped or stored instances move; allowed now: ${allowed.join(', ') || 'nothing'}`,
        );
      }
      const asked = ctx.input.host?.trim()
        ? hostOf(ctx.input.host.trim())
        : undefined;
      const expectedVersion = ctx.input.expectedVersion ?? instance.version;
      const targets = await callAppliances<MigrationTargets>(
        deps,
        ctx,
        'GET',
        `/instances/${encodeURIComponent(instance.id)}/migration-targets`,
      );
      const target = asked
        ? targets.items.find(t => t.hostId === asked || t.hostName === asked)
        : targets.items.find(t => t.recommended);
      if (!target?.fits)
        throw new ActionError(
          target
            ? `Cannot move ${instance.hostname}: ${target.detail}`
            : `Cannot move ${instance.hostname}: ${asked ? `host ${asked} is not one it may move to` : targets.summary}`,
        );
      const hostId = asked ? target.hostId : undefined;

      if (ctx.isDryRun) {
        ctx.logger.info(
          `Would move ${instance.hostname} (${instance.state}, version ${expectedVersion}) from ${instance.hostName} to ${target.hostName}`,
        );
        ctx.output('instanceId', instance.id);
        ctx.output('entityRef', instance.entityRef);
        ctx.output('operationId', 'dry-run');
        ctx.output('hostName', target.hostName);
        ctx.output('state', instance.state);
        return;
      }

      // A retried task must not move twice: the answer is kept under the version it acted on.
      const result = await ctx.checkpoint<ActionResult>({
        key: `appliances-instance-migrate-${instance.id}-${expectedVersion}`,
        fn: () =>
          callAppliances<ActionResult>(
            deps,
            ctx,
            'POST',
            `/instances/${encodeURIComponent(instance.id)}/actions`,
            {
              body: {
                action: 'migrate',
                expectedVersion,
                ...(hostId ? { hostId } : {}),
              },
            },
          ),
      });
      const operationId = result.operationId;
      if (!operationId)
        throw new ActionError(
          `The backend accepted the move of ${instance.hostname} but named no operation to follow`,
        );
      ctx.logger.info(
        `Moving ${instance.hostname} from ${instance.hostName}: operation ${operationId}`,
      );

      const deadline = Date.now() + ctx.input.timeoutSeconds * 1000;
      const seen = new Map<string, string>();
      let operation: Operation;
      for (;;) {
        operation = await callAppliances<Operation>(
          deps,
          ctx,
          'GET',
          `/operations/${encodeURIComponent(operationId)}`,
        );
        for (const step of operation.steps) {
          const line = describeStep(step);
          if (step.state !== 'pending' && seen.get(step.name) !== line) {
            seen.set(step.name, line);
            ctx.logger.info(line);
          }
        }
        if (operation.state === 'succeeded' || operation.state === 'failed')
          break;
        if (ctx.signal?.aborted)
          throw new ActionError(
            `Cancelled while moving ${instance.hostname}; the move goes on in Tempest (see /appliances/operations/${operationId})`,
          );
        if (Date.now() > deadline)
          throw new ActionError(
            `${instance.hostname} is still moving after ${ctx.input.timeoutSeconds} seconds; follow it at /appliances/operations/${operationId}`,
          );
        await new Promise(r => setTimeout(r, deps.pollMs ?? 1000));
      }

      const moved = await callAppliances<Instance>(
        deps,
        ctx,
        'GET',
        `/instances/${encodeURIComponent(instance.id)}`,
      );
      if (operation.state === 'failed')
        throw new ActionError(
          `Moving ${instance.hostname} failed${operation.failedStep ? ` at ${operation.failedStep}` : ''} and was reverted; it stays ${moved.state} on ${moved.hostName ?? instance.hostName}: ${operation.error ?? 'no reason was recorded'}`,
        );
      ctx.logger.info(
        `${moved.hostname} is ${moved.state} on ${moved.hostName} now`,
      );
      ctx.output('instanceId', moved.id);
      ctx.output('entityRef', moved.entityRef);
      ctx.output('operationId', operationId);
      ctx.output('hostName', moved.hostName ?? '');
      ctx.output('state', moved.state);
    },
  });
}
