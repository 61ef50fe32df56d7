import fs from 'node:fs/promises';
import path from 'node:path';
import { AgentError, fromFsError, isAgentError } from '../errors/AgentError';
import { Download } from './Download';
import { fetchText, fetchToFile } from './fetchToFile';
import { ImageKind } from './ImageKind';
import { ImageRecord, ImageRecords } from './ImageRecords';
import { ImageStoreOptions } from './ImageStoreOptions';
import { imageLayersInUse } from './imageLayersInUse';
import { InstallImageRequest } from './InstallImageRequest';
import { sha256File, verifyDetachedSignature } from './verifyImage';

export interface ImageInstallContext {
  options: ImageStoreOptions;
  records: ImageRecords;
  /** Where downloads are streamed before they verify. */
  partialDir: string;
}

/**
 * Streams one download to a partial file, checks its hash and signature, places
 * it as a layer (over its OS for an appliance), records the version and prunes
 * old ones. Never throws: the outcome lands on the download.
 */
export async function installImageDownload(
  { options, records, partialDir }: ImageInstallContext,
  download: Download,
  kind: ImageKind,
  name: string,
  request: InstallImageRequest,
  os?: { name: string; version: string; path: string },
): Promise<void> {
  const log = options.logger.child({
    download: download.id,
    kind,
    image: name,
    version: request.version,
  });
  const signal = download.controller.signal;
  const part = path.join(partialDir, `${download.id}.part`);
  const file = records.file(
    kind,
    name,
    `${request.version}.${kind === 'boot' ? 'bin' : 'qcow2'}`,
  );
  let placed = false;
  log.info({ url: request.url }, 'download started');
  try {
    const { sha256 } = await fetchToFile(download, part, {
      stallTimeoutMs: options.stallTimeoutMs,
      freeBytes: options.freeBytes,
      signal,
    });
    download.state = 'verifying';
    if (sha256 !== request.sha256.toLowerCase()) {
      throw new AgentError(
        'CHECKSUM_MISMATCH',
        `SHA-256 is ${sha256}, expected ${request.sha256.toLowerCase()}`,
      );
    }
    const signature =
      request.signature ??
      (await fetchText(request.signatureUrl!, {
        stallTimeoutMs: options.stallTimeoutMs,
        signal,
      }));
    await verifyDetachedSignature(part, signature, request.publicKeys);
    if (signal.aborted)
      throw new AgentError('DOWNLOAD_CANCELLED', 'The download was cancelled');

    download.state = 'installing';
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.rename(part, file);
    placed = true;
    let fileSha256 = sha256;
    if (kind !== 'boot') {
      await options.diskStore.adoptImage(file, {
        backingPath: os?.path,
      });
      if (os) fileSha256 = await sha256File(file);
    }
    const sizeBytes = (await fs.stat(file)).size;
    const previous = await records.read(kind, name);
    const record: ImageRecord = previous ?? {
      kind,
      name,
      current: request.version,
      versions: {},
    };
    record.versions[request.version] = {
      version: request.version,
      file: path.basename(file),
      sha256,
      fileSha256,
      sizeBytes,
      url: request.url,
      installedAt: new Date().toISOString(),
      ...(os ? { os: { name: os.name, version: os.version } } : {}),
    };
    record.current = request.version;
    await records.write(kind, name, record);
    await pruneOldVersions(options, records, record);
    download.finish('done');
    log.info({ bytes: download.receivedBytes }, 'image installed');
  } catch (e) {
    const error = isAgentError(e) ? e : fromFsError(e, 'the image');
    await fs.rm(part, { force: true });
    if (placed) {
      await options.diskStore
        .remove(file)
        .catch((cleanup: unknown) =>
          log.warn(
            { err: (cleanup as Error).message, file },
            'could not remove the image layer of a failed install',
          ),
        );
      await fs.rm(file, { force: true });
    }
    download.finish(
      error.code === 'DOWNLOAD_CANCELLED' ? 'cancelled' : 'failed',
      {
        code: error.code,
        message: error.message,
      },
    );
    log.warn(
      { code: error.code, err: error.message },
      'download did not install',
    );
  }
}

/** Drops versions other than the current one that no disk still sits on. */
async function pruneOldVersions(
  options: ImageStoreOptions,
  records: ImageRecords,
  record: ImageRecord,
) {
  const inUse = await imageLayersInUse(records, options);
  let changed = false;
  for (const v of Object.values(record.versions)) {
    if (v.version === record.current) continue;
    const file = records.file(record.kind, record.name, v.file);
    if (inUse.has(file)) continue;
    if (record.kind !== 'boot') await options.diskStore.remove(file);
    await fs.rm(file, { force: true });
    delete record.versions[v.version];
    changed = true;
  }
  if (changed) await records.write(record.kind, record.name, record);
}
