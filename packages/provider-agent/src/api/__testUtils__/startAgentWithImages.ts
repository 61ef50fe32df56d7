import { emptyQcow2 } from '../../disks/qcow2';
import { startChannel } from '../../testing/channelFixture';
import { installImage } from '../../testing/installImage';
import { startTestAgent } from '../../testing/startTestAgent';

/**
 * A test agent (simulated driver) with images installed from a test channel:
 * the OS debian, the appliance mail on it and the boot kernel vmlinuz.
 */
export async function startAgentWithImages() {
  const channel = await startChannel();
  const t = await startTestAgent();
  await installImage(
    t,
    'os',
    'debian',
    await channel.publish('/os.qcow2', emptyQcow2(1024 ** 3)),
  );
  await installImage(
    t,
    'appliance',
    'mail',
    await channel.publish('/mail.qcow2', emptyQcow2(2 * 1024 ** 3), {
      os: 'debian',
    }),
  );
  await installImage(
    t,
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
