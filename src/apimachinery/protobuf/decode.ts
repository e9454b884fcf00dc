/**
 * Decoding of Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`), as sent by
 * kubectl's typed clients, into the JSON shape the rest of the API server works with.
 *
 * Envelope: the 4 bytes `k8s\0`, then a runtime.Unknown message
 *   1 typeMeta {1 apiVersion, 2 kind}   2 raw (the object's own protobuf encoding)
 *   3 contentEncoding                   4 contentType
 * The raw bytes are walked with proto-table.json (see scripts/generate-protobuf-table.ts), and the
 * apimachinery types whose JSON form differs from their message shape are special-cased:
 * Time, MicroTime, Duration, FieldsV1, RawExtension, IntOrString and Quantity.
 *
 * JSON fidelity follows Go's encoders: a field that is absent on the wire stays absent; a zero
 * scalar is dropped only where the Go field is a non-pointer tagged omitempty (Go writes those
 * fields unconditionally, so their zero value carries no meaning), and kept otherwise
 * (`replicas: 0` in a Deployment is an explicit pointer value).
 */
import { createRequire } from 'node:module';
import { StatusError, badRequest } from '../errors.js';

/** [jsonName, kind, typeRef?, flags?]; see the generator for the encoding. */
export type ProtoFieldEntry = [jsonName: string, kind: string, typeRef?: string, flags?: string];
export type ProtoTable = Record<string, Record<string, ProtoFieldEntry>>;

const require = createRequire(import.meta.url);
const table = require('./proto-table.json') as ProtoTable;

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

/** The `k8s\0` prefix of every Kubernetes protobuf body. */
export const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
const TIME = `${META}.Time`;
const MICRO_TIME = `${META}.MicroTime`;
const DURATION = `${META}.Duration`;
const FIELDS_V1 = `${META}.FieldsV1`;
const RAW_EXTENSION = 'k8s.io.apimachinery.pkg.runtime.RawExtension';
const INT_OR_STRING = 'k8s.io.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'k8s.io.apimachinery.pkg.api.resource.Quantity';

export function isProtobufContentType(ct: string | undefined): boolean {
  if (!ct) return false;
  return ct.split(';')[0].trim().toLowerCase() === PROTOBUF_CONTENT_TYPE;
}

/** API groups whose protobuf package name is not the group name minus `.k8s.io`. */
const GROUP_PACKAGES: Record<string, string> = {
  '': 'core',
  'rbac.authorization.k8s.io': 'rbac',
  'flowcontrol.apiserver.k8s.io': 'flowcontrol',
};

/**
 * The protobuf message for a group-version-kind, e.g. `apps/v1` + `Deployment` →
 * `k8s.io.api.apps.v1.Deployment`; undefined when the kind has no entry in the table (custom
 * resources, unserved versions). DeleteOptions maps to meta/v1 under every group-version.
 */
export function protoMessageFor(apiVersion: string, kind: string): string | undefined {
  if (kind === 'DeleteOptions') return `${META}.DeleteOptions`;
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  if (!/^v\d+((alpha|beta)\d+)?$/.test(version) || !/^\w+$/.test(kind)) return undefined;
  let name: string;
  if (group === 'meta.k8s.io') {
    if (version !== 'v1') return undefined;
    name = `${META}.${kind}`;
  } else {
    const pkg = GROUP_PACKAGES[group] ?? (group.endsWith('.k8s.io') ? group.slice(0, -'.k8s.io'.length) : group);
    if (pkg === '' || pkg.includes('.')) return undefined;
    name = `k8s.io.api.${pkg}.${version}.${kind}`;
  }
  return Object.prototype.hasOwnProperty.call(table, name) ? name : undefined;
}

// ---------------------------------------------------------------------------------------------
// Wire reader
// ---------------------------------------------------------------------------------------------

class WireError extends Error {}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_START_GROUP = 3;
const WIRE_END_GROUP = 4;
const WIRE_FIXED32 = 5;

class Reader {
  pos: number;

  constructor(readonly buf: Buffer, start: number, readonly end: number) {
    this.pos = start;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireError('unexpected end of data in varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
    throw new WireError('varint is longer than 10 bytes');
  }

  /** A varint that must fit a non-negative JS number (tags, lengths). */
  smallVarint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.end) throw new WireError('unexpected end of data in varint');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw new WireError('length or tag varint is too large');
  }

  /** Returns [start, end) of a length-delimited payload and advances past it. */
  bytes(): [number, number] {
    const len = this.smallVarint();
    const start = this.pos;
    if (start + len > this.end) throw new WireError('length-delimited field runs past the end of its message');
    this.pos += len;
    return [start, start + len];
  }

  fixed(n: 4 | 8): number {
    if (this.pos + n > this.end) throw new WireError('unexpected end of data in fixed-width field');
    const p = this.pos;
    this.pos += n;
    return p;
  }

  skip(wireType: number, fieldNumber: number): void {
    switch (wireType) {
      case WIRE_VARINT: this.varint(); return;
      case WIRE_FIXED64: this.fixed(8); return;
      case WIRE_BYTES: this.bytes(); return;
      case WIRE_FIXED32: this.fixed(4); return;
      case WIRE_START_GROUP:
        for (;;) {
          if (this.done()) throw new WireError('unterminated group');
          const tag = this.smallVarint();
          if ((tag & 7) === WIRE_END_GROUP) {
            if (Math.floor(tag / 8) !== fieldNumber) throw new WireError('mismatched end group');
            return;
          }
          this.skip(tag & 7, Math.floor(tag / 8));
        }
      default:
        throw new WireError(`invalid wire type ${wireType}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

type Resolver = (apiVersion: string, kind: string) => string | undefined;

interface Ctx { buf: Buffer; resolve: Resolver; depth: number }

const MAX_DEPTH = 100;

const VARINT_SCALARS = new Set(['int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'bool']);

function toNumber(v: bigint): number {
  return Number(v);
}

function varintValue(kind: string, v: bigint): Json {
  switch (kind) {
    case 'int32': return toNumber(BigInt.asIntN(32, v));
    case 'int64': return toNumber(BigInt.asIntN(64, v));
    case 'uint32': return toNumber(BigInt.asUintN(32, v));
    case 'uint64': return toNumber(BigInt.asUintN(64, v));
    case 'sint32':
    case 'sint64': {
      const u = BigInt.asUintN(64, v);
      return toNumber((u >> 1n) ^ -(u & 1n));
    }
    case 'bool': return v !== 0n;
    default: throw new WireError(`varint wire type for a ${kind} field`);
  }
}

function fixedValue(kind: string, buf: Buffer, p: number): Json {
  switch (kind) {
    case 'fixed32': return buf.readUInt32LE(p);
    case 'sfixed32': return buf.readInt32LE(p);
    case 'float': return buf.readFloatLE(p);
    case 'fixed64': return toNumber(buf.readBigUInt64LE(p));
    case 'sfixed64': return toNumber(buf.readBigInt64LE(p));
    case 'double': return buf.readDoubleLE(p);
    default: throw new WireError(`fixed-width wire type for a ${kind} field`);
  }
}

function fixedWidth(kind: string): 4 | 8 | undefined {
  if (kind === 'fixed32' || kind === 'sfixed32' || kind === 'float') return 4;
  if (kind === 'fixed64' || kind === 'sfixed64' || kind === 'double') return 8;
  return undefined;
}

/** Reads one value of a scalar kind at the reader's position, given the field's wire type. */
function readScalar(ctx: Ctx, r: Reader, kind: string, wireType: number): Json {
  if (kind === 'string' || kind === 'bytes') {
    if (wireType !== WIRE_BYTES) throw new WireError(`wire type ${wireType} for a ${kind} field`);
    const [s, e] = r.bytes();
    return kind === 'string' ? ctx.buf.toString('utf8', s, e) : ctx.buf.toString('base64', s, e);
  }
  if (VARINT_SCALARS.has(kind)) {
    if (wireType !== WIRE_VARINT) throw new WireError(`wire type ${wireType} for a ${kind} field`);
    return varintValue(kind, r.varint());
  }
  const width = fixedWidth(kind);
  if (width === undefined) throw new WireError(`unknown scalar type ${kind}`);
  const expected = width === 4 ? WIRE_FIXED32 : WIRE_FIXED64;
  if (wireType !== expected) throw new WireError(`wire type ${wireType} for a ${kind} field`);
  return fixedValue(kind, ctx.buf, r.fixed(width));
}

/** Appends the values of a packed repeated scalar payload. */
function readPacked(ctx: Ctx, kind: string, start: number, end: number, out: Json[]): void {
  const r = new Reader(ctx.buf, start, end);
  const width = fixedWidth(kind);
  while (!r.done()) {
    if (width !== undefined) out.push(fixedValue(kind, ctx.buf, r.fixed(width)));
    else out.push(varintValue(kind, r.varint()));
  }
}

function isZero(v: Json): boolean {
  return v === '' || v === 0 || v === false;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** RFC 3339 in UTC, with `fracDigits` fractional-second digits (0 = none), as Go's formats give. */
function formatTime(seconds: bigint, micros: number, fracDigits: 0 | 6): string {
  const ms = Number(seconds) * 1000;
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) throw new WireError(`timestamp ${seconds} is out of range`);
  const year = d.getUTCFullYear();
  if (year < 0 || year > 9999) throw new WireError(`timestamp ${seconds} is out of range`);
  const base = `${pad(year, 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T` +
    `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
  return fracDigits === 0 ? `${base}Z` : `${base}.${pad(micros, 6)}Z`;
}

function fraction(v: bigint, scale: bigint, digits: number): string {
  const whole = v / scale;
  const frac = v % scale;
  if (frac === 0n) return String(whole);
  return `${whole}.${frac.toString().padStart(digits, '0').replace(/0+$/, '')}`;
}

/** Go's time.Duration.String() for a nanosecond count. */
export function formatGoDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const sign = ns < 0n ? '-' : '';
  let u = ns < 0n ? -ns : ns;
  if (u < 1000n) return `${sign}${u}ns`;
  if (u < 1_000_000n) return `${sign}${fraction(u, 1000n, 3)}µs`;
  if (u < 1_000_000_000n) return `${sign}${fraction(u, 1_000_000n, 6)}ms`;
  const hours = u / 3_600_000_000_000n;
  u %= 3_600_000_000_000n;
  const minutes = u / 60_000_000_000n;
  u %= 60_000_000_000n;
  let out = sign;
  if (hours > 0n) out += `${hours}h`;
  if (hours > 0n || minutes > 0n) out += `${minutes}m`;
  return `${out}${fraction(u, 1_000_000_000n, 9)}s`;
}

/** Reads the fields of a small well-known message as raw varints / byte ranges by number. */
function readRawFields(ctx: Ctx, start: number, end: number): Map<number, bigint | [number, number]> {
  const r = new Reader(ctx.buf, start, end);
  const out = new Map<number, bigint | [number, number]>();
  while (!r.done()) {
    const tag = r.smallVarint();
    const num = Math.floor(tag / 8);
    const wt = tag & 7;
    if (wt === WIRE_VARINT) out.set(num, r.varint());
    else if (wt === WIRE_BYTES) out.set(num, r.bytes());
    else r.skip(wt, num);
  }
  return out;
}

function varintField(f: Map<number, bigint | [number, number]>, n: number): bigint | undefined {
  const v = f.get(n);
  return typeof v === 'bigint' ? v : undefined;
}

function bytesField(f: Map<number, bigint | [number, number]>, n: number): [number, number] | undefined {
  const v = f.get(n);
  return Array.isArray(v) ? v : undefined;
}

function parseEmbeddedJson(ctx: Ctx, start: number, end: number, what: string): Json {
  const slice = ctx.buf.subarray(start, end);
  if (slice.length >= 4 && slice.subarray(0, 4).equals(PROTOBUF_MAGIC)) {
    return decodeEnvelope(slice, ctx.resolve, ctx.depth + 1);
  }
  try {
    return JSON.parse(slice.toString('utf8')) as Json;
  } catch {
    throw new WireError(`${what} does not hold JSON`);
  }
}

/** Decodes the well-known messages whose JSON is not an object of their fields. */
function decodeSpecial(ctx: Ctx, name: string, start: number, end: number): Json | undefined {
  switch (name) {
    case TIME: {
      if (start === end) return null;
      const f = readRawFields(ctx, start, end);
      return formatTime(BigInt.asIntN(64, varintField(f, 1) ?? 0n), 0, 0);
    }
    case MICRO_TIME: {
      if (start === end) return null;
      const f = readRawFields(ctx, start, end);
      const nanos = Number(BigInt.asIntN(32, varintField(f, 2) ?? 0n));
      const seconds = BigInt.asIntN(64, varintField(f, 1) ?? 0n);
      // Go normalises nanos outside [0, 1e9) into the seconds.
      const total = seconds * 1_000_000n + BigInt(Math.trunc(nanos / 1000));
      const secs = total >= 0n ? total / 1_000_000n : -((-total + 999_999n) / 1_000_000n);
      return formatTime(secs, Number(total - secs * 1_000_000n), 6);
    }
    case DURATION: {
      const f = readRawFields(ctx, start, end);
      return formatGoDuration(BigInt.asIntN(64, varintField(f, 1) ?? 0n));
    }
    case FIELDS_V1: {
      const raw = bytesField(readRawFields(ctx, start, end), 1);
      return raw ? parseEmbeddedJson(ctx, raw[0], raw[1], 'FieldsV1') : null;
    }
    case RAW_EXTENSION: {
      const raw = bytesField(readRawFields(ctx, start, end), 1);
      return raw ? parseEmbeddedJson(ctx, raw[0], raw[1], 'RawExtension') : null;
    }
    case INT_OR_STRING: {
      const f = readRawFields(ctx, start, end);
      if ((varintField(f, 1) ?? 0n) === 1n) {
        const s = bytesField(f, 3);
        return s ? ctx.buf.toString('utf8', s[0], s[1]) : '';
      }
      return Number(BigInt.asIntN(32, varintField(f, 2) ?? 0n));
    }
    case QUANTITY: {
      const s = bytesField(readRawFields(ctx, start, end), 1);
      return s && s[1] > s[0] ? ctx.buf.toString('utf8', s[0], s[1]) : '0';
    }
    default:
      return undefined;
  }
}

/** Decodes one element of kind `valueKind` (a scalar or `message` of typeRef) at the reader. */
function readElement(ctx: Ctx, r: Reader, valueKind: string, typeRef: string, wireType: number): Json {
  if (valueKind !== 'message') return readScalar(ctx, r, valueKind, wireType);
  if (wireType !== WIRE_BYTES) throw new WireError(`wire type ${wireType} for a ${typeRef} field`);
  const [s, e] = r.bytes();
  return decodeMessage(ctx, typeRef, s, e);
}

function zeroOf(valueKind: string, typeRef: string, ctx: Ctx): Json {
  if (valueKind === 'message') return decodeMessage(ctx, typeRef, 0, 0);
  if (valueKind === 'string' || valueKind === 'bytes') return '';
  if (valueKind === 'bool') return false;
  return 0;
}

function decodeMapEntry(ctx: Ctx, kind: string, typeRef: string, start: number, end: number): [string, Json] {
  const [, keyKind, valueKind] = kind.split(':');
  const r = new Reader(ctx.buf, start, end);
  let key: Json = zeroOf(keyKind, '', ctx);
  let value: Json | undefined;
  while (!r.done()) {
    const tag = r.smallVarint();
    const num = Math.floor(tag / 8);
    const wt = tag & 7;
    if (num === 1) key = readScalar(ctx, r, keyKind, wt);
    else if (num === 2) value = readElement(ctx, r, valueKind, typeRef, wt);
    else r.skip(wt, num);
  }
  return [String(key), value ?? zeroOf(valueKind, typeRef, ctx)];
}

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function decodeMessage(ctx: Ctx, name: string, start: number, end: number): Json {
  if (ctx.depth > MAX_DEPTH) throw new WireError('message nesting is too deep');
  const special = decodeSpecial(ctx, name, start, end);
  if (special !== undefined) return special;
  const fields = table[name];
  if (!fields) throw new WireError(`no protobuf schema for message ${name}`);
  const inner: Ctx = { ...ctx, depth: ctx.depth + 1 };
  const out: JsonObject = {};
  const r = new Reader(ctx.buf, start, end);
  let unwrap: string | undefined;
  for (const entry of Object.values(fields)) if (entry[3]?.includes('u')) unwrap = entry[0];

  while (!r.done()) {
    const tag = r.smallVarint();
    const num = Math.floor(tag / 8);
    const wt = tag & 7;
    if (num === 0) throw new WireError('field number 0');
    const entry = fields[num];
    if (!entry) {
      r.skip(wt, num);
      continue;
    }
    const [jsonName, kind, typeRef = '', flags = ''] = entry;
    if (kind.startsWith('map:')) {
      if (wt !== WIRE_BYTES) throw new WireError(`wire type ${wt} for map field ${jsonName}`);
      const [s, e] = r.bytes();
      const [k, v] = decodeMapEntry(inner, kind, typeRef, s, e);
      const m = isObject(out[jsonName]) ? (out[jsonName] as JsonObject) : {};
      m[k] = v;
      out[jsonName] = m;
      continue;
    }
    if (kind.startsWith('repeated:')) {
      const valueKind = kind.slice('repeated:'.length);
      const list = Array.isArray(out[jsonName]) ? (out[jsonName] as Json[]) : [];
      if (wt === WIRE_BYTES && valueKind !== 'message' && valueKind !== 'string' && valueKind !== 'bytes') {
        const [s, e] = r.bytes();
        readPacked(inner, valueKind, s, e, list);
      } else {
        list.push(readElement(inner, r, valueKind, typeRef, wt));
      }
      out[jsonName] = list;
      continue;
    }
    const value = readElement(inner, r, kind, typeRef, wt);
    if (flags.includes('i')) {
      if (isObject(value)) Object.assign(out, value);
      continue;
    }
    if (flags.includes('o') && isZero(value)) {
      delete out[jsonName];
      continue;
    }
    const prev = out[jsonName];
    // Protobuf merges repeated occurrences of a singular message field.
    out[jsonName] = isObject(prev) && isObject(value) ? { ...prev, ...value } : value;
  }
  if (unwrap !== undefined) return out[unwrap] ?? [];
  return out;
}

function decodeEnvelope(body: Buffer, resolve: Resolver, depth: number): JsonObject {
  if (body.length < 4 || !body.subarray(0, 4).equals(PROTOBUF_MAGIC)) {
    throw new WireError('the body does not start with the Kubernetes protobuf prefix "k8s\\x00"');
  }
  const ctx: Ctx = { buf: body, resolve, depth };
  const f = readRawFields(ctx, 4, body.length);
  const tm = bytesField(f, 1);
  let apiVersion = '';
  let kind = '';
  if (tm) {
    const t = readRawFields(ctx, tm[0], tm[1]);
    const av = bytesField(t, 1);
    const k = bytesField(t, 2);
    if (av) apiVersion = body.toString('utf8', av[0], av[1]);
    if (k) kind = body.toString('utf8', k[0], k[1]);
  }
  const raw = bytesField(f, 2) ?? [4, 4];
  const encoding = bytesField(f, 3);
  if (encoding && encoding[1] > encoding[0]) {
    throw new WireError(`unsupported content encoding ${JSON.stringify(body.toString('utf8', encoding[0], encoding[1]))}`);
  }
  const ctRange = bytesField(f, 4);
  const contentType = ctRange ? body.toString('utf8', ctRange[0], ctRange[1]) : '';
  if (kind === '') throw new StatusError(400, 'BadRequest', "Object 'Kind' is missing in protobuf body");
  let obj: Json;
  if (contentType !== '' && !isProtobufContentType(contentType)) {
    if (!contentType.toLowerCase().includes('json')) throw new WireError(`unsupported embedded content type ${contentType}`);
    obj = parseEmbeddedJson(ctx, raw[0], raw[1], 'embedded object');
  } else {
    const message = resolve(apiVersion, kind);
    if (!message) {
      throw new StatusError(415, 'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (no protobuf schema for ${apiVersion}, Kind=${kind})`);
    }
    obj = decodeMessage(ctx, message, raw[0], raw[1]);
  }
  if (!isObject(obj)) throw new WireError(`${kind} did not decode to an object`);
  return { apiVersion, kind, ...obj };
}

/**
 * Decodes a `k8s\0`-prefixed runtime.Unknown body into a JSON-shaped object with `apiVersion` and
 * `kind` from the envelope. `resolveMessage` picks the message for the envelope's type (normally
 * protoMessageFor). Malformed input is a 400; a kind without a schema is a 415.
 */
export function decodeKubernetesProtobuf(
  body: Buffer,
  resolveMessage: (apiVersion: string, kind: string) => string | undefined,
): Record<string, unknown> {
  try {
    return decodeEnvelope(body, resolveMessage, 0);
  } catch (e) {
    if (e instanceof WireError) throw badRequest(`error decoding request body: protobuf: ${e.message}`);
    if (e instanceof RangeError) throw badRequest(`error decoding request body: protobuf: ${e.message}`);
    throw e;
  }
}
