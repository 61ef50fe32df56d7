import type { Duplex } from 'node:stream';
import { ByteReader } from '../console/ByteReader';
import {
  decodePixelFormat,
  PixelFormat,
} from '../console/serveTestFramebuffer';

export interface RfbSession {
  /** The server's greeting, e.g. `RFB 003.008`. */
  version: string;
  width: number;
  height: number;
  name: string;
  format: PixelFormat;
  /** Asks for the whole screen and reads it (raw encoding, the server's format). */
  readFrame(): Promise<{
    pixel(x: number, y: number): [number, number, number];
  }>;
}

/**
 * A minimal RFB 3.8 viewer for tests: handshake with security None, then
 * whole-screen raw updates. Enough to tell a live VNC display from a dead one.
 */
export async function rfbConnect(stream: Duplex): Promise<RfbSession> {
  const reader = new ByteReader(stream);
  const version = (await reader.read(12)).toString('latin1').trim();
  stream.write('RFB 003.008\n');
  const count = (await reader.read(1))[0];
  if (count === 0) {
    const length = (await reader.read(4)).readUInt32BE();
    throw new Error(
      `The server refused: ${(await reader.read(length)).toString()}`,
    );
  }
  const types = [...(await reader.read(count))];
  if (!types.includes(1))
    throw new Error(`No security type None offered (only ${types})`);
  stream.write(Buffer.from([1]));
  const result = (await reader.read(4)).readUInt32BE();
  if (result !== 0) throw new Error(`Security result ${result}`);
  stream.write(Buffer.from([1])); // shared
  const init = await reader.read(24);
  const width = init.readUInt16BE(0);
  const height = init.readUInt16BE(2);
  const format = decodePixelFormat(init.subarray(4, 20));
  const name = (await reader.read(init.readUInt32BE(20))).toString('utf8');

  const readFrame = async () => {
    const request = Buffer.alloc(10);
    request.writeUInt8(3, 0);
    request.writeUInt8(0, 1);
    request.writeUInt16BE(width, 6);
    request.writeUInt16BE(height, 8);
    stream.write(request);
    const bytesPerPixel = format.bitsPerPixel / 8;
    const screen = Buffer.alloc(width * height * bytesPerPixel);
    let type = (await reader.read(1))[0];
    // Skip other server messages (Bell, ServerCutText) until the update.
    while (type !== 0) {
      if (type === 2) type = (await reader.read(1))[0];
      else if (type === 3) {
        const length = (await reader.read(7)).readUInt32BE(3);
        await reader.read(length);
        type = (await reader.read(1))[0];
      } else throw new Error(`Unexpected RFB server message ${type}`);
    }
    const rects = (await reader.read(3)).readUInt16BE(1);
    for (let i = 0; i < rects; i++) {
      const r = await reader.read(12);
      const [x, y, w, h] = [0, 2, 4, 6].map(o => r.readUInt16BE(o));
      const encoding = r.readInt32BE(8);
      if (encoding !== 0) throw new Error(`Unexpected encoding ${encoding}`);
      const data = await reader.read(w * h * bytesPerPixel);
      for (let row = 0; row < h; row++)
        data.copy(
          screen,
          ((y + row) * width + x) * bytesPerPixel,
          row * w * bytesPerPixel,
          (row + 1) * w * bytesPerPixel,
        );
    }
    return {
      pixel(x: number, y: number): [number, number, number] {
        const o = (y * width + x) * bytesPerPixel;
        const v = readPixelValue(screen, o, format);
        const channel = (shift: number, max: number) =>
          Math.round((((v >>> shift) & max) * 255) / max);
        return [
          channel(format.redShift, format.redMax),
          channel(format.greenShift, format.greenMax),
          channel(format.blueShift, format.blueMax),
        ];
      },
    };
  };
  return { version, width, height, name, format, readFrame };
}

function readPixelValue(
  screen: Buffer,
  offset: number,
  format: PixelFormat,
): number {
  if (format.bitsPerPixel === 8) return screen.readUInt8(offset);
  if (format.bitsPerPixel === 16)
    return format.bigEndian
      ? screen.readUInt16BE(offset)
      : screen.readUInt16LE(offset);
  return format.bigEndian
    ? screen.readUInt32BE(offset)
    : screen.readUInt32LE(offset);
}
