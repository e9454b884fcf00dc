/**
 * Reads the Kubernetes 1.32 OpenAPI v2 document from ../shared/reference and writes the project's
 * committed schema output under src/apimachinery/generated/ (upstream description texts removed):
 *
 *   definitions.json        every definition (field metadata for validation, patches, apply)
 *   resources.ts            RESOURCES: each served group/version/resource with its subresources
 *   types.ts                TypeScript interfaces for the served definitions
 *   openapi-v2.json         the /openapi/v2 document, restricted to what Skiff serves
 *   openapi-v3/*.json       one /openapi/v3/<gv path> document per served group-version
 *   openapi-v3/index.json   gv path -> file name and content hash
 *
 *   npm run generate
 *
 * The output is deterministic: running the generator twice gives byte-identical files.
 */
import { readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, '..', 'shared', 'reference', 'kubernetes-1.32-openapi-v2.json');
const outDir = join(root, 'src', 'apimachinery', 'generated');

type Json = null | boolean | number | string | Json[] | JsonObject;
interface JsonObject { [k: string]: Json }

interface Gvk { group: string; version: string; kind: string }

// ---------------------------------------------------------------------------------------------
// Facts the OpenAPI document does not carry (taken from upstream 1.32 registry strategies).
// Resource keys use the GroupResource spelling: `pods`, `deployments.apps`.
// ---------------------------------------------------------------------------------------------

/** Served group-versions in discovery priority order; within a group the preferred version first. */
const SERVED: [group: string, version: string][] = [
  ['', 'v1'],
  ['apps', 'v1'],
  ['events.k8s.io', 'v1'],
  ['authentication.k8s.io', 'v1'],
  ['authorization.k8s.io', 'v1'],
  ['autoscaling', 'v2'],
  ['autoscaling', 'v1'],
  ['batch', 'v1'],
  ['certificates.k8s.io', 'v1'],
  ['networking.k8s.io', 'v1'],
  ['policy', 'v1'],
  ['rbac.authorization.k8s.io', 'v1'],
  ['storage.k8s.io', 'v1'],
  ['admissionregistration.k8s.io', 'v1'],
  ['scheduling.k8s.io', 'v1'],
  ['coordination.k8s.io', 'v1'],
  ['node.k8s.io', 'v1'],
  ['discovery.k8s.io', 'v1'],
  ['flowcontrol.apiserver.k8s.io', 'v1'],
];

const SHORT_NAMES: Record<string, string[]> = {
  componentstatuses: ['cs'],
  configmaps: ['cm'],
  endpoints: ['ep'],
  events: ['ev'],
  limitranges: ['limits'],
  namespaces: ['ns'],
  nodes: ['no'],
  persistentvolumeclaims: ['pvc'],
  persistentvolumes: ['pv'],
  pods: ['po'],
  replicationcontrollers: ['rc'],
  resourcequotas: ['quota'],
  serviceaccounts: ['sa'],
  services: ['svc'],
  'daemonsets.apps': ['ds'],
  'deployments.apps': ['deploy'],
  'replicasets.apps': ['rs'],
  'statefulsets.apps': ['sts'],
  'events.events.k8s.io': ['ev'],
  'horizontalpodautoscalers.autoscaling': ['hpa'],
  'cronjobs.batch': ['cj'],
  'certificatesigningrequests.certificates.k8s.io': ['csr'],
  'ingresses.networking.k8s.io': ['ing'],
  'networkpolicies.networking.k8s.io': ['netpol'],
  'poddisruptionbudgets.policy': ['pdb'],
  'storageclasses.storage.k8s.io': ['sc'],
  'priorityclasses.scheduling.k8s.io': ['pc'],
};

const CATEGORIES: Record<string, string[]> = {
  pods: ['all'],
  services: ['all'],
  replicationcontrollers: ['all'],
  'daemonsets.apps': ['all'],
  'deployments.apps': ['all'],
  'replicasets.apps': ['all'],
  'statefulsets.apps': ['all'],
  'horizontalpodautoscalers.autoscaling': ['all'],
  'jobs.batch': ['all'],
  'cronjobs.batch': ['all'],
  'mutatingwebhookconfigurations.admissionregistration.k8s.io': ['api-extensions'],
  'validatingwebhookconfigurations.admissionregistration.k8s.io': ['api-extensions'],
  'validatingadmissionpolicies.admissionregistration.k8s.io': ['api-extensions'],
  'validatingadmissionpolicybindings.admissionregistration.k8s.io': ['api-extensions'],
};

/** Served but not stored: reviews answered on the spot, bindings, component statuses. */
const VIRTUAL = new Set([
  'bindings',
  'componentstatuses',
  'tokenreviews.authentication.k8s.io',
  'selfsubjectreviews.authentication.k8s.io',
  'localsubjectaccessreviews.authorization.k8s.io',
  'selfsubjectaccessreviews.authorization.k8s.io',
  'selfsubjectrulesreviews.authorization.k8s.io',
  'subjectaccessreviews.authorization.k8s.io',
]);

/** Where the storage version differs from the served one (all other resources store as served). */
const STORAGE_OVERRIDES: Record<string, Gvk> = {
  'horizontalpodautoscalers.autoscaling': { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler' },
  'events.events.k8s.io': { group: '', version: 'v1', kind: 'Event' },
};

/** Subresources in the 1.32 document that Skiff does not serve (pods/resize is alpha in 1.32). */
const SKIPPED_SUBRESOURCES = new Set(['pods/resize']);

/** Non-resource paths kept in the served v2 document. */
const NON_RESOURCE_PATHS = new Set(['/api/', '/apis/', '/version/']);

// ---------------------------------------------------------------------------------------------

const doc = JSON.parse(readFileSync(source, 'utf8')) as {
  definitions: Record<string, JsonObject>;
  parameters: Record<string, JsonObject>;
  paths: Record<string, JsonObject>;
  security: Json;
  securityDefinitions: JsonObject;
};

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function groupResource(group: string, resource: string): string {
  return group ? `${resource}.${group}` : resource;
}

/**
 * Removes upstream description texts. Keys under `properties` are field names (PriorityClass has a
 * field called `description`) and stay; a response object's own description ("OK") stays because
 * both OpenAPI versions require it.
 */
function stripDescriptions(v: Json, mode: 'schema' | 'names' | 'responses' | 'response' = 'schema'): Json {
  if (Array.isArray(v)) return v.map((x) => stripDescriptions(x));
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, val] of Object.entries(v)) {
    if (k === 'description' && mode !== 'names' && mode !== 'response') continue;
    let child: 'schema' | 'names' | 'responses' | 'response' = 'schema';
    if (mode === 'names') child = 'schema';
    else if (mode === 'responses') child = 'response';
    else if (k === 'properties' || k === 'definitions' || k === 'parameters' && !Array.isArray(val)) child = 'names';
    else if (k === 'responses') child = 'responses';
    out[k] = stripDescriptions(val, child);
  }
  return out;
}

/** Every `$ref` target (definitions and shared parameters) reachable from a value. */
function collectRefs(v: Json, into: Set<string>): void {
  if (Array.isArray(v)) { for (const x of v) collectRefs(x, into); return; }
  if (!isObject(v)) return;
  for (const [k, val] of Object.entries(v)) {
    if (k === '$ref' && typeof val === 'string') into.add(val);
    else collectRefs(val, into);
  }
}

/** Closure of definition names referenced from `seed` (following definitions into definitions). */
function definitionClosure(seed: Json): string[] {
  const refs = new Set<string>();
  collectRefs(seed, refs);
  const seen = new Set<string>();
  const queue: string[] = [];
  const enqueue = (ref: string): void => {
    if (ref.startsWith('#/parameters/')) {
      const p = doc.parameters[ref.slice('#/parameters/'.length)];
      if (p) { const inner = new Set<string>(); collectRefs(p, inner); for (const r of inner) enqueue(r); }
      return;
    }
    const name = ref.replace('#/definitions/', '');
    if (seen.has(name) || !doc.definitions[name]) return;
    seen.add(name);
    queue.push(name);
  };
  for (const r of refs) enqueue(r);
  while (queue.length) {
    const name = queue.pop() as string;
    const inner = new Set<string>();
    collectRefs(doc.definitions[name] as Json, inner);
    for (const r of inner) enqueue(r);
  }
  return [...seen].sort();
}

// ---------------------------------------------------------------------------------------------
// Paths -> resources
// ---------------------------------------------------------------------------------------------

interface ParsedPath {
  group: string;
  version: string;
  namespaced: boolean;
  resource?: string;
  subresource?: string;
}

function parsePath(path: string): ParsedPath | undefined {
  const segs = path.split('/').filter(Boolean);
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 2) { group = ''; version = segs[1]; rest = segs.slice(2); }
  else if (segs[0] === 'apis' && segs.length >= 3) { group = segs[1]; version = segs[2]; rest = segs.slice(3); }
  else return undefined;
  if (rest[0] === 'watch') rest = rest.slice(1);
  let namespaced = false;
  if (rest[0] === 'namespaces' && rest[1] === '{namespace}' && rest.length >= 3) {
    namespaced = true;
    rest = rest.slice(2);
  }
  if (rest.length === 0) return { group, version, namespaced };
  return { group, version, namespaced, resource: rest[0], subresource: rest[1] === '{name}' ? rest[2] : undefined };
}

const servedGv = new Set(SERVED.map(([g, v]) => `${g}/${v}`));
function isServedPath(path: string): boolean {
  if (NON_RESOURCE_PATHS.has(path)) return true;
  const segs = path.split('/').filter(Boolean);
  if (segs[0] === 'apis' && segs.length === 2) return SERVED.some(([g]) => g === segs[1]);
  const p = parsePath(path);
  if (!p || !servedGv.has(`${p.group}/${p.version}`)) return false;
  if (p.resource && p.subresource && SKIPPED_SUBRESOURCES.has(`${p.resource}/${p.subresource}`)) return false;
  return true;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'];
const CONNECT_VERB: Record<string, string> = {
  get: 'get', head: 'get', options: 'get', post: 'create', put: 'update', patch: 'patch', delete: 'delete',
};
const ACTION_VERB: Record<string, string> = {
  get: 'get', list: 'list', watch: 'watch', watchlist: 'watch', post: 'create', put: 'update',
  patch: 'patch', delete: 'delete', deletecollection: 'deletecollection',
};

interface SubAgg { gvk?: Gvk; verbs: Set<string> }
interface ResAgg { group: string; version: string; resource: string; namespaced: boolean; gvk?: Gvk; verbs: Set<string>; subs: Map<string, SubAgg> }

const aggs = new Map<string, ResAgg>();
for (const [path, item] of Object.entries(doc.paths)) {
  if (!isServedPath(path)) continue;
  const p = parsePath(path);
  if (!p || !p.resource) continue;
  const key = `${p.group}/${p.version}/${p.resource}`;
  let agg = aggs.get(key);
  if (!agg) {
    agg = { group: p.group, version: p.version, resource: p.resource, namespaced: false, verbs: new Set(), subs: new Map() };
    aggs.set(key, agg);
  }
  if (p.namespaced) agg.namespaced = true;
  for (const method of HTTP_METHODS) {
    const op = item[method];
    if (!isObject(op)) continue;
    const action = String(op['x-kubernetes-action'] ?? '');
    const verb = action === 'connect' ? CONNECT_VERB[method] : ACTION_VERB[action];
    if (!verb) throw new Error(`unknown action ${action} on ${method} ${path}`);
    const gvk = op['x-kubernetes-group-version-kind'] as unknown as Gvk | undefined;
    if (p.subresource) {
      let sub = agg.subs.get(p.subresource);
      if (!sub) { sub = { verbs: new Set() }; agg.subs.set(p.subresource, sub); }
      sub.verbs.add(verb);
      sub.gvk ??= gvk;
    } else {
      agg.verbs.add(verb);
      agg.gvk ??= gvk;
    }
  }
}

const definitionByGvk = new Map<string, string>();
for (const [name, def] of Object.entries(doc.definitions)) {
  for (const g of (def['x-kubernetes-group-version-kind'] ?? []) as unknown as Gvk[]) {
    const key = `${g.group}/${g.version}/${g.kind}`;
    if (!definitionByGvk.has(key) || name.startsWith('io.k8s.api.')) definitionByGvk.set(key, name);
  }
}

interface ResourceOut {
  group: string; version: string; resource: string; singular: string; kind: string; listKind: string;
  namespaced: boolean; verbs: string[]; shortNames: string[]; categories: string[];
  subresources: { name: string; group: string; version: string; kind: string; verbs: string[] }[];
  definition: string; virtual?: boolean;
}

const gvOrder = new Map(SERVED.map(([g, v], i) => [`${g}/${v}`, i]));
const resources: ResourceOut[] = [...aggs.values()]
  .sort((a, b) => (gvOrder.get(`${a.group}/${a.version}`) ?? 0) - (gvOrder.get(`${b.group}/${b.version}`) ?? 0)
    || (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0))
  .map((a) => {
    if (!a.gvk) throw new Error(`no kind for ${a.group}/${a.version}/${a.resource}`);
    const gr = groupResource(a.group, a.resource);
    const definition = definitionByGvk.get(`${a.gvk.group}/${a.gvk.version}/${a.gvk.kind}`);
    if (!definition) throw new Error(`no definition for ${gr}`);
    const out: ResourceOut = {
      group: a.group,
      version: a.version,
      resource: a.resource,
      singular: a.gvk.kind.toLowerCase(),
      kind: a.gvk.kind,
      listKind: `${a.gvk.kind}List`,
      namespaced: a.namespaced,
      verbs: [...a.verbs].sort(),
      shortNames: SHORT_NAMES[gr] ?? [],
      categories: CATEGORIES[gr] ?? [],
      subresources: [...a.subs.entries()].sort(([x], [y]) => (x < y ? -1 : 1)).map(([name, s]) => {
        const gvk = s.gvk ?? a.gvk as Gvk;
        return { name, group: gvk.group, version: gvk.version, kind: gvk.kind, verbs: [...s.verbs].sort() };
      }),
      definition,
    };
    if (VIRTUAL.has(gr)) out.virtual = true;
    return out;
  });

for (const key of [...Object.keys(SHORT_NAMES), ...Object.keys(CATEGORIES), ...VIRTUAL]) {
  if (!resources.some((r) => groupResource(r.group, r.resource) === key)) throw new Error(`facts name unknown resource ${key}`);
}

const storageVersions: Record<string, Gvk> = {};
for (const r of resources) {
  if (r.virtual) continue;
  const gr = groupResource(r.group, r.resource);
  if (storageVersions[gr]) continue;
  storageVersions[gr] = STORAGE_OVERRIDES[gr] ?? { group: r.group, version: r.version, kind: r.kind };
}

// ---------------------------------------------------------------------------------------------
// Served OpenAPI v2
// ---------------------------------------------------------------------------------------------

const servedPaths: Record<string, JsonObject> = {};
for (const path of Object.keys(doc.paths).sort()) {
  if (isServedPath(path)) servedPaths[path] = doc.paths[path];
}

function buildV2(): JsonObject {
  const paths = stripDescriptions(servedPaths as unknown as Json, 'names') as JsonObject;
  const refs = new Set<string>();
  collectRefs(paths, refs);
  const parameters: JsonObject = {};
  for (const r of [...refs].sort()) {
    if (!r.startsWith('#/parameters/')) continue;
    const name = r.slice('#/parameters/'.length);
    parameters[name] = stripDescriptions(doc.parameters[name]);
  }
  const definitions: JsonObject = {};
  for (const name of definitionClosure(servedPaths as unknown as Json)) {
    definitions[name] = stripDescriptions(doc.definitions[name]);
  }
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    definitions,
    parameters,
    securityDefinitions: stripDescriptions(doc.securityDefinitions, 'names'),
    security: doc.security,
  };
}

// ---------------------------------------------------------------------------------------------
// Served OpenAPI v3 (one document per group-version)
// ---------------------------------------------------------------------------------------------

function toV3Schema(v: Json): Json {
  if (Array.isArray(v)) return v.map(toV3Schema);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, val] of Object.entries(v)) {
    if (k === '$ref' && typeof val === 'string') out[k] = val.replace('#/definitions/', '#/components/schemas/');
    else if (k === 'properties' && isObject(val)) {
      const props: JsonObject = {};
      for (const [pk, pv] of Object.entries(val)) props[pk] = wrapRef(toV3Schema(pv));
      out[k] = props;
    } else if (k === 'items' || k === 'additionalProperties') out[k] = wrapRef(toV3Schema(val));
    else out[k] = toV3Schema(val);
  }
  return out;
}

/** A `$ref` with siblings (e.g. patch strategy) becomes `allOf: [$ref]` + siblings, as upstream. */
function wrapRef(v: Json): Json {
  if (!isObject(v) || typeof v.$ref !== 'string' || Object.keys(v).length === 1) return v;
  const { $ref, ...rest } = v;
  return { allOf: [{ $ref }], ...rest };
}

function resolveParameter(p: Json): JsonObject {
  if (isObject(p) && typeof p.$ref === 'string') {
    return doc.parameters[p.$ref.slice('#/parameters/'.length)];
  }
  return p as JsonObject;
}

function toV3Parameter(p: JsonObject): JsonObject {
  const { name, in: where, required, description: _d, schema: _s, ...typeProps } = p;
  void _d; void _s;
  const out: JsonObject = { name, in: where };
  if (required !== undefined) out.required = required;
  out.schema = toV3Schema(typeProps);
  return out;
}

function toV3Operation(op: JsonObject, pathLevelParams: Json[]): JsonObject {
  void pathLevelParams;
  const out: JsonObject = {};
  if (op.tags) out.tags = op.tags;
  if (op.operationId) out.operationId = op.operationId;
  const params: JsonObject[] = [];
  for (const raw of (op.parameters ?? []) as Json[]) {
    const p = resolveParameter(raw);
    if (p.in === 'body') {
      const consumes = ((op.consumes ?? ['*/*']) as string[]);
      const content: JsonObject = {};
      for (const ct of consumes) content[ct] = { schema: toV3Schema(p.schema) };
      out.requestBody = { content, ...(p.required ? { required: true } : {}) };
    } else params.push(toV3Parameter(p));
  }
  if (params.length) out.parameters = params;
  const responses: JsonObject = {};
  for (const [code, resp] of Object.entries((op.responses ?? {}) as JsonObject)) {
    if (!isObject(resp)) continue;
    const r: JsonObject = { description: (resp.description ?? '') as string };
    if (resp.schema) {
      const content: JsonObject = {};
      for (const ct of (op.produces ?? ['application/json']) as string[]) content[ct] = { schema: toV3Schema(resp.schema) };
      r.content = content;
    }
    responses[code] = r;
  }
  out.responses = responses;
  for (const k of ['x-kubernetes-action', 'x-kubernetes-group-version-kind']) {
    if (op[k] !== undefined) out[k] = op[k];
  }
  return out;
}

function buildV3(group: string, version: string): JsonObject {
  const paths: JsonObject = {};
  const gvPaths: Record<string, JsonObject> = {};
  for (const [path, item] of Object.entries(servedPaths)) {
    const p = parsePath(path);
    if (!p || p.group !== group || p.version !== version) continue;
    gvPaths[path] = item;
    const outItem: JsonObject = {};
    const pathParams = (item.parameters ?? []) as Json[];
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (isObject(op)) outItem[method] = toV3Operation(op, pathParams);
    }
    if (pathParams.length) outItem.parameters = pathParams.map((x) => toV3Parameter(resolveParameter(x)));
    paths[path] = outItem;
  }
  const schemas: JsonObject = {};
  for (const name of definitionClosure(gvPaths as unknown as Json)) {
    schemas[name] = V3_SCHEMA_OVERRIDES[name] ?? toV3Schema(stripDescriptions(doc.definitions[name]));
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: {
      schemas,
      securitySchemes: { BearerToken: { type: 'apiKey', name: 'authorization', in: 'header' } },
    },
    security: [{ BearerToken: [] }],
  };
}

/**
 * Types that are one of several JSON types are spelled with anyOf/oneOf in v3 (no `type`), which
 * is also what makes `kubectl explain` print `<IntOrString>` and `map[string]Quantity`.
 */
const V3_SCHEMA_OVERRIDES: Record<string, JsonObject> = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': {
    'x-kubernetes-int-or-string': true,
    anyOf: [{ type: 'integer' }, { type: 'string' }],
  },
  'io.k8s.apimachinery.pkg.api.resource.Quantity': {
    oneOf: [{ type: 'string' }, { type: 'number' }],
  },
};

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

// ---------------------------------------------------------------------------------------------
// TypeScript types
// ---------------------------------------------------------------------------------------------

function packagePrefix(def: string): string {
  const parts = def.split('.');
  parts.pop();
  const version = parts[parts.length - 1];
  const pkg = /^v\d/.test(version) ? parts[parts.length - 2] + version : version;
  return pkg.charAt(0).toUpperCase() + pkg.slice(1).replace(/v(\d)/, 'V$1');
}

function isPrimary(def: string): boolean {
  return def.startsWith('io.k8s.api.core.v1.') || def.startsWith('io.k8s.apimachinery.');
}

function typeNames(defs: string[]): Map<string, string> {
  const byShort = new Map<string, string[]>();
  for (const d of defs) {
    const s = d.split('.').pop() as string;
    byShort.set(s, [...(byShort.get(s) ?? []), d]);
  }
  const names = new Map<string, string>();
  for (const [short, list] of byShort) {
    for (const d of list) names.set(d, list.length === 1 || isPrimary(d) ? short : packagePrefix(d) + short);
  }
  const seen = new Set<string>();
  for (const n of names.values()) {
    if (seen.has(n)) throw new Error(`type name collision: ${n}`);
    seen.add(n);
  }
  return names;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function buildTypes(defs: string[]): string {
  const names = typeNames(defs);
  const tsType = (node: Json | undefined): string => {
    if (!isObject(node)) return 'unknown';
    if (typeof node.$ref === 'string') {
      const n = names.get(node.$ref.replace('#/definitions/', ''));
      if (!n) throw new Error(`unresolved ref ${node.$ref}`);
      return n;
    }
    if (node.format === 'int-or-string') return 'number | string';
    switch (node.type) {
      case 'string': return 'string';
      case 'integer': case 'number': return 'number';
      case 'boolean': return 'boolean';
      case 'array': {
        const t = tsType(node.items);
        return t.includes(' ') ? `Array<${t}>` : `${t}[]`;
      }
      case 'object': {
        if (isObject(node.properties)) return inlineObject(node);
        if (isObject(node.additionalProperties)) return `Record<string, ${tsType(node.additionalProperties)}>`;
        return 'Record<string, unknown>';
      }
      default: return 'unknown';
    }
  };
  const fieldLines = (node: JsonObject, indent: string): string[] => {
    const required = new Set((node.required ?? []) as string[]);
    const lines: string[] = [];
    for (const [k, v] of Object.entries(node.properties as JsonObject)) {
      const key = IDENT.test(k) ? k : JSON.stringify(k);
      lines.push(`${indent}${key}${required.has(k) ? '' : '?'}: ${tsType(v)};`);
    }
    return lines;
  };
  const inlineObject = (node: JsonObject): string => `{ ${fieldLines(node, '').join(' ')} }`;

  const special: Record<string, string> = {
    'io.k8s.apimachinery.pkg.api.resource.Quantity': 'string | number',
    'io.k8s.apimachinery.pkg.util.intstr.IntOrString': 'number | string',
  };
  const out: string[] = [
    '// Generated by scripts/generate-schema.ts from the Kubernetes 1.32 OpenAPI document. Do not edit.',
    '// One type per served definition, named by kind; a name used by several API groups is',
    '// prefixed with its package and version (AutoscalingV2HorizontalPodAutoscaler) unless the',
    '// definition is from core/v1 or apimachinery, which keep the plain name.',
    '/* eslint-disable */',
    '',
  ];
  for (const d of [...defs].sort((a, b) => ((names.get(a) as string) < (names.get(b) as string) ? -1 : 1))) {
    const node = doc.definitions[d];
    const name = names.get(d) as string;
    out.push(`/** \`${d}\` */`);
    if (special[d]) out.push(`export type ${name} = ${special[d]};`);
    else if (isObject(node.properties)) {
      out.push(`export interface ${name} {`, ...fieldLines(node, '  '), '}');
    } else out.push(`export type ${name} = ${tsType(node)};`);
    out.push('');
  }
  out.push('/** Every generated type by its OpenAPI definition name. */', 'export interface Definitions {');
  for (const d of defs) out.push(`  ${JSON.stringify(d)}: ${names.get(d)};`);
  out.push('}', '');
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// resources.ts
// ---------------------------------------------------------------------------------------------

function buildResourcesModule(): string {
  const groupOrder: string[] = [];
  const versions: Record<string, string[]> = {};
  for (const [g, v] of SERVED) {
    if (!groupOrder.includes(g)) groupOrder.push(g);
    (versions[g] ??= []).push(v);
  }
  const lines = [
    '// Generated by scripts/generate-schema.ts from the Kubernetes 1.32 OpenAPI document and the',
    '// facts table in that script (short names, categories, storage versions). Do not edit.',
    "import type { ResourceInfo } from '../resource-info.js';",
    '',
    '/** Every served group/version/resource, in discovery order (group priority, then name). */',
    'export const RESOURCES: ResourceInfo[] = [',
    ...resources.map((r) => `  ${JSON.stringify(r)},`),
    '];',
    '',
    '/** API groups in discovery priority order (`` is the core group). */',
    `export const GROUP_ORDER: readonly string[] = ${JSON.stringify(groupOrder)};`,
    '',
    '/** Served versions of each group, preferred version first. */',
    `export const GROUP_VERSIONS: Readonly<Record<string, readonly string[]>> = ${JSON.stringify(versions)};`,
    '',
    '/**',
    ' * The version each stored resource is written in, keyed by group-resource (`pods`,',
    ' * `deployments.apps`). Every served version of a resource shares one storage version.',
    ' */',
    'export const STORAGE_VERSIONS: Readonly<Record<string, { group: string; version: string; kind: string }>> = {',
    ...Object.entries(storageVersions).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},`),
    '};',
    '',
  ];
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Write everything
// ---------------------------------------------------------------------------------------------

mkdirSync(outDir, { recursive: true });
const definitions = stripDescriptions(doc.definitions as unknown as Json, 'names');
writeFileSync(join(outDir, 'definitions.json'), JSON.stringify(definitions, null, 1) + '\n');

writeFileSync(join(outDir, 'resources.ts'), buildResourcesModule());

const servedDefinitions = definitionClosure(servedPaths as unknown as Json);
writeFileSync(join(outDir, 'types.ts'), buildTypes(servedDefinitions));

writeFileSync(join(outDir, 'openapi-v2.json'), JSON.stringify(buildV2()));

const v3Dir = join(outDir, 'openapi-v3');
rmSync(v3Dir, { recursive: true, force: true });
mkdirSync(v3Dir, { recursive: true });
const index: Record<string, { file: string; hash: string }> = {};
for (const [g, v] of SERVED) {
  const path = gvPath(g, v);
  const file = `${path.replace(/\//g, '-')}.json`;
  const text = JSON.stringify(buildV3(g, v));
  writeFileSync(join(v3Dir, file), text);
  index[path] = { file, hash: createHash('sha512').update(text).digest('hex').toUpperCase() };
}
writeFileSync(join(v3Dir, 'index.json'), JSON.stringify(index, null, 1) + '\n');

console.log(`wrote ${Object.keys(doc.definitions).length} definitions, ${resources.length} resources, `
  + `${servedDefinitions.length} types, ${Object.keys(servedPaths).length} v2 paths, ${SERVED.length} v3 documents to ${outDir}`);
