import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { AppliancesApiComponents } from '@tempest/backstage-plugin-appliances-common';
import { AppliancesApiDeps, callAppliances } from './appliancesApi';
import { ActionError } from './actionError';
import { examples } from './hostPower.examples';

type Host = AppliancesApiComponents['schemas']['Host'];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A host id, or its entity ref / name (`resource:default/rack1.host`, `rack1`) → the host the user may see. */
export async function findHost(
  deps: AppliancesApiDeps,
  ctx: Parameters<typeof callAppliances>[1],
  host: string,
): Promise<Host> {
  const value = host.trim();
  if (UUID.test(value))
    return callAppliances<Host>(
      deps,
      ctx,
      'GET',
      `/hosts/${encodeURIComponent(value)}`,
    );
  const name = value
    .replace(/^(?:resource:)?(?:[^/]+\/)?/i, '')
    .replace(/\.host$/, '');
  const { items } = await callAppliances<{ items: Host[] }>(
    deps,
    ctx,
    'GET',
    '/hosts',
  );
  const found = items.find(h => h.name === name);
  if (!found) throw new ActionError(`No host '${name}' that you provide`);
  return found;
}

/**
 * `appliances:host:power`: powers a host on, off or cycles it through its
 * BMC as the user who started the task (their own hosts; admins all), and
 * outputs the power state it ends in.
 */
export function createHostPowerAction(deps: AppliancesApiDeps) {
  return createTemplateAction({
    id: 'appliances:host:power',
    description:
      'Powers a virtualization host on, off (soft, then hard) or cycles it through its BMC; off and cycle of a host with running instances need force, and stop them cleanly first',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        host: z =>
          z
            .string({
              description:
                'Host entity ref (resource:default/rack1.host), name or id',
            })
            .min(1),
        action: z =>
          z.enum(['on', 'off', 'cycle'], { description: 'What to do' }),
        force: z =>
          z
            .boolean({
              description: 'Stop the instances on it first (off and cycle)',
            })
            .optional(),
      },
      output: {
        hostId: z => z.string(),
        hostName: z => z.string(),
        power: z => z.string({ description: 'on, off or unknown afterwards' }),
      },
    },
    async handler(ctx) {
      const { action, force = false } = ctx.input;
      const host = await findHost(deps, ctx, ctx.input.host);
      if (!host.bmc?.hasCredentials)
        throw new ActionError(
          `${host.name} has no BMC address and credentials; register them to power it`,
        );
      if (ctx.isDryRun) {
        ctx.logger.info(
          `Would power ${action} ${host.name} (now ${host.power.state})`,
        );
        ctx.output('hostId', host.id);
        ctx.output('hostName', host.name);
        ctx.output('power', host.power.state);
        return;
      }
      // A retried task must not power the host again.
      const after = await ctx.checkpoint<Host>({
        key: `appliances-host-power-${host.id}-${action}`,
        fn: () =>
          callAppliances<Host>(
            deps,
            ctx,
            'POST',
            `/hosts/${encodeURIComponent(host.id)}/power`,
            { body: { action, force } },
          ),
      });
      ctx.logger.info(
        `${host.name}: power ${action} done; power is now ${after.power.state}`,
      );
      ctx.output('hostId', after.id);
      ctx.output('hostName', after.name);
      ctx.output('power', after.power.state);
    },
  });
}
