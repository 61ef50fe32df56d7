import type { Duplex } from 'node:stream';
import { ByteReader } from './ByteReader';
import { testPatternColourAt } from './testPattern';

export interface PixelFormat {
  bitsPerPixel: number;
  depth: number;
  bigEndian: boolean;
  trueColour: boolean;
  redMax: number;
  greenMax: number;
  blueMax: number;
  redShift: number;
  greenShift: number;
  blueShift: number;
}

/** The server's own format until a client sets another: 32 bits, little-endian, 0x00RRGGBB. */
export const NATIVE_PIXEL_FORMAT: PixelFormat = {
  bitsPerPixel: 32,
  depth: 24,
  bigEndian: false,
  trueColour: true,
  redMax: 255,
  greenMax: 255,
  blueMax: 255,
  redShift: 16,
  greenShift: 8,
  blueShift: 0,
};

export function encodePixelFormat(f: PixelFormat): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(f.bitsPerPixel, 0);
  b.writeUInt8(f.depth, 1);
  b.writeUInt8(f.bigEndian ? 1 : 0, 2);
  b.writeUInt8(f.trueColour ? 1 : 0, 3);
  b.writeUInt16BE(f.redMax, 4);
  b.writeUInt16BE(f.greenMax, 6);
  b.writeUInt16BE(f.blueMax, 8);
  b.writeUInt8(f.redShift, 10);
  b.writeUInt8(f.greenShift, 11);
  b.writeUInt8(f.blueShift, 12);
  return b;
}

export function decodePixelFormat(b: Buffer): PixelFormat {
  return {
    bitsPerPixel: b.readUInt8(0),
    depth: b.readUInt8(1),
    bigEndian: b.readUInt8(2) !== 0,
    trueColour: b.readUInt8(3) !== 0,
    redMax: b.readUInt16BE(4),
    greenMax: b.readUInt16BE(6),
    blueMax: b.readUInt16BE(8),
    redShift: b.readUInt8(10),
    greenShift: b.readUInt8(11),
    blueShift: b.readUInt8(12),
  };
}

/** Writes one pixel in a true-colour format (8, 16 or 32 bits). */
function writePixel(
  out: Buffer,
  offset: number,
  [r, g, b]: [number, number, number],
  f: PixelFormat,
) {
  const scale = (v: number, max: number) => Math.round((v * max) / 255);
  const value =
    ((scale(r, f.redMax) << f.redShift) |
      (scale(g, f.greenMax) << f.greenShift) |
      (scale(b, f.blueMax) << f.blueShift)) >>>
    0;
  if (f.bitsPerPixel === 8) out.writeUInt8(value & 0xff, offset);
  else if (f.bitsPerPixel === 16 && f.bigEndian)
    out.writeUInt16BE(value & 0xffff, offset);
  else if (f.bitsPerPixel === 16) out.writeUInt16LE(value & 0xffff, offset);
  else if (f.bigEndian) out.writeUInt32BE(value, offset);
  else out.writeUInt32LE(value, offset);
}

export interface TestFramebufferOptions {
  /** The desktop name the client shows. */
  name: string;
  width?: number;
  height?: number;
}

/**
 * A tiny RFB 3.8 server (RFC 6143) on one connection: no authentication,
 * raw encoding, a still picture of colour bars. It stands in for a guest's
 * VNC display where there is no guest (the simulated driver). Incremental
 * update requests stay unanswered, which RFB allows: nothing changes.
 */
export async function serveTestFramebuffer(
  stream: Duplex,
  options: TestFramebufferOptions,
): Promise<void> {
  const width = options.width ?? 640;
  const height = options.height ?? 480;
  const reader = new ByteReader(stream);
  let format = NATIVE_PIXEL_FORMAT;
  const send = (b: Buffer) => {
    if (!stream.destroyed) stream.write(b);
  };
  try {
    send(Buffer.from('RFB 003.008\n'));
    const version = (await reader.read(12)).toString('latin1');
    const minor = /^RFB 003\.00([378])\n$/.exec(version)?.[1];
    if (!minor) {
      stream.destroy();
      return;
    }
    if (minor === '3') {
      send(Buffer.from([0, 0, 0, 1])); // 3.3: the server picks None
    } else {
      send(Buffer.from([1, 1])); // one type offered: None
      const chosen = (await reader.read(1))[0];
      if (chosen !== 1) {
        stream.destroy();
        return;
      }
      if (minor === '8') send(Buffer.from([0, 0, 0, 0])); // SecurityResult OK
    }
    await reader.read(1); // ClientInit (shared flag): one viewer at a time anyway
    const name = Buffer.from(options.name, 'utf8');
    const init = Buffer.alloc(4);
    init.writeUInt16BE(width, 0);
    init.writeUInt16BE(height, 2);
    const nameLength = Buffer.alloc(4);
    nameLength.writeUInt32BE(name.length);
    send(Buffer.concat([init, encodePixelFormat(format), nameLength, name]));

    for (;;) {
      const type = (await reader.read(1))[0];
      switch (type) {
        case 0: {
          // SetPixelFormat: 3 padding bytes, then the format
          const next = decodePixelFormat((await reader.read(19)).subarray(3));
          if (!next.trueColour || ![8, 16, 32].includes(next.bitsPerPixel)) {
            stream.destroy(); // colour maps are not served
            return;
          }
          format = next;
          break;
        }
        case 2: {
          // SetEncodings: padding, count, then 4 bytes each; raw is always understood
          const count = (await reader.read(3)).readUInt16BE(1);
          await reader.read(4 * count);
          break;
        }
        case 3: {
          const req = await reader.read(9);
          if (req[0] !== 0) break; // incremental: the picture has not changed
          const x = Math.min(req.readUInt16BE(1), width);
          const y = Math.min(req.readUInt16BE(3), height);
          const w = Math.min(req.readUInt16BE(5), width - x);
          const h = Math.min(req.readUInt16BE(7), height - y);
          send(frame(x, y, w, h, width, height, format));
          break;
        }
        case 4:
          await reader.read(7); // KeyEvent: the picture does not react
          break;
        case 5:
          await reader.read(5); // PointerEvent
          break;
        case 6: {
          const length = (await reader.read(7)).readUInt32BE(3);
          await reader.read(Math.min(length, 1 << 20));
          break;
        }
        default:
          stream.destroy(); // a message we cannot size: the stream is lost
          return;
      }
    }
  } catch {
    // The viewer went away.
    stream.destroy();
  }
}

function frame(
  x: number,
  y: number,
  w: number,
  h: number,
  width: number,
  height: number,
  format: PixelFormat,
): Buffer {
  const bytesPerPixel = format.bitsPerPixel / 8;
  const header = Buffer.alloc(16);
  header.writeUInt8(0, 0); // FramebufferUpdate
  header.writeUInt16BE(1, 2); // one rectangle
  header.writeUInt16BE(x, 4);
  header.writeUInt16BE(y, 6);
  header.writeUInt16BE(w, 8);
  header.writeUInt16BE(h, 10);
  header.writeInt32BE(0, 12); // raw encoding
  const pixels = Buffer.alloc(w * h * bytesPerPixel);
  for (let row = 0; row < h; row++)
    for (let col = 0; col < w; col++)
      writePixel(
        pixels,
        (row * w + col) * bytesPerPixel,
        testPatternColourAt(x + col, y + row, width, height),
        format,
      );
  return Buffer.concat([header, pixels]);
}
