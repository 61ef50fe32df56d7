import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './startPortal';

const SAMPLE = path.join(repoRoot, 'catalog/channels/sample');
const OS_IMAGE = 'linux-base-1.0.qcow2';

/** The sample appliances a channel is made of: definition and image file names. */
export type SampleAppliance = { definition: string; image: string };

export const WEB_SERVER: SampleAppliance = {
  definition: 'webserv-1.0.0.xml',
  image: 'webserv-1.0.0.qcow2',
};
export const DNS_SERVER: SampleAppliance = {
  definition: 'dns.xml',
  image: 'dns.qcow2',
};

/**
 * The real sample images (`npm run images`): those in `TEMPEST_IMAGES_DIR`
 * (default `.tempest/images`) or, when some are missing, built there first
 * from Debian packages (minutes; the .deb cache makes a rebuild quicker).
 */
export async function builtSampleImages(
  names: string[],
): Promise<{ dir: string; builtNow: boolean }> {
  const dir =
    process.env.TEMPEST_IMAGES_DIR ?? path.join(repoRoot, '.tempest/images');
  const wanted = [
    path.join(dir, 'os-images', OS_IMAGE),
    ...names.map(n => path.join(dir, 'channels/sample', n)),
  ].flatMap(f => [f, `${f}.asc`]);
  if (wanted.every(f => fs.existsSync(f))) return { dir, builtNow: false };
  const only = names.map(n => n.replace(/\.qcow2$/, '')).join(',');
  await promisify(execFile)(
    process.execPath,
    [
      path.join(repoRoot, 'catalog/images/build.mjs'),
      '--only',
      only,
      '--out',
      dir,
    ],
    { cwd: repoRoot, timeout: 40 * 60_000, maxBuffer: 64 * 1024 * 1024 },
  );
  return { dir, builtNow: true };
}

/**
 * A channel directory of some sample appliances: the repository's current
 * definitions, the built images and their TEST-ONLY signatures, and a feed
 * of just those; and the OS substrate beside it. Returns what to serve.
 */
export function sampleImageChannel(
  work: string,
  imagesDir: string,
  appliances: SampleAppliance[],
) {
  const channelDir = path.join(work, 'channels', 'real');
  const osDir = path.join(work, 'os-images');
  fs.mkdirSync(channelDir, { recursive: true });
  fs.mkdirSync(osDir, { recursive: true });
  for (const f of [OS_IMAGE, `${OS_IMAGE}.asc`])
    fs.copyFileSync(path.join(imagesDir, 'os-images', f), path.join(osDir, f));
  const items: string[] = [];
  for (const a of appliances) {
    fs.copyFileSync(
      path.join(SAMPLE, a.definition),
      path.join(channelDir, a.definition),
    );
    for (const f of [a.image, `${a.image}.asc`])
      fs.copyFileSync(
        path.join(imagesDir, 'channels/sample', f),
        path.join(channelDir, f),
      );
    items.push(`    <item>
      <title>${a.definition}</title>
      <link>${a.definition}</link>
      <guid isPermaLink="false">real/${a.definition}</guid>
    </item>`);
  }
  fs.writeFileSync(
    path.join(channelDir, 'feed.xml'),
    `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
  <channel>
    <title>Real sample appliances</title>
    <link>https://example.invalid/real</link>
    <description>Built sample images for the real-guest test.</description>
${items.join('\n')}
  </channel>
</rss>
`,
  );
  return {
    channelsDir: path.join(work, 'channels'),
    osDir,
    osImage: OS_IMAGE,
  };
}
