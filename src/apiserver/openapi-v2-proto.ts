/**
 * The OpenAPI v2 document in its protobuf form (gnostic's `openapi.v2.Document`), served at
 * /openapi/v2 for `Accept: application/com.github.proto-openapi.spec.v2[@.]v1.0+protobuf`.
 * kubectl reads only this form of v2: it falls back to it for client-side validation of `kind: List`
 * manifests, for kinds without a PATCH operation in v3 (the query-param check), and for
 * `explain --output=plaintext-openapiv2`.
 *
 * Message and field numbers follow gnostic-models `openapiv2/OpenAPIv2.proto`. Only what the JSON
 * document holds is written: definitions (schemas with properties, items, additionalProperties,
 * $ref, required, enum, defaults and x- extensions), paths with their operations and parameters,
 * and the shared parameter definitions. An `Any` carries its value as YAML text (JSON is YAML),
 * which is what gnostic readers decode.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObj(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A protobuf message under construction (proto3, length-delimited nesting). */
class Writer {
  private chunks: Buffer[] = [];

  private varint(n: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(n));
    const bytes: number[] = [];
    while (v >= 0x80n) {
      bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    bytes.push(Number(v));
    this.chunks.push(Buffer.from(bytes));
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  string(field: number, v: Json | undefined): this {
    if (typeof v !== 'string' || v === '') return this;
    return this.bytes(field, Buffer.from(v, 'utf8'));
  }

  strings(field: number, v: Json | undefined): this {
    if (Array.isArray(v)) for (const s of v) if (typeof s === 'string') this.bytes(field, Buffer.from(s, 'utf8'));
    return this;
  }

  bool(field: number, v: Json | undefined): this {
    if (v !== true) return this;
    this.tag(field, 0);
    this.varint(1);
    return this;
  }

  int64(field: number, v: Json | undefined): this {
    if (typeof v !== 'number' || v === 0) return this;
    this.tag(field, 0);
    this.varint(Math.trunc(v));
    return this;
  }

  double(field: number, v: Json | undefined): this {
    if (typeof v !== 'number' || v === 0) return this;
    this.tag(field, 1);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    this.chunks.push(b);
    return this;
  }

  bytes(field: number, b: Buffer): this {
    this.tag(field, 2);
    this.varint(b.length);
    this.chunks.push(b);
    return this;
  }

  message(field: number, m: Writer | undefined): this {
    if (!m) return this;
    return this.bytes(field, m.finish());
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** gnostic Any: the value as YAML text (field 2). */
function any(v: Json): Writer {
  return new Writer().string(2, JSON.stringify(v));
}

/** repeated NamedAny for every `x-` key of `o`. */
function vendorExtensions(w: Writer, field: number, o: JsonObject): void {
  for (const [k, v] of Object.entries(o)) {
    if (k.startsWith('x-')) w.message(field, new Writer().string(1, k).message(2, any(v)));
  }
}

function schema(o: JsonObject): Writer {
  const w = new Writer()
    .string(1, o.$ref)
    .string(2, o.format)
    .string(3, o.title)
    .string(4, o.description);
  if (o.default !== undefined) w.message(5, any(o.default));
  w.double(6, o.multipleOf).double(7, o.maximum).bool(8, o.exclusiveMaximum).double(9, o.minimum).bool(10, o.exclusiveMinimum)
    .int64(11, o.maxLength).int64(12, o.minLength).string(13, o.pattern).int64(14, o.maxItems).int64(15, o.minItems)
    .bool(16, o.uniqueItems).int64(17, o.maxProperties).int64(18, o.minProperties)
    .strings(19, o.required);
  if (Array.isArray(o.enum)) for (const e of o.enum) w.message(20, any(e));
  const ap = o.additionalProperties;
  if (isObj(ap)) w.message(21, new Writer().message(1, schema(ap)));
  else if (typeof ap === 'boolean') {
    // oneof boolean = 2: written even when false, so a reader sees which member is set.
    w.bytes(21, ap ? Buffer.from([0x10, 0x01]) : Buffer.from([0x10, 0x00]));
  }
  if (typeof o.type === 'string') w.message(22, new Writer().string(1, o.type));
  else if (Array.isArray(o.type)) w.message(22, new Writer().strings(1, o.type));
  if (isObj(o.items)) w.message(23, new Writer().message(1, schema(o.items)));
  else if (Array.isArray(o.items)) w.message(23, o.items.reduce((iw, s) => (isObj(s) ? iw.message(1, schema(s)) : iw), new Writer()));
  if (Array.isArray(o.allOf)) for (const s of o.allOf) if (isObj(s)) w.message(24, schema(s));
  if (isObj(o.properties)) w.message(25, namedSchemas(o.properties));
  w.string(26, o.discriminator).bool(27, o.readOnly);
  if (o.example !== undefined) w.message(30, any(o.example));
  vendorExtensions(w, 31, o);
  return w;
}

/** A message whose field 1 is `repeated NamedSchema` (Properties, Definitions). */
function namedSchemas(o: JsonObject): Writer {
  const w = new Writer();
  for (const [name, s] of Object.entries(o)) if (isObj(s)) w.message(1, new Writer().string(1, name).message(2, schema(s)));
  return w;
}

/** Query and formData sub-schemas share one layout; header and path another (no allowEmptyValue). */
function nonBodySubSchema(p: JsonObject, withAllowEmpty: boolean): Writer {
  const o = withAllowEmpty ? 1 : 0;
  const w = new Writer().bool(1, p.required).string(2, p.in).string(3, p.description).string(4, p.name);
  if (withAllowEmpty) w.bool(5, p.allowEmptyValue);
  w.string(5 + o, p.type).string(6 + o, p.format);
  if (p.default !== undefined) w.message(9 + o, any(p.default));
  w.bool(19 + o, p.uniqueItems);
  if (Array.isArray(p.enum)) for (const e of p.enum) w.message(20 + o, any(e));
  vendorExtensions(w, 22 + o, p);
  return w;
}

function parameter(p: JsonObject): Writer {
  if (p.in === 'body') {
    const body = new Writer().string(1, p.description).string(2, p.name).string(3, p.in).bool(4, p.required);
    if (isObj(p.schema)) body.message(5, schema(p.schema));
    vendorExtensions(body, 6, p);
    return new Writer().message(1, body);
  }
  const slot: Record<string, [number, boolean]> = { header: [1, false], formData: [2, true], query: [3, true], path: [4, false] };
  const [field, allowEmpty] = slot[String(p.in)] ?? [3, true];
  return new Writer().message(2, new Writer().message(field, nonBodySubSchema(p, allowEmpty)));
}

function parametersItem(p: JsonObject): Writer {
  if (typeof p.$ref === 'string') return new Writer().message(2, new Writer().string(1, p.$ref).string(2, p.description));
  return new Writer().message(1, parameter(p));
}

function operation(op: JsonObject): Writer {
  const w = new Writer().strings(1, op.tags).string(2, op.summary).string(3, op.description).string(5, op.operationId)
    .strings(6, op.produces).strings(7, op.consumes);
  if (Array.isArray(op.parameters)) for (const p of op.parameters) if (isObj(p)) w.message(8, parametersItem(p));
  if (isObj(op.responses)) {
    const rs = new Writer();
    for (const [code, r] of Object.entries(op.responses)) {
      if (!isObj(r)) continue;
      let value: Writer;
      if (typeof r.$ref === 'string') value = new Writer().message(2, new Writer().string(1, r.$ref));
      else {
        const resp = new Writer().string(1, r.description);
        if (isObj(r.schema)) resp.message(2, new Writer().message(1, schema(r.schema)));
        value = new Writer().message(1, resp);
      }
      rs.message(1, new Writer().string(1, code).message(2, value));
    }
    w.message(9, rs);
  }
  w.strings(10, op.schemes).bool(11, op.deprecated);
  vendorExtensions(w, 13, op);
  return w;
}

const METHOD_FIELDS: Record<string, number> = { get: 2, put: 3, post: 4, delete: 5, options: 6, head: 7, patch: 8 };

function pathItem(item: JsonObject): Writer {
  const w = new Writer().string(1, item.$ref);
  for (const [method, field] of Object.entries(METHOD_FIELDS)) {
    const op = item[method];
    if (isObj(op)) w.message(field, operation(op));
  }
  if (Array.isArray(item.parameters)) for (const p of item.parameters) if (isObj(p)) w.message(9, parametersItem(p));
  vendorExtensions(w, 10, item);
  return w;
}

/** Encodes a parsed OpenAPI v2 (Swagger 2.0) JSON document as gnostic `openapi.v2.Document`. */
export function encodeOpenApiV2(doc: JsonObject): Buffer {
  const w = new Writer().string(1, doc.swagger);
  if (isObj(doc.info)) w.message(2, new Writer().string(1, doc.info.title).string(2, doc.info.version).string(3, doc.info.description));
  w.string(3, doc.host).string(4, doc.basePath).strings(5, doc.schemes).strings(6, doc.consumes).strings(7, doc.produces);
  if (isObj(doc.paths)) {
    const paths = new Writer();
    for (const [p, item] of Object.entries(doc.paths)) if (isObj(item)) paths.message(2, new Writer().string(1, p).message(2, pathItem(item)));
    w.message(8, paths);
  }
  if (isObj(doc.definitions)) w.message(9, namedSchemas(doc.definitions));
  if (isObj(doc.parameters)) {
    const params = new Writer();
    for (const [name, p] of Object.entries(doc.parameters)) if (isObj(p)) params.message(1, new Writer().string(1, name).message(2, parameter(p)));
    w.message(10, params);
  }
  vendorExtensions(w, 16, doc);
  return w.finish();
}

/** Media types kubectl asks for (the deprecated `@` spelling and the current one). */
export const OPENAPI_V2_PROTO_ACCEPT = /application\/com\.github\.proto-openapi\.spec\.v2[@.]v1\.0\+protobuf/;
export const OPENAPI_V2_PROTO_CONTENT_TYPE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

let cached: Buffer | undefined;

/** The protobuf form of `json` (the served v2 document), computed once. */
export function openapiV2Protobuf(json: Buffer): Buffer {
  if (!cached) cached = encodeOpenApiV2(JSON.parse(json.toString('utf8')) as JsonObject);
  return cached;
}
