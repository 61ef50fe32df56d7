import fs from 'node:fs/promises';

/** What a qcow2 header says about an image (the fields qemu-img info reports). */
export interface Qcow2Header {
  version: 2 | 3;
  virtualSizeBytes: number;
  clusterBits: number;
  /** The backing file named in the header, if any. */
  backingFile?: string;
}

const MAGIC = 0x514649fb; // "QFI\xfb"
const BACKING_FORMAT_EXTENSION = 0xe2792aca;

/** Why bytes are not a qcow2 image, in words a person can act on. */
export class NotQcow2Error extends Error {}

/**
 * Reads and checks a qcow2 header: magic, version, cluster size, a virtual
 * size, and tables and backing file name that lie inside the file.
 */
export async function readQcow2Header(file: string): Promise<Qcow2Header> {
  const handle = await fs.open(file, 'r');
  try {
    const { size: fileBytes } = await handle.stat();
    const b = Buffer.alloc(Math.min(fileBytes, 4096));
    await handle.read(b, 0, b.length, 0);
    if (b.length < 72 || b.readUInt32BE(0) !== MAGIC)
      throw new NotQcow2Error('it is not a qcow2 image (no qcow2 header)');
    const version = b.readUInt32BE(4);
    if (version !== 2 && version !== 3)
      throw new NotQcow2Error(`qcow2 version ${version} is not supported`);
    const clusterBits = b.readUInt32BE(20);
    if (clusterBits < 9 || clusterBits > 21)
      throw new NotQcow2Error(`its cluster size (2^${clusterBits}) is invalid`);
    const virtualSizeBytes = Number(b.readBigUInt64BE(24));
    if (!(virtualSizeBytes > 0 && virtualSizeBytes <= Number.MAX_SAFE_INTEGER))
      throw new NotQcow2Error('its virtual size is not a positive size');
    if (b.readUInt32BE(32) !== 0)
      throw new NotQcow2Error('encrypted qcow2 images are not supported');
    const l1Offset = Number(b.readBigUInt64BE(40));
    const refcountOffset = Number(b.readBigUInt64BE(48));
    if (l1Offset >= fileBytes || refcountOffset >= fileBytes)
      throw new NotQcow2Error(
        'its tables lie past the end of the file (truncated?)',
      );
    const backingOffset = Number(b.readBigUInt64BE(8));
    const backingLength = b.readUInt32BE(16);
    let backingFile: string | undefined;
    if (backingOffset) {
      if (
        backingLength === 0 ||
        backingLength > 1023 ||
        backingOffset + backingLength > b.length
      )
        throw new NotQcow2Error('its backing file name is invalid');
      backingFile = b.toString(
        'utf8',
        backingOffset,
        backingOffset + backingLength,
      );
    }
    return { version, virtualSizeBytes, clusterBits, backingFile };
  } finally {
    await handle.close();
  }
}

/**
 * An empty qcow2 (version 3, 4 KiB clusters) of the given virtual size,
 * optionally over a backing file: what `qemu-img create -f qcow2 -o
 * cluster_size=4096 [-F qcow2 -b BACKING]` writes, and what `qemu-img check`
 * accepts. Reads fall through to the backing file (or zeros).
 */
export function emptyQcow2(
  virtualSizeBytes: number,
  backingFile?: string,
): Buffer {
  // 4 KiB clusters, or larger ones (up to qcow2's 2 MiB) when the L1 table
  // would not fit one refcount block: 64 TiB needs 64 KiB clusters.
  let clusterBits = 12;
  const layout = (bits: number) => {
    const size = 2 ** bits;
    const l1 = Math.max(1, Math.ceil(virtualSizeBytes / ((size / 8) * size)));
    return { size, l1, total: 3 + Math.ceil((l1 * 8) / size) }; // header, refcount table, refcount block, L1
  };
  while (clusterBits < 21 && layout(clusterBits).total > 2 ** clusterBits / 2)
    clusterBits++;
  const { size: cluster, l1: l1Size, total: clusters } = layout(clusterBits);
  if (clusters > cluster / 2)
    throw new RangeError('virtual size too large for an empty image');
  const out = Buffer.alloc(clusters * cluster);
  out.writeUInt32BE(MAGIC, 0);
  out.writeUInt32BE(3, 4);
  out.writeUInt32BE(clusterBits, 20);
  out.writeBigUInt64BE(BigInt(virtualSizeBytes), 24);
  out.writeUInt32BE(l1Size, 36);
  out.writeBigUInt64BE(BigInt(3 * cluster), 40);
  out.writeBigUInt64BE(BigInt(cluster), 48);
  out.writeUInt32BE(1, 56);
  out.writeUInt32BE(4, 96); // refcount_order: 16-bit refcounts
  out.writeUInt32BE(104, 100); // header_length
  let at = 104;
  if (backingFile) {
    const name = Buffer.from(backingFile);
    if (
      name.length === 0 ||
      name.length > 1023 ||
      at + 24 + name.length > cluster
    )
      throw new RangeError('backing file name too long');
    // Header extension: the backing file's format, then the end marker.
    out.writeUInt32BE(BACKING_FORMAT_EXTENSION, at);
    out.writeUInt32BE(5, at + 4);
    out.write('qcow2', at + 8);
    at += 16;
    at += 8; // end of extensions (type 0, length 0)
    out.writeBigUInt64BE(BigInt(at), 8);
    out.writeUInt32BE(name.length, 16);
    name.copy(out, at);
  }
  out.writeBigUInt64BE(BigInt(2 * cluster), cluster); // refcount table → block
  for (let i = 0; i < clusters; i++) out.writeUInt16BE(1, 2 * cluster + i * 2);
  return out;
}
