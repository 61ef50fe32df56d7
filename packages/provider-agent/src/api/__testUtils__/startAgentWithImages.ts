import { emptyQcow2 } from '../../disks/qcow2';
import { startChannel, waitFor } from '../../testing/channelFixture';
import { startTestAgent } from '../../testing/startTestAgent';

/**
 * A test agent (simulated driver) with images installed from a test channel:
 * the OS debian, the appliance mail on it and the boot kernel vmlinuz.
 */
export async function startAgentWithImages() {
  const channel = await startChannel();
  const t = await startTestAgent();
  const install = async (
    kind: 'os' | 'appliance' | 'boot',
    name: string,
    body: any,
  ) => {
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
    );
  };
  await install(
    'os',
    'debian',
    await channel.publish('/os.qcow2', emptyQcow2(1024 ** 3)),
  );
  await install(
    'appliance',
    'mail',
    await channel.publish('/mail.qcow2', emptyQcow2(2 * 1024 ** 3), {
      os: 'debian',
    }),
  );
  await install(
    'boot',
    'vmlinuz',
    await channel.publish('/vmlinuz', Buffer.from('kernel')),
  );
  const close = async () => {
    await t.close();
    await channel.close();
  };
  return { t, close };
}
