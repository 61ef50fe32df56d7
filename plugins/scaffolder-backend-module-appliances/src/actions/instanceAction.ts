import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  AppliancesApiComponents,
  InstanceAction,
  allowedActions,
  isInstanceState,
} from '@tempest/backstage-plugin-appliances-common';
import { AppliancesApiDeps, callAppliances } from './appliancesApi';
import { ActionError } from './actionError';
import { examples } from './instanceAction.examples';

type Instance = AppliancesApiComponents['schemas']['Instance'];
type ActionResult = AppliancesApiComponents['schemas']['InstanceActionResult'];

/** The actions this action runs; a move has its own, appliances:instance:migrate, which waits for it. */
export const USER_ACTIONS = [
  'start',
  'stop',
  'suspend',
  'resume',
  'delete',
  'retry',
] as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An instance id, or an entity ref / name (`resource:default/web-1`, `web-1`) → the live instance the user may see. */
export async function findInstance(
  deps: AppliancesApiDeps,
  ctx: Parameters<typeof callAppliances>[1],
  instance: string,
): Promise<Instance> {
  const value = instance.trim();
  if (UUID.test(value)) {
    return callAppliances<Instance>(
      deps,
      ctx,
      'GET',
      `/instances/${encodeURIComponent(value)}`,
    );
  }
  const name = value.replace(/^(?:resource:)?(?:[^/]+\/)?/i, '');
  const page = await callAppliances<{ items: Instance[] }>(
    deps,
    ctx,
    'GET',
    `/instances?limit=1&hostname=${encodeURIComponent(name)}`,
  );
  if (!page.items.length)
    throw new ActionError(`No instance '${name}' that you may see`);
  return page.items[0];
}

/**
 * `appliances:instance:action`: runs start, stop, suspend, resume, delete or
 * retry on an instance as the user who started the task, at the version it
 * reads (or the one given), and outputs the state it ends in.
 */
export function createInstanceActionAction(deps: AppliancesApiDeps) {
  return createTemplateAction({
    id: 'appliances:instance:action',
    description:
      'Starts, stops, suspends, resumes, deletes or retries an appliance instance through its host agent',
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
        action: z => z.enum(USER_ACTIONS, { description: 'What to do' }),
        expectedVersion: z =>
          z
            .number({
              description: 'The version the user saw; default the current one',
            })
            .int()
            .min(1)
            .optional(),
      },
      output: {
        instanceId: z => z.string(),
        entityRef: z => z.string(),
        state: z => z.string({ description: 'The state after the action' }),
        version: z => z.number(),
        operationId: z =>
          z
            .string({
              description: 'The provisioning operation a retry set going',
            })
            .optional(),
      },
    },
    async handler(ctx) {
      const { action } = ctx.input;
      const instance = await findInstance(deps, ctx, ctx.input.instance);
      const allowed = isInstanceState(instance.state)
        ? allowedActions(instance.state)
        : [];
      if (!allowed.includes(action as InstanceAction)) {
        const here = allowed.filter(a =>
          (USER_ACTIONS as readonly string[]).includes(a),
        );
        const move = allowed.includes('migrate')
          ? '; to move it, use appliances:instance:migrate'
          : '';
        throw new ActionError(
          `Cannot ${action} ${instance.hostname}: it is ${instance.state}; allowed now: ${here.join(', ') || 'nothing'}${move}`,
        );
      }
      const expectedVersion = ctx.input.expectedVersion ?? instance.version;
      if (ctx.isDryRun) {
        ctx.logger.info(
          `Would ${action} ${instance.hostname} (${instance.state}, version ${expectedVersion})`,
        );
        ctx.output('instanceId', instance.id);
        ctx.output('entityRef', instance.entityRef);
        ctx.output('state', instance.state);
        ctx.output('version', instance.version);
        return;
      }
      // A retried task must not repeat the action: the answer is kept under the version it acted on.
      const result = await ctx.checkpoint<ActionResult>({
        key: `appliances-instance-action-${instance.id}-${action}-${expectedVersion}`,
        fn: () =>
          callAppliances<ActionResult>(
            deps,
            ctx,
            'POST',
            `/instances/${encodeURIComponent(instance.id)}/actions`,
            {
              body: { action, expectedVersion },
            },
          ),
      });
      ctx.logger.info(
        `${instance.hostname}: ${action} done; it is now ${result.instance.state}`,
      );
      ctx.output('instanceId', result.instance.id);
      ctx.output('entityRef', result.instance.entityRef);
      ctx.output('state', result.instance.state);
      ctx.output('version', result.instance.version);
      if (result.operationId) ctx.output('operationId', result.operationId);
    },
  });
}
