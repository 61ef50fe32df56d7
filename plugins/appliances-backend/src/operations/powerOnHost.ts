import { Instance } from '../instances/InstanceStore';
import { Operation } from './OperationStore';
import { ProvisionRunnerOptions } from './ProvisionRunnerOptions';
import { StepError } from './StepError';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** The hosts an operation powered on that never came up: placement passes them by. */
export function hostsTried(op: Operation): string[] {
  const detail = op.steps.find(s => s.name === 'power-on')?.detail;
  return Array.isArray(detail?.tried) ? (detail!.tried as string[]) : [];
}

/**
 * The power-on step: when placement chose a powered-off host, power it on
 * over its BMC and wait (bounded) for its agent's first heartbeat since.
 * A host that does not come up gives its reservation back and placement
 * tries the next candidate ('replace'); with none left, placing fails with
 * the reason.
 */
export async function powerOnHost(
  o: ProvisionRunnerOptions,
  pollMs: number,
  op: Operation,
  instance: Instance,
): Promise<'done' | 'replace'> {
  const { operations } = o;
  const host = await o.hosts.get(instance.hostId!);
  if (!host) throw new StepError(`Host ${instance.hostId} no longer exists`);
  const tried = hostsTried(op);
  if (host.power.state !== 'off' && host.state === 'online') {
    await operations.updateStep(op.id, 'power-on', {
      state: 'done',
      progress: 1,
      detail: { hostName: host.name, poweredOn: false, tried },
    });
    return 'done';
  }
  if (!o.power)
    throw new StepError(
      `${host.name} is ${host.power.state === 'off' ? 'powered off' : host.state} and this backend cannot power hosts on`,
    );

  const giveUp = async (why: string): Promise<'replace'> => {
    o.logger.warn(`Operation ${op.id}: ${why}; trying the next host`);
    await o.db.transaction(async trx => {
      await o.hosts.release(host.id, instance.size, trx);
      await operations.updateStep(
        op.id,
        'place',
        { state: 'pending', progress: 0 },
        trx,
      );
      await operations.updateStep(
        op.id,
        'reserve-capacity',
        { state: 'pending', progress: 0 },
        trx,
      );
      await operations.updateStep(
        op.id,
        'power-on',
        {
          state: 'pending',
          progress: 0,
          detail: { tried: [...tried, host.id], lastError: why },
          error: why,
        },
        trx,
      );
    });
    return 'replace';
  };

  const since = Date.now();
  const timeoutMs = o.powerOnTimeoutMs ?? 300_000;
  if (host.power.state !== 'on') {
    try {
      await o.power.act(host.id, 'on', {
        actor: 'provisioning',
        reason: `Placement chose it for ${instance.hostname}: no powered-on host had room`,
      });
    } catch (e) {
      return giveUp(
        `${host.name} could not be powered on: ${(e as Error).message}`,
      );
    }
  }
  await operations.updateStep(op.id, 'power-on', {
    progress: 0.1,
    detail: {
      hostName: host.name,
      poweringOn: true,
      tried,
      waitingSince: new Date(since).toISOString(),
    },
  });
  for (;;) {
    const now = await o.hosts.get(host.id);
    const heard = now?.lastHeartbeatAt
      ? new Date(now.lastHeartbeatAt).getTime()
      : 0;
    if (now?.state === 'online' && heard >= since) break;
    const waited = Date.now() - since;
    if (waited >= timeoutMs)
      return giveUp(
        `${host.name} was powered on but its agent sent no heartbeat within ${Math.round(timeoutMs / 1000)} s`,
      );
    await operations.updateStep(op.id, 'power-on', {
      progress: Math.min(0.9, 0.1 + (0.8 * waited) / timeoutMs),
    });
    await sleep(Math.max(pollMs, 250));
  }
  await operations.updateStep(op.id, 'power-on', {
    state: 'done',
    progress: 1,
    error: null,
    detail: {
      hostName: host.name,
      poweredOn: true,
      tried,
      waitedSeconds: Math.round((Date.now() - since) / 1000),
    },
  });
  return 'done';
}
