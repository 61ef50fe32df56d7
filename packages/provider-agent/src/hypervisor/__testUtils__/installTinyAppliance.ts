import fs from 'node:fs/promises';
import { startChannel } from '../../testing/channelFixture';
import { installImage } from '../../testing/installImage';
import { TestAgent } from '../../testing/startTestAgent';
import { TinyAppliance } from '../../testing/tinyAppliance';

/**
 * Publishes the tiny appliance's images on `channel` and installs them through
 * the agent API: its OS (busybox-os), the appliance on it (tiny), its kernel
 * (cloud-kernel) and initramfs (tiny-initrd). Returns each download as it ended.
 */
export async function installTinyAppliance(
  t: TestAgent,
  channel: Awaited<ReturnType<typeof startChannel>>,
  appliance: TinyAppliance,
) {
  const install = async (
    kind: 'os' | 'appliance' | 'boot',
    name: string,
    file: string,
    os?: string,
  ) => {
    const body = await channel.publish(
      `/${kind}/${name}`,
      await fs.readFile(file),
      { os },
    );
    return installImage(t, kind, name, body, 60_000);
  };
  return [
    await install('os', 'busybox-os', appliance.osImage),
    await install('appliance', 'tiny', appliance.applianceImage, 'busybox-os'),
    await install('boot', 'cloud-kernel', appliance.kernel),
    await install('boot', 'tiny-initrd', appliance.initrd),
  ];
}
