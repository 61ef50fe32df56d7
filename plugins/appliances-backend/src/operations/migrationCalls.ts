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
