/**
 * SPDY/3.1 framing: the frame types Skiff's streaming client needs, their binary layout and an
 * incremental parser. Header blocks stay compressed here (see header-block.ts); the session owns
 * the zlib contexts.
 *
 * Control frame: C=1 | version(15) | type(16) | flags(8) | length(24) | payload.
 * Data frame:    C=0 | stream id(31) | flags(8) | length(24) | data.
 */
export const SPDY_VERSION = 3;
export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;
export const MAX_FRAME_LENGTH = 0xffffff;

export const ControlType = {
  SynStream: 1, SynReply: 2, RstStream: 3, Settings: 4, Ping: 6, GoAway: 7, Headers: 8, WindowUpdate: 9,
} as const;

/** RST_STREAM status codes. */
export const RST_PROTOCOL_ERROR = 1;
export const RST_REFUSED_STREAM = 3;
export const RST_CANCEL = 5;

export interface DataFrame { type: 'data'; streamId: number; fin: boolean; data: Buffer }
export interface SynStreamFrame {
  type: 'syn_stream'; streamId: number; associatedTo: number; priority: number; fin: boolean; unidirectional: boolean; headerBlock: Buffer;
}
export interface SynReplyFrame { type: 'syn_reply'; streamId: number; fin: boolean; headerBlock: Buffer }
export interface HeadersFrame { type: 'headers'; streamId: number; fin: boolean; headerBlock: Buffer }
export interface RstStreamFrame { type: 'rst_stream'; streamId: number; status: number }
export interface SettingsFrame { type: 'settings'; clear: boolean; entries: { flags: number; id: number; value: number }[] }
export interface PingFrame { type: 'ping'; id: number }
export interface GoAwayFrame { type: 'goaway'; lastGoodStreamId: number; status: number }
export interface WindowUpdateFrame { type: 'window_update'; streamId: number; delta: number }
/** A control frame of a type this implementation does not know; ignored as the spec asks. */
export interface UnknownFrame { type: 'unknown'; controlType: number; flags: number; payload: Buffer }

export type SpdyFrame =
  | DataFrame | SynStreamFrame | SynReplyFrame | HeadersFrame | RstStreamFrame | SettingsFrame | PingFrame | GoAwayFrame
  | WindowUpdateFrame | UnknownFrame;

export class SpdyProtocolError extends Error {}

const ID_MASK = 0x7fffffff;

function control(type: number, flags: number, payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME_LENGTH) throw new SpdyProtocolError(`frame payload of ${payload.length} bytes is too large`);
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE(((flags & 0xff) << 24 | payload.length) >>> 0, 4);
  return Buffer.concat([head, payload]);
}

function u32s(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

export function encodeFrame(f: SpdyFrame): Buffer {
  switch (f.type) {
    case 'data': {
      if (f.data.length > MAX_FRAME_LENGTH) throw new SpdyProtocolError(`data frame of ${f.data.length} bytes is too large`);
      const head = Buffer.alloc(8);
      head.writeUInt32BE(f.streamId & ID_MASK, 0);
      head.writeUInt32BE(((f.fin ? FLAG_FIN : 0) << 24 | f.data.length) >>> 0, 4);
      return Buffer.concat([head, f.data]);
    }
    case 'syn_stream': {
      const fixed = Buffer.alloc(10);
      fixed.writeUInt32BE(f.streamId & ID_MASK, 0);
      fixed.writeUInt32BE(f.associatedTo & ID_MASK, 4);
      fixed[8] = (f.priority & 0x7) << 5;
      fixed[9] = 0;
      return control(ControlType.SynStream, (f.fin ? FLAG_FIN : 0) | (f.unidirectional ? FLAG_UNIDIRECTIONAL : 0), Buffer.concat([fixed, f.headerBlock]));
    }
    case 'syn_reply':
      return control(ControlType.SynReply, f.fin ? FLAG_FIN : 0, Buffer.concat([u32s(f.streamId & ID_MASK), f.headerBlock]));
    case 'headers':
      return control(ControlType.Headers, f.fin ? FLAG_FIN : 0, Buffer.concat([u32s(f.streamId & ID_MASK), f.headerBlock]));
    case 'rst_stream':
      return control(ControlType.RstStream, 0, u32s(f.streamId & ID_MASK, f.status));
    case 'settings': {
      const body = Buffer.alloc(4 + f.entries.length * 8);
      body.writeUInt32BE(f.entries.length, 0);
      f.entries.forEach((e, i) => {
        body.writeUInt32BE(((e.flags & 0xff) << 24 | (e.id & 0xffffff)) >>> 0, 4 + i * 8);
        body.writeUInt32BE(e.value >>> 0, 8 + i * 8);
      });
      return control(ControlType.Settings, f.clear ? 1 : 0, body);
    }
    case 'ping':
      return control(ControlType.Ping, 0, u32s(f.id));
    case 'goaway':
      return control(ControlType.GoAway, 0, u32s(f.lastGoodStreamId & ID_MASK, f.status));
    case 'window_update':
      return control(ControlType.WindowUpdate, 0, u32s(f.streamId & ID_MASK, f.delta & ID_MASK));
    case 'unknown':
      return control(f.controlType, f.flags, f.payload);
  }
}

function need(payload: Buffer, n: number, what: string): void {
  if (payload.length < n) throw new SpdyProtocolError(`${what} frame too short (${payload.length} bytes)`);
}

function decodeControl(type: number, flags: number, p: Buffer): SpdyFrame {
  const fin = (flags & FLAG_FIN) !== 0;
  switch (type) {
    case ControlType.SynStream:
      need(p, 10, 'SYN_STREAM');
      return {
        type: 'syn_stream', streamId: p.readUInt32BE(0) & ID_MASK, associatedTo: p.readUInt32BE(4) & ID_MASK, priority: p[8]! >> 5,
        fin, unidirectional: (flags & FLAG_UNIDIRECTIONAL) !== 0, headerBlock: p.subarray(10),
      };
    case ControlType.SynReply:
      need(p, 4, 'SYN_REPLY');
      return { type: 'syn_reply', streamId: p.readUInt32BE(0) & ID_MASK, fin, headerBlock: p.subarray(4) };
    case ControlType.Headers:
      need(p, 4, 'HEADERS');
      return { type: 'headers', streamId: p.readUInt32BE(0) & ID_MASK, fin, headerBlock: p.subarray(4) };
    case ControlType.RstStream:
      need(p, 8, 'RST_STREAM');
      return { type: 'rst_stream', streamId: p.readUInt32BE(0) & ID_MASK, status: p.readUInt32BE(4) };
    case ControlType.Settings: {
      need(p, 4, 'SETTINGS');
      const n = p.readUInt32BE(0);
      need(p, 4 + n * 8, 'SETTINGS');
      const entries = [];
      for (let i = 0; i < n; i++) {
        const word = p.readUInt32BE(4 + i * 8);
        entries.push({ flags: word >>> 24, id: word & 0xffffff, value: p.readUInt32BE(8 + i * 8) });
      }
      return { type: 'settings', clear: (flags & 1) !== 0, entries };
    }
    case ControlType.Ping:
      need(p, 4, 'PING');
      return { type: 'ping', id: p.readUInt32BE(0) };
    case ControlType.GoAway:
      need(p, 4, 'GOAWAY');
      return { type: 'goaway', lastGoodStreamId: p.readUInt32BE(0) & ID_MASK, status: p.length >= 8 ? p.readUInt32BE(4) : 0 };
    case ControlType.WindowUpdate:
      need(p, 8, 'WINDOW_UPDATE');
      return { type: 'window_update', streamId: p.readUInt32BE(0) & ID_MASK, delta: p.readUInt32BE(4) & ID_MASK };
    default:
      return { type: 'unknown', controlType: type, flags, payload: p };
  }
}

/** Incremental frame parser: feed bytes as they arrive, get whole frames back. */
export class FrameParser {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): SpdyFrame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: SpdyFrame[] = [];
    while (this.buf.length >= 8) {
      const length = this.buf.readUInt32BE(4) & 0xffffff;
      if (this.buf.length < 8 + length) break;
      const first = this.buf.readUInt32BE(0);
      const flags = this.buf[4]!;
      const payload = Buffer.from(this.buf.subarray(8, 8 + length));
      this.buf = this.buf.subarray(8 + length);
      if (first & 0x80000000) {
        const version = (first >>> 16) & 0x7fff;
        if (version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${version}`);
        out.push(decodeControl(first & 0xffff, flags, payload));
      } else {
        out.push({ type: 'data', streamId: first & ID_MASK, fin: (flags & FLAG_FIN) !== 0, data: payload });
      }
    }
    return out;
  }
}
