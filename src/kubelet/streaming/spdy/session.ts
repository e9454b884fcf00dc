/**
 * A SPDY/3.1 session over one byte stream (an upgraded HTTP connection), as moby/spdystream
 * speaks it on the other side: the client opens odd-numbered streams with SYN_STREAM and waits for
 * each SYN_REPLY before sending data; DATA with FIN half-closes; PINGs from the peer are echoed;
 * GOAWAY or the socket closing ends every stream. spdystream neither sends nor honours
 * WINDOW_UPDATE, so no flow-control window is enforced in either direction (the socket's own
 * back-pressure applies). A server-role session (used by tests) accepts SYN_STREAMs through
 * `onStream`.
 */
import { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';
import type { SpdyFrame } from './frames.js';
import { FrameParser, RST_CANCEL, RST_PROTOCOL_ERROR, RST_REFUSED_STREAM, encodeFrame } from './frames.js';
import type { SpdyHeaders } from './header-block.js';
import { HeaderCompressor, HeaderDecompressor } from './header-block.js';

/** Largest DATA payload written in one frame. */
const MAX_DATA_CHUNK = 32 * 1024;

export interface SpdySessionOptions {
  role: 'client' | 'server';
  /** Server role: a peer opened a stream; call `stream.reply()` to accept it. */
  onStream?: (stream: SpdyStream) => void;
}

/** One SPDY stream as a Duplex: readable = the peer's DATA, writable = ours (end() sends FIN). */
export class SpdyStream extends Duplex {
  replied = false;
  private remoteClosed = false;

  constructor(readonly session: SpdySession, readonly id: number, readonly headers: SpdyHeaders) {
    super({ allowHalfOpen: true });
    // A write after the session ended fails; the session's 'close' event reports why.
    this.on('error', () => undefined);
  }

  /** Server role: answers the peer's SYN_STREAM. */
  reply(headers: SpdyHeaders = {}): Promise<void> {
    this.replied = true;
    return this.session.sendHeaders('syn_reply', this.id, headers);
  }

  /** Aborts the stream both ways with RST_STREAM. */
  reset(status = RST_CANCEL): void {
    void this.session.send({ type: 'rst_stream', streamId: this.id, status }).catch(() => undefined);
    this.remoteEnd(new Error(`stream ${this.id} reset`));
  }

  override _read(): void {
    // Data is pushed as frames arrive.
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.session.sendData(this.id, chunk, false).then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.session.sendData(this.id, Buffer.alloc(0), true).then(() => cb(), cb);
  }

  /** @internal the peer sent data */
  remoteData(data: Buffer): void {
    if (!this.remoteClosed && data.length) this.push(data);
  }

  /** @internal the peer finished (FIN), reset the stream (error) or the session ended */
  remoteEnd(err?: Error): void {
    if (this.remoteClosed) return;
    this.remoteClosed = true;
    this.push(null);
    if (err) this.emit('reset', err);
  }
}

export class SpdySession extends EventEmitter {
  private readonly parser = new FrameParser();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly pendingReplies = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private nextStreamId: number;
  private nextPingId: number;
  private readonly pings = new Map<number, () => void>();
  /** Incoming frames are handled one at a time (header decompression is asynchronous). */
  private inbound: Promise<void> = Promise.resolve();
  /** Outgoing frames are written in order (header compression is asynchronous). */
  private outbound: Promise<void> = Promise.resolve();
  private closedError: Error | undefined;

  constructor(private readonly socket: Duplex, private readonly opts: SpdySessionOptions) {
    super();
    this.nextStreamId = opts.role === 'client' ? 1 : 2;
    this.nextPingId = opts.role === 'client' ? 1 : 2;
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    // Frames already received are handled before the session ends.
    const after = (err: Error): void => {
      this.inbound = this.inbound.then(() => this.terminate(err));
    };
    socket.on('end', () => after(new Error('connection closed by peer')));
    socket.on('close', () => after(new Error('connection closed')));
    socket.on('error', (err: Error) => after(err));
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /** Bytes that arrived on the socket before the session took it over (e.g. after a 101). */
  feed(head: Buffer): void {
    if (head.length) this.receive(head);
  }

  /** Opens a stream and resolves once the peer replied (SYN_REPLY), as upstream's client waits. */
  async openStream(headers: SpdyHeaders): Promise<SpdyStream> {
    if (this.closedError) throw this.closedError;
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const stream = new SpdyStream(this, id, headers);
    this.streams.set(id, stream);
    const replied = new Promise<void>((resolve, reject) => this.pendingReplies.set(id, { resolve, reject }));
    await this.sendHeaders('syn_stream', id, headers);
    await replied;
    stream.replied = true;
    return stream;
  }

  /** Sends a PING and resolves when the peer echoes it. */
  ping(): Promise<void> {
    const id = this.nextPingId;
    this.nextPingId += 2;
    return new Promise((resolve, reject) => {
      this.pings.set(id, resolve);
      this.send({ type: 'ping', id }).catch(reject);
    });
  }

  /** Stops reading from the connection (back-pressure towards the peer) until `resumeInput`. */
  pauseInput(): void {
    this.socket.pause();
  }

  resumeInput(): void {
    this.socket.resume();
  }

  /** Sends GOAWAY and closes the connection. */
  close(): void {
    if (this.closedError) return;
    void this.send({ type: 'goaway', lastGoodStreamId: 0, status: 0 }).catch(() => undefined).finally(() => {
      this.socket.end();
      this.terminate(new Error('session closed'));
    });
  }

  /** Closes the connection at once. */
  destroy(): void {
    this.socket.destroy();
    this.terminate(new Error('session destroyed'));
  }

  /** @internal */
  sendHeaders(kind: 'syn_stream' | 'syn_reply', streamId: number, headers: SpdyHeaders): Promise<void> {
    return this.enqueue(async () => {
      const headerBlock = await this.compressor.compress(headers);
      return kind === 'syn_stream'
        ? encodeFrame({ type: 'syn_stream', streamId, associatedTo: 0, priority: 0, fin: false, unidirectional: false, headerBlock })
        : encodeFrame({ type: 'syn_reply', streamId, fin: false, headerBlock });
    });
  }

  /** @internal */
  sendData(streamId: number, data: Buffer, fin: boolean): Promise<void> {
    const frames: Buffer[] = [];
    for (let off = 0; off < data.length; off += MAX_DATA_CHUNK) {
      const part = data.subarray(off, off + MAX_DATA_CHUNK);
      frames.push(encodeFrame({ type: 'data', streamId, fin: fin && off + MAX_DATA_CHUNK >= data.length, data: part }));
    }
    if (data.length === 0) frames.push(encodeFrame({ type: 'data', streamId, fin, data }));
    return this.enqueue(() => Promise.resolve(Buffer.concat(frames)));
  }

  /** @internal */
  send(frame: SpdyFrame): Promise<void> {
    return this.enqueue(() => Promise.resolve(encodeFrame(frame)));
  }

  /** Writes frames in call order; resolves when the socket took the bytes (drain on back-pressure). */
  private enqueue(build: () => Promise<Buffer>): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.closedError) throw this.closedError;
      const bytes = await build();
      if (this.closedError) throw this.closedError;
      if (!this.socket.write(bytes)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            this.socket.off('drain', done);
            this.socket.off('close', done);
            resolve();
          };
          this.socket.on('drain', done);
          this.socket.on('close', done);
        });
      }
    };
    const next = this.outbound.then(run);
    this.outbound = next.catch(() => undefined);
    return next;
  }

  private receive(chunk: Buffer): void {
    let frames: SpdyFrame[];
    try {
      frames = this.parser.push(chunk);
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    for (const f of frames) {
      this.inbound = this.inbound.then(() => this.handle(f)).catch((err: unknown) => this.fail(err instanceof Error ? err : new Error(String(err))));
    }
  }

  private async handle(f: SpdyFrame): Promise<void> {
    if (this.closedError) return;
    switch (f.type) {
      case 'data': {
        const s = this.streams.get(f.streamId);
        if (!s) return;
        s.remoteData(f.data);
        if (f.fin) s.remoteEnd();
        return;
      }
      case 'syn_reply': {
        await this.decompressor.decompress(f.headerBlock);
        const pending = this.pendingReplies.get(f.streamId);
        this.pendingReplies.delete(f.streamId);
        pending?.resolve();
        const s = this.streams.get(f.streamId);
        if (s && f.fin) s.remoteEnd();
        return;
      }
      case 'headers': {
        await this.decompressor.decompress(f.headerBlock);
        const s = this.streams.get(f.streamId);
        if (s && f.fin) s.remoteEnd();
        return;
      }
      case 'syn_stream': {
        const headers = await this.decompressor.decompress(f.headerBlock);
        const theirs = this.opts.role === 'client' ? f.streamId % 2 === 0 : f.streamId % 2 === 1;
        if (!this.opts.onStream || !theirs || this.streams.has(f.streamId)) {
          await this.send({ type: 'rst_stream', streamId: f.streamId, status: theirs ? RST_REFUSED_STREAM : RST_PROTOCOL_ERROR });
          return;
        }
        const s = new SpdyStream(this, f.streamId, headers);
        this.streams.set(f.streamId, s);
        if (f.fin) s.remoteEnd();
        this.opts.onStream(s);
        return;
      }
      case 'rst_stream': {
        const err = new Error(`stream ${f.streamId} reset by peer (status ${f.status})`);
        const pending = this.pendingReplies.get(f.streamId);
        this.pendingReplies.delete(f.streamId);
        pending?.reject(err);
        const s = this.streams.get(f.streamId);
        this.streams.delete(f.streamId);
        s?.remoteEnd(err);
        return;
      }
      case 'ping': {
        const ours = this.opts.role === 'client' ? f.id % 2 === 1 : f.id % 2 === 0;
        if (ours) {
          this.pings.get(f.id)?.();
          this.pings.delete(f.id);
        } else {
          await this.send({ type: 'ping', id: f.id });
        }
        return;
      }
      case 'goaway':
        this.emit('goaway', f.lastGoodStreamId, f.status);
        return;
      case 'settings':
      case 'window_update':
      case 'unknown':
        return;
    }
  }

  private fail(err: Error): void {
    this.emit('protocolError', err);
    this.destroy();
  }

  private terminate(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    for (const p of this.pendingReplies.values()) p.reject(err);
    this.pendingReplies.clear();
    for (const s of this.streams.values()) s.remoteEnd();
    this.streams.clear();
    this.compressor.close();
    this.decompressor.close();
    this.emit('close', err);
  }
}
