import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
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

/** A digest of everything the image build is made of (catalog/images). */
function buildSourcesDigest(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.isFile() && entry.name !== 'README.md') {
        hash.update(path.relative(repoRoot, file));
        hash.update(fs.readFileSync(file));
      }
    }
  };
  walk(path.join(repoRoot, 'catalog/images'));
  return hash.digest('hex');
}

/**
 * The real sample images (`npm run images`): those in `TEMPEST_IMAGES_DIR`
 * (default `.tempest/images`) or, when some are missing or were built from
 * other build sources than the checkout's (a `.sources` digest beside each),
 * built there first from Debian packages (minutes; the .deb cache makes a
 * rebuild quicker).
 */
export async function builtSampleImages(
  names: string[],
): Promise<{ dir: string; builtNow: boolean }> {
  const dir =
    process.env.TEMPEST_IMAGES_DIR ?? path.join(repoRoot, '.tempest/images');
  const images = [
    path.join(dir, 'os-images', OS_IMAGE),
    ...names.map(n => path.join(dir, 'channels/sample', n)),
  ];
  const digest = buildSourcesDigest();
  const stamp = (image: string) => `${image}.sources`;
  const fresh = () =>
    images.every(
      f =>
        fs.existsSync(f) &&
        fs.existsSync(`${f}.asc`) &&
        fs.existsSync(stamp(f)) &&
        fs.readFileSync(stamp(f), 'utf8') === digest,
    );
  if (fresh()) return { dir, builtNow: false };
  // Test files run in parallel workers: one builds while the others wait, then look again.
  const unlock = await lockDirectory(path.join(dir, '.building'));
  try {
    if (fresh()) return { dir, builtNow: false };
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
    for (const image of images) fs.writeFileSync(stamp(image), digest);
    return { dir, builtNow: true };
  } finally {
    unlock();
  }
}

/** Holds a lock directory (mkdir is atomic); one left by a build that died over 45 minutes ago is taken over. */
async function lockDirectory(lock: string): Promise<() => void> {
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  for (;;) {
    try {
      fs.mkdirSync(lock);
      return () => fs.rmSync(lock, { recursive: true, force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const since = fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs;
      if (since === undefined) continue; // released meanwhile
      if (Date.now() - since > 45 * 60_000)
        fs.rmSync(lock, { recursive: true, force: true });
      else await new Promise(r => setTimeout(r, 2000));
    }
  }
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
