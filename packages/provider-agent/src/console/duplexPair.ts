import { Duplex } from 'node:stream';

class PairedEnd extends Duplex {
  peer?: PairedEnd;
  _read() {}
  _write(chunk: Buffer, _encoding: string, callback: () => void) {
    this.peer?.push(chunk);
    callback();
  }
  _final(callback: () => void) {
    this.peer?.push(null);
    callback();
  }
  _destroy(error: Error | null, callback: (e: Error | null) => void) {
    if (this.peer && !this.peer.destroyed) this.peer.destroy();
    callback(error);
  }
}

/** Two connected in-memory stream ends: what one writes, the other reads (a socket pair without a port). */
export function duplexPair(): [Duplex, Duplex] {
  const a = new PairedEnd();
  const b = new PairedEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
