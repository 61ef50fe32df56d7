import {
  PlacementDecision,
  instanceEntityRef,
  placeHost,
} from '@tempest/backstage-plugin-appliances-common';
import { Knex } from 'knex';
import { Instance } from '../instances/InstanceStore';
import { agentCall } from './agentCall';
import { diskNameOf } from './diskNameOf';
import { defineDomain } from './defineDomain';
import { installImages } from './installImages';
import { Operation, ProvisionStepName } from './OperationStore';
import { ProvisionRunnerOptions } from './ProvisionRunnerOptions';
import { StepError } from './StepError';
import { usableHostOf } from './usableHostOf';
import { awaitAddresses } from './awaitAddresses';
import { createInstanceDisk } from './createInstanceDisk';
import { hostsTried, powerOnHost } from './powerOnHost';

const PLACE_ATTEMPTS = 3;

const stepOf = (op: Operation, name: ProvisionStepName) =>
  op.steps.find(s => s.name === name)!;

/**
 * Runs one provisioning step and records it done. 'replace' means the capacity
 * went to another operation between place and reserve, so placing starts over.
 */
export async function runProvisionStep(
  o: ProvisionRunnerOptions,
  pollMs: number,
  op: Operation,
  name: ProvisionStepName,
  instance: Instance,
): Promise<'done' | 'replace'> {
  const { operations } = o;
  const done = (detail: Record<string, unknown>, trx?: Knex) =>
    operations.updateStep(
      op.id,
      name,
      { state: 'done', progress: 1, detail },
      trx,
    );

  switch (name) {
    case 'place': {
      const decision = placeHost(await o.hosts.placementHosts(), {
        demand: instance.size,
        maxPricePerHourMinor: instance.maxPricePerHourMinor,
        hostId: instance.requestedHostId,
        currency: o.currency,
        excludeHostIds: hostsTried(op),
      });
      if (!decision.chosen) {
        await o.instances.recordPlacementFailure(instance.id, decision);
        throw new StepError(decision.summary);
      }
      await done({ decision });
      return 'done';
    }
    case 'reserve-capacity': {
      const decision = stepOf(op, 'place').detail!
        .decision as PlacementDecision;
      const chosen = decision.chosen!;
      const attempts =
        Number(stepOf(op, 'reserve-capacity').detail?.attempts ?? 0) + 1;
      const reserved = await o.db.transaction(async trx => {
        if (!(await o.hosts.reserve(chosen.hostId, instance.size, trx)))
          return false;
        await o.instances.recordPlacement(
          instance.id,
          chosen.hostId,
          chosen.price,
          decision,
          trx,
        );
        await done(
          {
            hostId: chosen.hostId,
            hostName: chosen.hostName,
            reserved: instance.size,
          },
          trx,
        );
        return true;
      });
      if (reserved) return 'done';
      if (attempts >= PLACE_ATTEMPTS) {
        throw new StepError(
          `${chosen.hostName} filled up before capacity could be reserved (${attempts} tries)`,
        );
      }
      await operations.updateStep(op.id, 'place', {
        state: 'pending',
        progress: 0,
      });
      await operations.updateStep(op.id, 'reserve-capacity', {
        state: 'pending',
        detail: { attempts },
      });
      return 'replace';
    }
    case 'power-on':
      return powerOnHost(o, pollMs, op, instance);
    case 'install-images': {
      const { host, agent } = await usableHostOf(o, instance);
      const layers = await installImages(
        o,
        pollMs,
        op.id,
        host,
        agent,
        instance,
      );
      await done({ layers });
      return 'done';
    }
    case 'create-disk':
      await createInstanceDisk(o, op, instance);
      return 'done';
    case 'define': {
      const { host, agent } = await usableHostOf(o, instance);
      const { domain, network } = await defineDomain(host, agent, instance);
      await o.instances.setDomain(instance.id, domain, network);
      await done({ domain, network, mac: instance.mac });
      return 'done';
    }
    case 'start': {
      const { agent } = await usableHostOf(o, instance);
      const domainName = diskNameOf(instance.id);
      const { data: current } = await agentCall(
        'domain state',
        agent.GET('/v1/domains/{name}/state', {
          params: { path: { name: domainName } },
        }),
      );
      let state = current.state;
      if (state !== 'running') {
        state = (
          await agentCall(
            'start domain',
            agent.POST('/v1/domains/{name}/start', {
              params: { path: { name: domainName } },
            }),
          )
        ).data.state;
      }
      if (state !== 'running')
        throw new StepError(`The domain is ${state} after starting`);
      const addresses = await awaitAddresses(o, pollMs, op, agent, instance);
      await done({ domain: domainName, state, addresses });
      return 'done';
    }
    case 'publish': {
      await o.db.transaction(async trx => {
        await o.instances.transition(instance.id, 'started', { trx });
        await done({ entityRef: instanceEntityRef(instance.hostname) }, trx);
        await o.events?.record(
          {
            instanceId: instance.id,
            actor: op.requestedBy,
            kind: 'provision',
            fromState: 'provisioning',
            toState: 'started',
            version: instance.version + 1,
            outcome: 'succeeded',
          },
          trx,
        );
      });
      const event = await o.auditor.createEvent({
        eventId: 'instance-provisioned',
        severityLevel: 'medium',
        meta: {
          instanceId: instance.id,
          operationId: op.id,
          hostId: instance.hostId ?? null,
        },
      });
      await event.success();
      return 'done';
    }
    default:
      throw new StepError(`Unknown step ${name}`);
  }
}
