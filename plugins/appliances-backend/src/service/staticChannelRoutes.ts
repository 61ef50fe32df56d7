import { NotFoundError } from '@backstage/errors';
import fs from 'node:fs';
import path from 'node:path';
import { AppliancesRouter } from './types';

// Only what a channel publishes; anything else in the directory stays private.
const SERVED = /\.(xml|tgz|tar\.gz|img|qcow2|gz|asc|sig)$/;
const TYPES: Record<string, string> = {
  '.xml': 'application/xml',
  '.asc': 'application/pgp-signature',
  '.sig': 'application/pgp-signature',
};

/**
 * Serves channels kept on disk: /static/channels/:channel/:file from
 * `<directory>/<channel>/<file>`, only for directories holding a feed.xml
 * and only for feed, definition, image and signature files. Express answers
 * ETag and Last-Modified, so unchanged feeds cost a 304.
 */
export function addStaticChannelRoutes(
  router: AppliancesRouter,
  directory: string,
) {
  const root = path.resolve(directory);
  router.get('/static/channels/:channel/:file', async (req, res) => {
    const { channel, file } = req.params;
    const channelDir = path.join(root, channel);
    const target = path.join(channelDir, file);
    if (
      path.dirname(target) !== channelDir ||
      !SERVED.test(file) ||
      !fs.existsSync(path.join(channelDir, 'feed.xml')) ||
      !fs.existsSync(target)
    ) {
      throw new NotFoundError(`No file ${channel}/${file}`);
    }
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    await new Promise<void>((resolve, reject) =>
      res.sendFile(
        target,
        { headers: { 'content-type': type }, dotfiles: 'deny' },
        err => (err ? reject(err) : resolve()),
      ),
    );
  });
}
