import type { AgentClient } from '@tempest/backstage-plugin-appliances-common/agent';
import { AgentCallError, agentCall } from './agentCall';

/** Runs an agent call, treating the codes given as already done. */
export async function ignoring(
  codes: string[],
  call: () => Promise<unknown>,
): Promise<void> {
  try {
    await call();
  } catch (e) {
    if (!(e instanceof AgentCallError && codes.includes(e.code))) throw e;
  }
}

/** Undefines a migration's domain on one side; gone already is fine. */
export const undefineDomain = (
  agent: AgentClient,
  name: string,
  where: string,
) =>
  ignoring(['UNKNOWN_DOMAIN', 'HTTP_404'], () =>
    agentCall(
      `undefine domain on the ${where}`,
      agent.DELETE('/v1/domains/{name}', { params: { path: { name } } }),
    ),
  );

/** Removes a migration's disk on one side; gone already is fine. */
export const removeDisk = (agent: AgentClient, name: string, where: string) =>
  ignoring(['UNKNOWN_DISK', 'NOT_FOUND', 'HTTP_404'], () =>
    agentCall(
      `remove the disk on the ${where}`,
      agent.DELETE('/v1/disks/{name}', { params: { path: { name } } }),
    ),
  );

/** Withdraws the source's export; gone (expired) already is fine. */
export const withdrawExport = (agent: AgentClient, name: string, id: string) =>
  ignoring(['NOT_FOUND', 'HTTP_404'], () =>
    agentCall(
      'end the export',
      agent.DELETE('/v1/disks/{name}/exports/{id}', {
        params: { path: { name, id } },
      }),
    ),
  );

/** Cancels the source's live migration; answers the state it ended in (gone already: undefined). */
export async function cancelLiveMove(
  agent: AgentClient,
  name: string,
  id: string,
): Promise<string | undefined> {
  try {
    const { data } = await agentCall(
      'cancel the live migration',
      agent.DELETE('/v1/domains/{name}/migrations/{id}', {
        params: { path: { name, id } },
      }),
    );
    return data.state;
  } catch (e) {
    if (
      e instanceof AgentCallError &&
      ['NOT_FOUND', 'HTTP_404'].includes(e.code)
    )
      return undefined;
    throw e;
  }
}

/** Abandons the destination's incoming migration; true when the domain had arrived (it stays). */
export async function abandonIncoming(
  agent: AgentClient,
  name: string,
  id: string,
): Promise<boolean> {
  try {
    await agentCall(
      'stop waiting for the running domain',
      agent.DELETE('/v1/domains/{name}/incoming/{id}', {
        params: { path: { name, id } },
      }),
    );
    return false;
  } catch (e) {
    if (!(e instanceof AgentCallError)) throw e;
    if (e.code === 'DOMAIN_ARRIVED') return true;
    if (['NOT_FOUND', 'HTTP_404'].includes(e.code)) return false;
    throw e;
  }
}
