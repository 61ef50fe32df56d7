import type { AgentClient } from '@tempest/backstage-plugin-appliances-common/agent';
import { Host } from '../hosts/HostStore';
import { AgentCallError, agentCall } from './agentCall';
import { ImageLayer } from './ImageLayers';
import { ProvisionRunnerOptions } from './ProvisionRunnerOptions';
import { StepError } from './StepError';
import { assertHostUsable } from './usableHostOf';

/**
 * Installs one image layer on the host (joining a download already under way),
 * reports its progress on the install-images step, and verifies it.
 */
export async function installLayer(
  o: Pick<ProvisionRunnerOptions, 'operations' | 'hosts'>,
  pollMs: number,
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
    o.operations.updateStep(operationId, 'install-images', {
      progress: (index + progress) / count,
      detail: {
        layers: installed,
        current: {
          kind: layer.kind,
          name: layer.name,
          version: layer.request.version,
          ...download,
        },
      },
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
    if (!(e instanceof AgentCallError && e.code === 'DOWNLOAD_IN_PROGRESS'))
      throw e;
    const { data } = await agentCall(
      'list downloads',
      agent.GET('/v1/downloads'),
    );
    downloadId = [...data.items]
      .reverse()
      .find(
        d =>
          d.kind === layer.kind &&
          d.name === layer.name &&
          d.version === layer.request.version,
      )?.id;
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
    await new Promise(r => setTimeout(r, pollMs));
    await assertHostUsable(o, host.id);
  }
  const { data: check } = await agentCall(
    `verify ${layer.kind} image ${layer.name}`,
    agent.POST('/v1/images/{kind}/{name}/check', {
      params: { path: { kind: layer.kind, name: layer.name } },
    }),
  );
  if (!check.installed || check.intact === false) {
    throw new StepError(
      `${layer.kind} image ${layer.name} did not verify after installing`,
    );
  }
  await report(1, download);
  return {
    kind: layer.kind,
    name: layer.name,
    version: check.version ?? layer.request.version,
    verified: true,
    ...download,
  };
}
