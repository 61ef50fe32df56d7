import { AuditorService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import {
  hostPowerPermission,
  hostReadPermission,
} from '@tempest/backstage-plugin-appliances-common';
import { HostStore } from '../hosts/HostStore';
import type { Power } from '../power/createPower';
import { audited } from './audited';
import {
  CallerScope,
  CallerScopeDeps,
  assertOwns,
  callerScope,
} from './callerScope';
import { AppliancesRouter } from './types';

export type HostPowerRoutesOptions = CallerScopeDeps & {
  auditor: AuditorService;
  hosts: HostStore;
  power: Power;
};

/** GET and POST /hosts/:id/power: state, readings and decisions; on, off, cycle. */
export function addHostPowerRoutes(
  router: AppliancesRouter,
  options: HostPowerRoutesOptions,
) {
  const { hosts, power } = options;

  async function ownedHost(scope: CallerScope, id: string) {
    const host = await hosts.get(id);
    if (!host) throw new NotFoundError(`No host '${id}'`);
    assertOwns(scope, host.owner, `host '${id}'`);
    return host;
  }

  router.get('/hosts/:id/power', async (req, res) => {
    const scope = await callerScope(
      options,
      req,
      hostReadPermission,
      'Not allowed to read hosts',
    );
    const host = await ownedHost(scope, req.params.id);
    const hours = Number(req.query.hours ?? 24);
    const now = new Date();
    res.json({
      power: host.power,
      readings: await power.store.readings(
        host.id,
        new Date(now.getTime() - hours * 3_600_000),
      ),
      decisions: await power.store.decisions({ hostIds: [host.id], limit: 50 }),
      energySavedKwh: await power.store.energySavedKwh(host.id, now),
    });
  });

  router.post('/hosts/:id/power', async (req, res) => {
    const { id } = req.params;
    const { action, force = false } = req.body;
    const host = await audited(
      options.auditor,
      req,
      'host-power',
      { hostId: id, action, force },
      async () => {
        const scope = await callerScope(
          options,
          req,
          hostPowerPermission,
          'Not allowed to power hosts',
          ['user'],
        );
        await ownedHost(scope, id);
        return power.power.act(id, action, {
          actor: scope.principalRef,
          reason: `Requested by ${scope.principalRef}${force ? ' (forced)' : ''}`,
          force,
        });
      },
    );
    res.json(host);
  });
}
