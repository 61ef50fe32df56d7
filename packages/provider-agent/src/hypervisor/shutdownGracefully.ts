import { AgentError } from '../errors/AgentError';
import { Hypervisor } from './Hypervisor';

/**
 * Asks the guest to shut down and waits up to timeoutMs; a guest that ignores
 * the request (many minimal ones do) is then destroyed.
 */
export async function shutdownGracefully(
  hypervisor: Hypervisor,
  name: string,
  timeoutMs: number,
  pollMs = 250,
): Promise<{ forced: boolean }> {
  const before = await hypervisor.status(name);
  if (before.state === 'shutoff') {
    throw new AgentError(
      'DOMAIN_STATE_CONFLICT',
      `Domain ${name} is not running`,
    );
  }
  if (before.state === 'running' || before.state === 'blocked') {
    await hypervisor.shutdown(name);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { state } = await hypervisor.status(name);
      if (state === 'shutoff') return { forced: false };
      if (Date.now() >= deadline) break;
      await new Promise(r =>
        setTimeout(r, Math.min(pollMs, Math.max(1, deadline - Date.now()))),
      );
    }
  }
  try {
    await hypervisor.destroy(name);
  } catch (e) {
    // It may have stopped between the last poll and the destroy.
    if (!(e instanceof AgentError && e.code === 'DOMAIN_STATE_CONFLICT'))
      throw e;
  }
  return { forced: true };
}
