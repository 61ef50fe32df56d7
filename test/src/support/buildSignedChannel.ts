import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { repoRoot } from './startPortal';

const SECRET_KEY = path.join(
  repoRoot,
  'catalog/channels/TEST-ONLY-signing-key/secret-key.TEST-ONLY.asc',
);
export const TEST_ONLY_PUBLIC_KEY = path.join(
  repoRoot,
  'catalog/channels/TEST-ONLY-signing-key/public-key.TEST-ONLY.asc',
);

async function sign(file: string) {
  const key = await openpgp.readPrivateKey({
    armoredKey: fs.readFileSync(SECRET_KEY, 'utf8'),
  });
  const signature = await openpgp.sign({
    message: await openpgp.createMessage({ binary: fs.readFileSync(file) }),
    signingKeys: key,
    detached: true,
  });
  fs.writeFileSync(`${file}.asc`, signature as string);
}

/**
 * A channel of one appliance whose image is a real qcow2 (as the qemu-img
 * disk store needs), and an OS substrate qcow2, both signed with the
 * TEST-ONLY key. Returns the directories to serve.
 */
export async function buildSignedChannel(dir: string) {
  const channelDir = path.join(dir, 'channels', 'e2e');
  const osDir = path.join(dir, 'os');
  fs.mkdirSync(channelDir, { recursive: true });
  fs.mkdirSync(osDir, { recursive: true });
  execFileSync('qemu-img', [
    'create',
    '-q',
    '-f',
    'qcow2',
    path.join(osDir, 'e2e-os.qcow2'),
    '64M',
  ]);
  execFileSync('qemu-img', [
    'create',
    '-q',
    '-f',
    'qcow2',
    path.join(channelDir, 'web.qcow2'),
    '64M',
  ]);
  await sign(path.join(osDir, 'e2e-os.qcow2'));
  await sign(path.join(channelDir, 'web.qcow2'));
  fs.writeFileSync(
    path.join(channelDir, 'web.xml'),
    `<?xml version='1.0' encoding='utf-8'?>
<appliance version='1.0'>
  <label>E2E Web Server</label>
  <description>A tiny qcow2 appliance for the end-to-end test.</description>
  <version>1.0.0</version>
  <size>32</size>
  <url>web.qcow2</url>
  <sig>web.qcow2.asc</sig>
  <provides>web</provides>
  <hardware>
    <cpus>1</cpus>
    <memory>65536</memory>
    <ostype>linux</ostype>
    <disk name="vda" type="system" file="sys.img" />
  </hardware>
</appliance>
`,
  );
  fs.writeFileSync(
    path.join(channelDir, 'feed.xml'),
    `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
  <channel>
    <title>E2E channel</title>
    <link>https://example.invalid/e2e</link>
    <description>One appliance for the end-to-end test.</description>
    <item>
      <title>E2E Web Server 1.0.0</title>
      <link>web.xml</link>
      <guid isPermaLink="false">e2e/web</guid>
      <description>A tiny qcow2 appliance.</description>
    </item>
  </channel>
</rss>
`,
  );
  return { channelsDir: path.join(dir, 'channels'), osDir };
}
