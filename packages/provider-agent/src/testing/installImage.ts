import { startChannel, waitFor } from './channelFixture';
import { TestAgent } from './startTestAgent';

type InstallRequest = Awaited<
  ReturnType<Awaited<ReturnType<typeof startChannel>>['publish']>
>;

/** Installs an image through the agent API and waits until its download has ended (done or failed). */
export async function installImage(
  t: TestAgent,
  kind: 'os' | 'appliance' | 'boot',
  name: string,
  body: InstallRequest,
  timeoutMs?: number,
) {
  const res = await t.client.PUT('/v1/images/{kind}/{name}', {
    params: { path: { kind, name } },
    body,
  });
  const id = (res.data as any).id;
  return waitFor(
    async () =>
      (await t.client.GET('/v1/downloads/{id}', { params: { path: { id } } }))
        .data!,
    d => d.state === 'done' || d.state === 'failed',
    timeoutMs,
  );
}
