import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { PlacementDecision, instanceEntityRef, placeHost } from '@tempest/backstage-plugin-appliances-common';
import type { AgentClient } from '@tempest/backstage-plugin-appliances-common/agent';
import { ApplianceStore } from '../database/ApplianceStore';
import { Host, HostStore } from '../hosts/HostStore';
import { Instance, InstanceStore } from '../instances/InstanceStore';
import { InstanceEventStore } from '../instances/InstanceEventStore';
import { AgentCallError, agentCall } from './agentCall';
import { ImageLayer, ImageLayers } from './ImageLayers';
import {
  Operation,
  OperationStore,
  PROVISION_STEPS,
  ProvisionStepName,
} from './OperationStore';

/** A step that failed; the message says why in words a user can act on. */
export class StepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StepError';
  }
}

/** Undo could not finish (the host is unreachable); the rollback is retried later. */
class UndoPending extends Error {}

export type ProvisionRunnerOptions = {
  db: Knex;
  hosts: HostStore;
  instances: InstanceStore;
  operations: OperationStore;
  appliances: Pick<ApplianceStore, 'get'>;
  layers: Pick<ImageLayers, 'layersFor'>;
  agents: { forHost(host: { name: string; agentUrl: string }): AgentClient };
  logger: LoggerService;
  auditor: AuditorService;
  leaseMs?: number;
  /** How often download progress is read from the agent. */
  pollMs?: number;
  /** Operations driven at once by this process; the rest wait their turn. */
  concurrency?: number;
  /** The instances' history: provisioning's end lands there too. */
  events?: Pick<InstanceEventStore, 'record'>;
};

const PLACE_ATTEMPTS = 3;

export function diskNameOf(instanceId: string) {
  return `i-${instanceId}`;
}

/**
 * Drives provisioning operations step by step (place → reserve capacity →
 * install and verify image layers → create disk and seed → define → start →
 * publish), recording each in the database so that a restart resumes where
 * it stopped. A failure undoes the done steps in reverse.
 */
export class ProvisionRunner {
  readonly runnerId = randomUUID();
  private readonly running = new Map<string, Promise<void>>();
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private stopped = false;
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly o: ProvisionRunnerOptions) {
    this.leaseMs = o.leaseMs ?? 30_000;
    this.pollMs = o.pollMs ?? 200;
  }

  /** Starts driving an operation in the background unless this process already is. */
  kick(operationId: string): Promise<void> {
    let run = this.running.get(operationId);
    if (!run) {
      run = this.slot()
        .then(release => this.drive(operationId).finally(release))
        .catch(e => this.o.logger.error(`Operation ${operationId} stopped: ${e}`))
        .finally(() => this.running.delete(operationId));
      this.running.set(operationId, run);
    }
    return run;
  }

  /** Waits for a free slot so accepting requests is never starved by running operations. */
  private async slot(): Promise<() => void> {
    const limit = this.o.concurrency ?? 8;
    if (this.active >= limit) await new Promise<void>(resolve => this.waiting.push(resolve));
    this.active++;
    return () => {
      this.active--;
      this.waiting.shift()?.();
    };
  }

  /** Picks up every unfinished operation no live runner holds (at start-up and on a schedule). */
  async resumeOrphaned(): Promise<string[]> {
    const ids = await this.o.operations.listOrphaned();
    for (const id of ids) void this.kick(id);
    return ids;
  }

  /** Waits for the operations this process drives (tests and shutdown). */
  async idle() {
    while (this.running.size) await Promise.all([...this.running.values()]);
  }

  stop() {
    this.stopped = true;
  }

  private async drive(id: string) {
    const { operations } = this.o;
    if (!(await operations.lease(id, this.runnerId, this.leaseMs))) return;
    const renew = setInterval(
      () => void operations.lease(id, this.runnerId, this.leaseMs).catch(() => undefined),
      Math.max(1000, this.leaseMs / 3),
    );
    try {
      let op = (await operations.get(id))!;
      if (op.state === 'pending' || op.state === 'running') {
        if (op.state === 'pending') await operations.setState(id, 'running');
        op = (await operations.get(id))!;
        const failure = await this.forward(op);
        if (!failure) return;
        await operations.setState(id, 'rolling-back', {
          failedStep: failure.step,
          error: `${failure.step} failed: ${failure.message}`,
        });
      }
      await this.rollBack((await operations.get(id))!);
    } catch (e) {
      if (!(e instanceof UndoPending)) throw e;
      this.o.logger.warn(`Rollback of ${id} is waiting: ${e.message}`);
    } finally {
      clearInterval(renew);
      await operations.releaseLease(id, this.runnerId).catch(() => undefined);
    }
  }

  /** Runs the steps not yet done; returns the failure, if any. */
  private async forward(started: Operation): Promise<{ step: ProvisionStepName; message: string } | undefined> {
    const { operations, instances } = this.o;
    let op = started;
    for (let i = 0; i < PROVISION_STEPS.length; i++) {
      const step = op.steps[i];
      if (step.state === 'done') continue;
      if (this.stopped) throw new UndoPending('runner stopped');
      await operations.updateStep(op.id, step.name, { state: 'running', error: null });
      try {
        const instance = (await instances.get(op.instanceId))!;
        const result = await this.runStep(op, step.name, instance);
        if (result === 'replace') {
          // Capacity went to another operation between place and reserve.
          i = -1;
          op = (await operations.get(op.id))!;
          continue;
        }
      } catch (e) {
        const message = e instanceof StepError || e instanceof AgentCallError ? e.message : String(e);
        await operations.updateStep(op.id, step.name, { state: 'failed', error: message });
        this.o.logger.warn(`Operation ${op.id}: ${step.name} failed: ${message}`);
        return { step: step.name, message };
      }
      // Later steps read what place and install-images recorded.
      if (step.name === 'place' || step.name === 'install-images') op = (await operations.get(op.id))!;
    }
    await operations.setState(op.id, 'succeeded');
    return undefined;
  }

  private async runStep(
    op: Operation,
    name: ProvisionStepName,
    instance: Instance,
  ): Promise<'done' | 'replace'> {
    const { operations } = this.o;
    const done = (detail: Record<string, unknown>, trx?: Knex) =>
      operations.updateStep(op.id, name, { state: 'done', progress: 1, detail }, trx);

    switch (name) {
      case 'place': {
        const decision = placeHost(await this.o.hosts.placementHosts(), {
          demand: instance.size,
          maxPricePerHourMinor: instance.maxPricePerHourMinor,
          hostId: instance.requestedHostId,
        });
        if (!decision.chosen) {
          await this.o.instances.recordPlacementFailure(instance.id, decision);
          throw new StepError(describeRejection(decision));
        }
        await done({ decision });
        return 'done';
      }
      case 'reserve-capacity': {
        const decision = op.steps[0].detail!.decision as PlacementDecision;
        const chosen = decision.chosen!;
        const attempts = Number(op.steps[1].detail?.attempts ?? 0) + 1;
        const reserved = await this.o.db.transaction(async trx => {
          if (!(await this.o.hosts.reserve(chosen.hostId, instance.size, trx))) return false;
          await this.o.instances.recordPlacement(instance.id, chosen.hostId, chosen.price, decision, trx);
          await done({ hostId: chosen.hostId, hostName: chosen.hostName, reserved: instance.size }, trx);
          return true;
        });
        if (reserved) return 'done';
        if (attempts >= PLACE_ATTEMPTS) {
          throw new StepError(`${chosen.hostName} filled up before capacity could be reserved (${attempts} tries)`);
        }
        await operations.updateStep(op.id, 'place', { state: 'pending', progress: 0 });
        await operations.updateStep(op.id, 'reserve-capacity', { state: 'pending', detail: { attempts } });
        return 'replace';
      }
      case 'install-images': {
        const { host, agent } = await this.hostOf(instance);
        const appliance = await this.o.appliances.get(instance.applianceId);
        if (!appliance) throw new StepError(`Appliance ${instance.applianceId} is no longer subscribed`);
        let layers: ImageLayer[];
        try {
          layers = await this.o.layers.layersFor(appliance);
        } catch (e) {
          throw new StepError((e as Error).message);
        }
        const installed: Record<string, unknown>[] = [];
        for (let i = 0; i < layers.length; i++) {
          installed.push(await this.installLayer(op.id, agent, host, layers[i], i, layers.length, installed));
        }
        await done({ layers: installed });
        return 'done';
      }
      case 'create-disk': {
        const { agent } = await this.hostOf(instance);
        const appliance = await this.o.appliances.get(instance.applianceId);
        if (!appliance) throw new StepError(`Appliance ${instance.applianceId} is no longer subscribed`);
        const layers = op.steps[2].detail!.layers as { kind: string; name: string }[];
        const domainName = diskNameOf(instance.id);
        const applianceImage = layers.find(l => l.kind === 'appliance')!.name;
        try {
          await agentCall(
            'create disk',
            agent.POST('/v1/disks', {
              body: {
                name: domainName,
                appliance: applianceImage,
                sizeGiB: Math.max(1, Math.ceil(instance.size.storageMb / 1024)),
                seed: { hostname: instance.hostname },
              },
            }),
          );
        } catch (e) {
          if (!(e instanceof AgentCallError && e.code === 'DISK_EXISTS')) throw e;
          // Resumed after a crash: adopt the disk only if it is this instance's.
          const { data: disk } = await agentCall('read disk', agent.GET('/v1/disks/{name}', { params: { path: { name: domainName } } }));
          if (disk.appliance.name !== applianceImage) {
            throw new StepError(`A disk named ${name} already exists on the host and is not this instance's`);
          }
        }
        await done({ disk: domainName, seed: { hostname: instance.hostname } });
        return 'done';
      }
      case 'define': {
        const { agent } = await this.hostOf(instance);
        const domainName = diskNameOf(instance.id);
        try {
          await agentCall(
            'define domain',
            agent.PUT('/v1/domains/{name}', {
              params: { path: { name: domainName } },
              body: { vcpus: instance.size.cpuCores, memoryMiB: instance.size.memoryMb, disk: domainName },
            }),
          );
        } catch (e) {
          if (!(e instanceof AgentCallError && e.code === 'DOMAIN_EXISTS')) throw e;
          // Resumed after a crash: adopt the domain only if it is this instance's.
          const { data: domain } = await agentCall('read domain', agent.GET('/v1/domains/{name}', { params: { path: { name: domainName } } }));
          if (
            domain.spec.disk !== domainName ||
            domain.spec.vcpus !== instance.size.cpuCores ||
            domain.spec.memoryMiB !== instance.size.memoryMb
          ) {
            throw new StepError(`A domain named ${name} already exists on the host and is not this instance's`);
          }
        }
        await this.o.instances.setDomain(instance.id, domainName);
        await done({ domain: domainName });
        return 'done';
      }
      case 'start': {
        const { agent } = await this.hostOf(instance);
        const domainName = diskNameOf(instance.id);
        const { data: current } = await agentCall(
          'domain state',
          agent.GET('/v1/domains/{name}/state', { params: { path: { name: domainName } } }),
        );
        let state = current.state;
        if (state !== 'running') {
          state = (
            await agentCall('start domain', agent.POST('/v1/domains/{name}/start', { params: { path: { name: domainName } } }))
          ).data.state;
        }
        if (state !== 'running') throw new StepError(`The domain is ${state} after starting`);
        await done({ domain: domainName, state });
        return 'done';
      }
      case 'publish': {
        await this.o.db.transaction(async trx => {
          await this.o.instances.transition(instance.id, 'started', { trx });
          await done({ entityRef: instanceEntityRef(instance.hostname) }, trx);
          await this.o.events?.record(
            { instanceId: instance.id, actor: op.requestedBy, kind: 'provision', fromState: 'provisioning', toState: 'started', version: instance.version + 1, outcome: 'succeeded' },
            trx,
          );
        });
        const event = await this.o.auditor.createEvent({
          eventId: 'instance-provisioned',
          severityLevel: 'medium',
          meta: { instanceId: instance.id, operationId: op.id, hostId: instance.hostId ?? null },
        });
        await event.success();
        return 'done';
      }
      default:
        throw new StepError(`Unknown step ${name}`);
    }
  }

  private async installLayer(
    operationId: string,
    agent: AgentClient,
    host: Host,
    layer: ImageLayer,
    index: number,
    count: number,
    installed: Record<string, unknown>[],
  ): Promise<Record<string, unknown>> {
    const what = `install ${layer.kind} image ${layer.name} ${layer.request.version}`;
    const report = (progress: number, download?: Record<string, unknown>) =>
      this.o.operations.updateStep(operationId, 'install-images', {
        progress: (index + progress) / count,
        detail: { layers: installed, current: { kind: layer.kind, name: layer.name, version: layer.request.version, ...download } },
      });
    let downloadId: string | undefined;
    try {
      const { data, status } = await agentCall(
        what,
        agent.PUT('/v1/images/{kind}/{name}', {
          params: { path: { kind: layer.kind, name: layer.name } },
          body: layer.request,
        }),
      );
      if (status === 202) downloadId = (data as { id: string }).id;
    } catch (e) {
      if (!(e instanceof AgentCallError && e.code === 'DOWNLOAD_IN_PROGRESS')) throw e;
      const { data } = await agentCall('list downloads', agent.GET('/v1/downloads'));
      downloadId = [...data.items]
        .reverse()
        .find(d => d.kind === layer.kind && d.name === layer.name && d.version === layer.request.version)?.id;
      if (!downloadId) throw e;
    }
    let download: Record<string, unknown> | undefined;
    while (downloadId) {
      const { data } = await agentCall(
        'download progress',
        agent.GET('/v1/downloads/{id}', { params: { path: { id: downloadId } } }),
      );
      download = {
        downloadState: data.state,
        receivedBytes: data.receivedBytes,
        totalBytes: data.totalBytes,
        speedBytesPerSecond: data.speedBytesPerSecond,
      };
      if (data.state === 'done') break;
      if (data.state === 'failed' || data.state === 'cancelled') {
        throw new StepError(
          `${what}: ${data.error?.code ?? data.state}: ${data.error?.message ?? 'download did not install'}`,
        );
      }
      await report(data.progress ?? 0, download);
      await new Promise(r => setTimeout(r, this.pollMs));
      await this.assertHostUsable(host.id);
    }
    const { data: check } = await agentCall(
      `verify ${layer.kind} image ${layer.name}`,
      agent.POST('/v1/images/{kind}/{name}/check', { params: { path: { kind: layer.kind, name: layer.name } } }),
    );
    if (!check.installed || check.intact === false) {
      throw new StepError(`${layer.kind} image ${layer.name} did not verify after installing`);
    }
    await report(1, download);
    return { kind: layer.kind, name: layer.name, version: check.version ?? layer.request.version, verified: true, ...download };
  }

  private async assertHostUsable(hostId: string): Promise<Host> {
    const host = await this.o.hosts.get(hostId);
    if (!host) throw new StepError(`Host ${hostId} no longer exists`);
    if (host.state !== 'online') throw new StepError(`Host ${host.name} went ${host.state}`);
    return host;
  }

  private async hostOf(instance: Instance): Promise<{ host: Host; agent: AgentClient }> {
    const host = await this.assertHostUsable(instance.hostId!);
    return { host, agent: this.o.agents.forHost(host) };
  }

  /** Undoes every done (or failed) step, last first, then marks the instance and operation failed. */
  private async rollBack(op: Operation) {
    const { operations, instances } = this.o;
    const instance = (await instances.get(op.instanceId))!;
    for (const step of [...op.steps].reverse()) {
      // Agent calls either happen or not, so a failed step left nothing behind,
      // except a start that failed after the domain (defined by an earlier step) began to run.
      if (step.state !== 'done' && !(step.state === 'failed' && step.name === 'start')) continue;
      try {
        await this.undoStep(step.name, instance);
      } catch (e) {
        const message = `undo of ${step.name} failed: ${(e as Error).message}`;
        await operations.updateStep(op.id, step.name, { error: message });
        throw new UndoPending(message);
      }
      if (step.state === 'done') await operations.updateStep(op.id, step.name, { state: 'undone' });
    }
    const error = op.error ?? 'provisioning failed';
    await instances.transition(instance.id, 'error', { error, releaseHostname: true });
    await this.o.events?.record({
      instanceId: instance.id,
      actor: op.requestedBy,
      kind: 'provision',
      fromState: instance.state,
      toState: 'error',
      version: instance.version + 1,
      outcome: 'failed',
      message: error,
    });
    await operations.setState(op.id, 'failed');
    const event = await this.o.auditor.createEvent({
      eventId: 'instance-provision-rolled-back',
      severityLevel: 'medium',
      meta: { instanceId: instance.id, operationId: op.id, failedStep: op.failedStep ?? null },
    });
    await event.fail({ error: new Error(error) });
  }

  private async undoStep(name: ProvisionStepName, instance: Instance) {
    const agentOf = async () => {
      const host = await this.o.hosts.get(instance.hostId!);
      if (!host) return undefined;
      return this.o.agents.forHost(host);
    };
    const ignoring = async (codes: string[], call: () => Promise<unknown>) => {
      try {
        await call();
      } catch (e) {
        if (!(e instanceof AgentCallError && codes.includes(e.code))) throw e;
      }
    };
    const domain = diskNameOf(instance.id);
    switch (name) {
      case 'start':
      case 'define': {
        const agent = await agentOf();
        if (!agent) return;
        await ignoring(['UNKNOWN_DOMAIN', 'DOMAIN_STATE_CONFLICT', 'HTTP_404'], () =>
          agentCall('destroy domain', agent.POST('/v1/domains/{name}/destroy', { params: { path: { name: domain } } })),
        );
        if (name === 'define') {
          await ignoring(['UNKNOWN_DOMAIN', 'HTTP_404'], () =>
            agentCall('undefine domain', agent.DELETE('/v1/domains/{name}', { params: { path: { name: domain } } })),
          );
        }
        return;
      }
      case 'create-disk': {
        const agent = await agentOf();
        if (!agent) return;
        await ignoring(['UNKNOWN_DISK', 'HTTP_404'], () =>
          agentCall('remove disk', agent.DELETE('/v1/disks/{name}', { params: { path: { name: domain } } })),
        );
        return;
      }
      case 'reserve-capacity':
        await this.o.hosts.release(instance.hostId!, instance.size);
        return;
      // Installed images are shared layers other instances use; placing does nothing to undo; publish is last.
      default:
        return;
    }
  }
}

function describeRejection(decision: PlacementDecision): string {
  const reasons = decision.rejected
    .slice(0, 5)
    .map(r => `${r.hostName}: ${r.detail}`)
    .join('; ');
  return reasons ? `${decision.summary} — ${reasons}` : decision.summary;
}
