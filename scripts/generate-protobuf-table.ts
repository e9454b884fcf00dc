/**
 * Writes src/apimachinery/protobuf/proto-table.json, the field table the Kubernetes protobuf
 * request-body decoder (src/apimachinery/protobuf/decode.ts) walks.
 *
 * Data sources (facts only: message names, field numbers, field names and types):
 *   - k8s.io/api            <group>/<version>/generated.proto for every group-version Skiff serves,
 *                           plus the Go struct tags in that directory's *.go files
 *   - k8s.io/apimachinery   pkg/apis/meta/v1, pkg/runtime, pkg/util/intstr, pkg/api/resource
 *                           generated.proto, plus the Go struct tags of pkg/apis/meta/v1
 *
 * The .proto files give each message's field numbers and wire types. The Go struct tags
 * (`json:"name,omitempty" protobuf:"bytes,2,opt,name=x"`) give what the proto file does not carry:
 * the JSON field name, whether the field is inlined into its parent in JSON (`json:",inline"`), and
 * whether a zero scalar is dropped from JSON (a non-pointer field tagged omitempty; Go's encoders
 * always write such fields, pointer fields only when set).
 *
 * Regenerate (both arguments are git directories; no work tree is needed):
 *
 *   npx tsx scripts/generate-protobuf-table.ts <k8s.io/api git dir> <k8s.io/apimachinery git dir> [ref]
 *   e.g. npx tsx scripts/generate-protobuf-table.ts /work/.mirror/kubernetes+api/repo \
 *          /work/.mirror/kubernetes+apimachinery/repo v0.32.9
 *
 * ref (default v0.32.9, the release matching Kubernetes 1.32) is read in both repositories.
 * Output format, one entry per message:
 *
 *   { "<proto package>.<Message>": { "<field number>": [jsonName, kind, typeRef?, flags?] } }
 *
 *   kind     a scalar type (string, bytes, bool, int32, int64, uint32, uint64, sint32, sint64,
 *            fixed32, fixed64, sfixed32, sfixed64, double, float) or `message`;
 *            prefixed `repeated:` for repeated fields; `map:<keyScalar>:<valueKind>` for maps
 *   typeRef  the full message name when kind involves `message`, otherwise "" (or omitted)
 *   flags    o = drop the field from JSON when it holds its zero value; i = inline the nested
 *            message's fields into the parent; u = the message is a named list type whose JSON is
 *            this one field's value (e.g. meta.v1.Verbs, authentication.v1.ExtraValue)
 *
 * The output is deterministic (sorted message names and field numbers).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outFile = join(root, 'src', 'apimachinery', 'protobuf', 'proto-table.json');

/** Group-version directories of k8s.io/api that Skiff serves. */
const API_DIRS = [
  'core/v1', 'apps/v1', 'batch/v1', 'autoscaling/v1', 'autoscaling/v2', 'networking/v1', 'policy/v1',
  'rbac/v1', 'storage/v1', 'coordination/v1', 'discovery/v1', 'events/v1', 'scheduling/v1', 'node/v1',
  'certificates/v1', 'admissionregistration/v1', 'authentication/v1', 'authorization/v1', 'flowcontrol/v1',
];

/** Package directories of k8s.io/apimachinery referenced by those. */
const APIMACHINERY_DIRS = ['pkg/apis/meta/v1', 'pkg/runtime', 'pkg/util/intstr', 'pkg/api/resource'];

const SCALARS = new Set([
  'string', 'bytes', 'bool', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64',
  'fixed32', 'fixed64', 'sfixed32', 'sfixed64', 'double', 'float',
]);

type FieldEntry = [jsonName: string, kind: string, typeRef?: string, flags?: string];

interface ProtoField { label: 'optional' | 'repeated' | 'map'; type: string; keyType?: string; name: string; num: number }
interface ProtoMessage { pkg: string; name: string; fields: ProtoField[]; namedList: boolean }

interface GoField { jsonName: string | undefined; omitempty: boolean; inline: boolean; pointer: boolean; slice: boolean }

function git(dir: string, args: string[]): string {
  return execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

function show(dir: string, ref: string, path: string): string {
  return git(dir, ['show', `${ref}:${path}`]);
}

function goFilesIn(dir: string, ref: string, pkgDir: string): string[] {
  return git(dir, ['ls-tree', '--name-only', `${ref}:${pkgDir}`])
    .split('\n')
    .filter((f) => f.endsWith('.go') && !f.endsWith('_test.go') && !f.startsWith('zz_generated') && f !== 'generated.pb.go')
    .map((f) => `${pkgDir}/${f}`);
}

// ---------------------------------------------------------------------------------------------
// .proto parsing: only what go-to-protobuf emits (proto2, flat messages, no enums/oneofs).
// ---------------------------------------------------------------------------------------------

function parseProto(text: string): ProtoMessage[] {
  const lines = text.split('\n');
  let pkg = '';
  const messages: ProtoMessage[] = [];
  let current: ProtoMessage | undefined;
  let comments: string[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (line.startsWith('//')) {
      comments.push(line);
      continue;
    }
    if (line === '') {
      if (!current) comments = [];
      continue;
    }
    const pkgMatch = /^package\s+([\w.]+)\s*;/.exec(line);
    if (pkgMatch) {
      pkg = pkgMatch[1];
      comments = [];
      continue;
    }
    const msgMatch = /^message\s+(\w+)\s*\{\s*(\})?$/.exec(line);
    if (msgMatch) {
      if (current) throw new Error(`nested message ${msgMatch[1]} inside ${current.name} is not supported`);
      const namedList = comments.some((c) => c.includes('+protobuf.nullable=true'));
      const msg: ProtoMessage = { pkg, name: msgMatch[1], fields: [], namedList };
      messages.push(msg);
      comments = [];
      if (!msgMatch[2]) current = msg;
      continue;
    }
    if (line === '}') {
      current = undefined;
      comments = [];
      continue;
    }
    if (!current) {
      comments = [];
      continue;
    }
    comments = [];
    const mapMatch = /^map<\s*([\w.]+)\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)\s*;/.exec(line);
    if (mapMatch) {
      current.fields.push({ label: 'map', keyType: mapMatch[1], type: mapMatch[2], name: mapMatch[3], num: Number(mapMatch[4]) });
      continue;
    }
    const fieldMatch = /^(optional|repeated|required)\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*(\[[^\]]*\])?\s*;/.exec(line);
    if (fieldMatch) {
      const label = fieldMatch[1] === 'repeated' ? 'repeated' : 'optional';
      current.fields.push({ label, type: fieldMatch[2], name: fieldMatch[3], num: Number(fieldMatch[4]) });
      continue;
    }
    if (/^(oneof|enum|extensions|reserved|extend|option)\b/.test(line)) {
      if (line.startsWith('option')) continue;
      throw new Error(`unsupported proto construct in ${current.name}: ${line}`);
    }
    throw new Error(`cannot parse proto line in ${current.name}: ${line}`);
  }
  return messages;
}

// ---------------------------------------------------------------------------------------------
// Go struct tags: Go type name -> protobuf field number -> JSON facts.
// ---------------------------------------------------------------------------------------------

function parseGoStructs(text: string, into: Map<string, Map<number, GoField>>): void {
  const lines = text.split('\n');
  let current: Map<number, GoField> | undefined;
  for (const raw of lines) {
    const line = raw.trim();
    const start = /^type\s+(\w+)\s+struct\s*\{\s*$/.exec(line);
    if (start) {
      current = new Map();
      into.set(start[1], current);
      continue;
    }
    if (!current) continue;
    if (raw.startsWith('}')) {
      current = undefined;
      continue;
    }
    if (line.startsWith('//')) continue;
    const tagMatch = /^(.*?)`([^`]*)`\s*(\/\/.*)?$/.exec(line);
    if (!tagMatch) continue;
    const tags = tagMatch[2];
    const pb = /protobuf:"([^"]*)"/.exec(tags);
    if (!pb || pb[1] === '-') continue;
    const num = Number(pb[1].split(',')[1]);
    if (!Number.isInteger(num)) continue;
    const decl = tagMatch[1].trim().split(/\s+/);
    const goType = decl.length >= 2 ? decl[1] : decl[0];
    const js = /json:"([^"]*)"/.exec(tags);
    const jsParts = (js ? js[1] : '').split(',');
    const inline = jsParts.slice(1).includes('inline');
    current.set(num, {
      jsonName: js && jsParts[0] !== '' && jsParts[0] !== '-' ? jsParts[0] : undefined,
      omitempty: jsParts.slice(1).includes('omitempty'),
      inline,
      pointer: goType.startsWith('*'),
      slice: goType.startsWith('[]') || goType.startsWith('map['),
    });
  }
}

// ---------------------------------------------------------------------------------------------

function resolveType(type: string, pkg: string, known: Set<string>): string {
  if (SCALARS.has(type)) return type;
  if (type.startsWith('.')) {
    const full = type.slice(1);
    if (!known.has(full)) throw new Error(`unknown message ${full}`);
    return full;
  }
  const local = `${pkg}.${type}`;
  if (known.has(local)) return local;
  if (known.has(type)) return type;
  throw new Error(`cannot resolve message type ${type} in package ${pkg}`);
}

function main(): void {
  const [apiDir, machineryDir, refArg] = process.argv.slice(2);
  if (!apiDir || !machineryDir) {
    console.error('usage: tsx scripts/generate-protobuf-table.ts <k8s.io/api git dir> <k8s.io/apimachinery git dir> [ref]');
    process.exit(2);
  }
  const ref = refArg ?? 'v0.32.9';

  const sources: { repo: string; dir: string }[] = [
    ...API_DIRS.map((dir) => ({ repo: apiDir, dir })),
    ...APIMACHINERY_DIRS.map((dir) => ({ repo: machineryDir, dir })),
  ];

  const messages: ProtoMessage[] = [];
  /** package -> Go struct name -> field number -> facts */
  const goByPkg = new Map<string, Map<string, Map<number, GoField>>>();
  for (const { repo, dir } of sources) {
    const parsed = parseProto(show(repo, ref, `${dir}/generated.proto`));
    messages.push(...parsed);
    const pkg = parsed[0]?.pkg;
    if (!pkg) continue;
    const structs = new Map<string, Map<number, GoField>>();
    for (const f of goFilesIn(repo, ref, dir)) parseGoStructs(show(repo, ref, f), structs);
    goByPkg.set(pkg, structs);
  }

  const known = new Set(messages.map((m) => `${m.pkg}.${m.name}`));
  const table: Record<string, Record<string, FieldEntry>> = {};
  let renamed = 0;
  let missingGo = 0;
  for (const m of [...messages].sort((a, b) => `${a.pkg}.${a.name}`.localeCompare(`${b.pkg}.${b.name}`))) {
    const goStruct = goByPkg.get(m.pkg)?.get(m.name);
    const entry: Record<string, FieldEntry> = {};
    for (const f of [...m.fields].sort((a, b) => a.num - b.num)) {
      const go = goStruct?.get(f.num);
      if (!go && !m.namedList) missingGo++;
      // Go's JSON name where the struct tag gives one; the proto name for inlined and untagged fields.
      const jsonName = go && !go.inline && go.jsonName !== undefined ? go.jsonName : f.name;
      if (jsonName !== f.name) renamed++;
      let kind: string;
      let typeRef = '';
      const t = resolveType(f.type, m.pkg, known);
      const valueKind = SCALARS.has(t) ? t : 'message';
      if (!SCALARS.has(t)) typeRef = t;
      if (f.label === 'map') kind = `map:${f.keyType ?? 'string'}:${valueKind}`;
      else if (f.label === 'repeated') kind = `repeated:${valueKind}`;
      else kind = valueKind;
      let flags = '';
      if (go?.omitempty && !go.pointer && !go.slice && f.label === 'optional' && SCALARS.has(t)) flags += 'o';
      if (go?.inline) flags += 'i';
      if (m.namedList && m.fields.length === 1 && f.label === 'repeated') flags += 'u';
      const e: FieldEntry = [jsonName, kind];
      if (typeRef || flags) e.push(typeRef);
      if (flags) e.push(flags);
      entry[String(f.num)] = e;
    }
    table[`${m.pkg}.${m.name}`] = entry;
  }

  const lines = Object.keys(table).map((k) => `  ${JSON.stringify(k)}: ${JSON.stringify(table[k])}`);
  writeFileSync(outFile, `{\n${lines.join(',\n')}\n}\n`);
  console.log(`wrote ${Object.keys(table).length} messages to ${outFile} (${renamed} JSON names differ from proto names, ${missingGo} fields without Go tags)`);
}

main();
