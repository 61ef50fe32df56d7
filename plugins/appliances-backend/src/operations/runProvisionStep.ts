import {
  PlacementDecision,
  instanceEntityRef,
  placeHost,
} from '@tempest/backstage-plugin-appliances-common';
import { Knex } from 'knex';
import { Instance } from '../instances/InstanceStore';
import { AgentCallError, agentCall } from './agentCall';
import { diskNameOf } from './diskNameOf';
import { ImageLayer } from './ImageLayers';
import { installLayer } from './installLayer';
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
      const appliance = await o.appliances.get(instance.applianceId);
      if (!appliance)
        throw new StepError(
          `Appliance ${instance.applianceId} is no longer subscribed`,
        );
      let layers: ImageLayer[];
      try {
        layers = await o.layers.layersFor(appliance);
      } catch (e) {
        throw new StepError((e as Error).message);
      }
      const installed: Record<string, unknown>[] = [];
      for (let i = 0; i < layers.length; i++) {
        installed.push(
          await installLayer(
            o,
            pollMs,
            op.id,
            agent,
            host,
            layers[i],
            i,
            layers.length,
            installed,
          ),
        );
      }
      await done({ layers: installed });
      return 'done';
    }
    case 'create-disk':
      await createInstanceDisk(o, op, instance);
      return 'done';
    case 'define': {
      const { host, agent } = await usableHostOf(o, instance);
      const domainName = diskNameOf(instance.id);
      if (!instance.mac)
        throw new StepError(
          `Instance ${instance.hostname} has no MAC address; it was requested before instances had networks`,
        );
      // The host's first network is its default (agent config `networks`).
      const { data: info } = await agentCall(
        'read host info',
        agent.GET('/v1/info'),
      );
      const network = instance.network ?? info.networks?.[0]?.name;
      if (!network)
        throw new StepError(
          `${host.name} offers no network to attach ${instance.hostname} to; its agent configuration needs a networks entry`,
        );
      const nics = [{ network, mac: instance.mac }];
      try {
        await agentCall(
          'define domain',
          agent.PUT('/v1/domains/{name}', {
            params: { path: { name: domainName } },
            body: {
              vcpus: instance.size.cpuCores,
              memoryMiB: instance.size.memoryMb,
              disk: domainName,
              nics,
            },
          }),
        );
      } catch (e) {
        if (!(e instanceof AgentCallError && e.code === 'DOMAIN_EXISTS'))
          throw e;
        // Resumed after a crash: adopt the domain only if it is this instance's.
        const { data: domain } = await agentCall(
          'read domain',
          agent.GET('/v1/domains/{name}', {
            params: { path: { name: domainName } },
          }),
        );
        if (
          domain.spec.disk !== domainName ||
          domain.spec.vcpus !== instance.size.cpuCores ||
          domain.spec.memoryMiB !== instance.size.memoryMb ||
          domain.spec.nics?.[0]?.mac !== instance.mac
        ) {
          throw new StepError(
            `A domain named ${domainName} already exists on the host and is not this instance's`,
          );
        }
      }
      await o.instances.setDomain(instance.id, domainName, network);
      await done({ domain: domainName, network, mac: instance.mac });
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
