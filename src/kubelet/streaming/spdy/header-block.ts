/**
 * SPDY/3 name/value header blocks and their compression. A block is a 32-bit pair count, then per
 * pair a 32-bit length + name and a 32-bit length + value (several values joined by NUL). Names
 * are lowercase on the wire. Each direction of a session has one zlib context seeded with the
 * SPDY/3 dictionary, and every block ends with a sync flush so the peer can decode it whole.
 */
import { constants, createDeflate, createInflate } from 'node:zlib';
import type { Deflate, Inflate } from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary.js';
import { SpdyProtocolError } from './frames.js';

/** Header name (lowercase) → values. */
export type SpdyHeaders = Record<string, string[]>;

export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const names = Object.keys(headers);
  const parts: Buffer[] = [u32(names.length)];
  for (const name of names) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from((headers[name] ?? []).join('\0'), 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  let off = 0;
  const take = (): Buffer => {
    if (off + 4 > block.length) throw new SpdyProtocolError('truncated header block');
    const len = block.readUInt32BE(off);
    off += 4;
    if (off + len > block.length) throw new SpdyProtocolError('truncated header block');
    const b = block.subarray(off, off + len);
    off += len;
    return b;
  };
  if (block.length < 4) throw new SpdyProtocolError('truncated header block');
  const count = block.readUInt32BE(0);
  off = 4;
  const out: SpdyHeaders = {};
  for (let i = 0; i < count; i++) {
    const name = take().toString('utf8').toLowerCase();
    const values = take().toString('utf8').split('\0');
    (out[name] ??= []).push(...values);
  }
  return out;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** Runs `input` through a persistent zlib stream and returns what one sync flush yields. */
function pump(z: Deflate | Inflate, input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    z.once('error', onError);
    z.write(input, () => {
      z.off('error', onError);
      const chunks: Buffer[] = [];
      for (let c = z.read() as Buffer | null; c !== null; c = z.read() as Buffer | null) chunks.push(c);
      resolve(Buffer.concat(chunks));
    });
  });
}

/** Serializes async calls so blocks go through the shared zlib context in order. */
class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

abstract class ZlibContext<Z extends Deflate | Inflate> {
  private readonly serial = new Serial();
  protected constructor(private readonly z: Z) {
    // Errors surface through the pending call's rejection.
    z.on('error', () => undefined);
  }

  protected process(input: Buffer): Promise<Buffer> {
    return this.serial.run(() => pump(this.z, input));
  }

  close(): void {
    this.z.destroy();
  }
}

export class HeaderCompressor extends ZlibContext<Deflate> {
  constructor() {
    super(createDeflate({ dictionary: SPDY3_DICTIONARY, flush: constants.Z_SYNC_FLUSH, level: constants.Z_BEST_COMPRESSION }));
  }

  compress(headers: SpdyHeaders): Promise<Buffer> {
    return this.process(encodeHeaderBlock(headers));
  }
}

export class HeaderDecompressor extends ZlibContext<Inflate> {
  constructor() {
    super(createInflate({ dictionary: SPDY3_DICTIONARY, flush: constants.Z_SYNC_FLUSH }));
  }

  async decompress(block: Buffer): Promise<SpdyHeaders> {
    if (block.length === 0) return {};
    return decodeHeaderBlock(await this.process(block));
  }
}
