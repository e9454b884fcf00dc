/**
 * Discovery documents as kube-apiserver 1.32 serves them, computed from resource descriptions:
 * the legacy per-group documents (`/api`, `/apis`, `/apis/<group>`, `/api/v1`, `/apis/<g>/<v>`) and
 * the aggregated `apidiscovery.k8s.io/v2` documents kubectl asks for first.
 *
 * Every function is pure. The optional `resources` argument lets callers that serve custom
 * resources pass the built-ins plus their own; it defaults to the generated built-ins.
 */
import { createHash } from 'node:crypto';
import { groupVersion } from '../apimachinery/resource-info.js';
import type { ResourceInfo, SubresourceInfo } from '../apimachinery/resource-info.js';
import { GROUP_ORDER, GROUP_VERSIONS, RESOURCES, STORAGE_VERSIONS } from '../apimachinery/generated/resources.js';
import type {
  APIGroup, APIGroupList, APIResource, APIResourceList, APIVersions,
} from '../apimachinery/generated/types.js';

type Resources = readonly ResourceInfo[];

/** Media type of the aggregated discovery response (also the `Accept` clause asking for it). */
export const AGGREGATED_DISCOVERY_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

export interface GroupVersionKind { group: string; version: string; kind: string }

export interface APISubresourceDiscovery {
  subresource: string;
  responseKind?: GroupVersionKind;
  acceptedTypes?: GroupVersionKind[];
  verbs: string[];
}

export interface APIResourceDiscovery {
  resource: string;
  responseKind?: GroupVersionKind;
  scope: 'Namespaced' | 'Cluster';
  singularResource: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  subresources?: APISubresourceDiscovery[];
}

export interface APIVersionDiscovery {
  version: string;
  resources?: APIResourceDiscovery[];
  freshness?: 'Current' | 'Stale';
}

export interface APIGroupDiscovery {
  metadata: { name?: string; creationTimestamp: null };
  versions?: APIVersionDiscovery[];
}

export interface APIGroupDiscoveryList {
  kind: 'APIGroupDiscoveryList';
  apiVersion: 'apidiscovery.k8s.io/v2';
  metadata: Record<string, never>;
  items: APIGroupDiscovery[];
}

// ---------------------------------------------------------------------------------------------
// Lookups
// ---------------------------------------------------------------------------------------------

export function findResource(group: string, version: string, resource: string, resources: Resources = RESOURCES): ResourceInfo | undefined {
  return resources.find((r) => r.group === group && r.version === version && r.resource === resource);
}

export function findByKind(group: string, version: string, kind: string, resources: Resources = RESOURCES): ResourceInfo | undefined {
  return resources.find((r) => r.group === group && r.version === version && r.kind === kind);
}

/** The group/version/kind a resource is stored as (shared by all served versions of it). */
export function storageVersion(r: ResourceInfo): GroupVersionKind {
  const key = r.group ? `${r.resource}.${r.group}` : r.resource;
  return STORAGE_VERSIONS[key] ?? { group: r.group, version: r.version, kind: r.kind };
}

const hashCache = new Map<string, string>();

/**
 * Upstream's storageVersionHash: base64 of the first 8 bytes of sha256("<group>/<version>/<kind>")
 * of the storage version. Clients only compare it for equality. Undefined for virtual resources.
 */
export function storageVersionHash(r: ResourceInfo): string | undefined {
  if (r.virtual) return undefined;
  const s = storageVersion(r);
  const key = `${s.group}/${s.version}/${s.kind}`;
  let h = hashCache.get(key);
  if (!h) {
    h = createHash('sha256').update(key).digest().subarray(0, 8).toString('base64');
    hashCache.set(key, h);
  }
  return h;
}

// ---------------------------------------------------------------------------------------------
// Groups and versions
// ---------------------------------------------------------------------------------------------

/** Kubernetes version priority: GA > beta > alpha, higher numbers first, others alphabetical last. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number] | undefined => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return undefined;
    const level = m[2] === 'alpha' ? 0 : m[2] === 'beta' ? 1 : 2;
    return [level, Number(m[1]), Number(m[3] ?? 0)];
  };
  const pa = parse(a);
  const pb = parse(b);
  if (pa && pb) return pb[0] - pa[0] || pb[1] - pa[1] || pb[2] - pa[2];
  if (pa) return -1;
  if (pb) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Groups (core `` included) in priority order, each with its versions, preferred first. */
function groupsOf(resources: Resources): { group: string; versions: string[] }[] {
  const found = new Map<string, Set<string>>();
  for (const r of resources) {
    let s = found.get(r.group);
    if (!s) { s = new Set(); found.set(r.group, s); }
    s.add(r.version);
  }
  const order = [...GROUP_ORDER.filter((g) => found.has(g)), ...[...found.keys()].filter((g) => !GROUP_ORDER.includes(g))];
  return order.map((group) => {
    const known = GROUP_VERSIONS[group] ?? [];
    const versions = [...(found.get(group) as Set<string>)].sort((a, b) => {
      const ia = known.indexOf(a);
      const ib = known.indexOf(b);
      if (ia >= 0 && ib >= 0) return ia - ib;
      return compareVersions(a, b);
    });
    return { group, versions };
  });
}

/** GET /api */
export function apiVersions(serverAddress = '127.0.0.1:6443', resources: Resources = RESOURCES): APIVersions {
  const core = groupsOf(resources).find((g) => g.group === '');
  return {
    kind: 'APIVersions',
    versions: core ? core.versions : [],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function toApiGroup(group: string, versions: string[]): APIGroup {
  const gv = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { name: group, versions: gv, preferredVersion: gv[0] };
}

/** GET /apis */
export function apiGroupList(resources: Resources = RESOURCES): APIGroupList {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groupsOf(resources).filter((g) => g.group !== '').map((g) => toApiGroup(g.group, g.versions)),
  };
}

/** GET /apis/<group>; undefined when the group is not served. */
export function apiGroup(group: string, resources: Resources = RESOURCES): APIGroup | undefined {
  if (group === '') return undefined;
  const g = groupsOf(resources).find((x) => x.group === group);
  if (!g) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...toApiGroup(g.group, g.versions) };
}

// ---------------------------------------------------------------------------------------------
// Resource lists
// ---------------------------------------------------------------------------------------------

function sameGv(r: ResourceInfo, s: SubresourceInfo): boolean {
  return r.group === s.group && r.version === s.version;
}

function toApiResources(r: ResourceInfo): APIResource[] {
  const top: APIResource = {
    name: r.resource,
    singularName: r.singular,
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: [...r.verbs],
  };
  if (r.shortNames.length) top.shortNames = [...r.shortNames];
  if (r.categories.length) top.categories = [...r.categories];
  const hash = storageVersionHash(r);
  if (hash) top.storageVersionHash = hash;
  const out = [top];
  for (const s of r.subresources) {
    // Upstream names group/version on a subresource only where they differ from the resource's.
    out.push({
      name: `${r.resource}/${s.name}`,
      singularName: '',
      namespaced: r.namespaced,
      ...(sameGv(r, s) ? {} : { group: s.group, version: s.version }),
      kind: s.kind,
      verbs: [...s.verbs],
    });
  }
  return out;
}

function byName<T>(key: (x: T) => string): (a: T, b: T) => number {
  return (a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
}

/** GET /api/v1 or /apis/<group>/<version>; undefined when that group-version is not served. */
export function apiResourceList(group: string, version: string, resources: Resources = RESOURCES): APIResourceList | undefined {
  const rs = resources.filter((r) => r.group === group && r.version === version);
  if (!rs.length) return undefined;
  const list = rs.flatMap(toApiResources).sort(byName((x) => x.name));
  const gv = groupVersion({ group, version });
  // The core list carries no apiVersion upstream; group lists do.
  return group === ''
    ? { kind: 'APIResourceList', groupVersion: gv, resources: list }
    : { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources: list };
}

// ---------------------------------------------------------------------------------------------
// Aggregated discovery (apidiscovery.k8s.io/v2)
// ---------------------------------------------------------------------------------------------

function toResourceDiscovery(r: ResourceInfo): APIResourceDiscovery {
  const d: APIResourceDiscovery = {
    resource: r.resource,
    // responseKind carries group/version only where they differ from the resource's own, as upstream.
    responseKind: { group: '', version: '', kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: [...r.verbs],
  };
  if (r.shortNames.length) d.shortNames = [...r.shortNames];
  if (r.categories.length) d.categories = [...r.categories];
  if (r.subresources.length) {
    d.subresources = [...r.subresources].sort(byName((s) => s.name)).map((s) => ({
      subresource: s.name,
      responseKind: sameGv(r, s) ? { group: '', version: '', kind: s.kind } : { group: s.group, version: s.version, kind: s.kind },
      verbs: [...s.verbs],
    }));
  }
  return d;
}

/**
 * The aggregated discovery document for `/api` (core group only) or `/apis` (all named groups),
 * served when the request's Accept names {@link AGGREGATED_DISCOVERY_CONTENT_TYPE}.
 */
export function aggregatedDiscovery(root: 'api' | 'apis', resources: Resources = RESOURCES): APIGroupDiscoveryList {
  const groups = groupsOf(resources).filter((g) => (root === 'api' ? g.group === '' : g.group !== ''));
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: groups.map((g) => ({
      metadata: g.group ? { name: g.group, creationTimestamp: null } : { creationTimestamp: null },
      versions: g.versions.map((version) => ({
        version,
        resources: resources
          .filter((r) => r.group === g.group && r.version === version)
          .sort(byName((r) => r.resource))
          .map(toResourceDiscovery),
        freshness: 'Current' as const,
      })),
    })),
  };
}

/**
 * True when an Accept header asks for aggregated discovery v2 before any plain JSON clause
 * (kubectl 1.32 sends the v2 clause, then v2beta1, then `application/json`).
 */
export function acceptsAggregatedDiscovery(accept: string | undefined): boolean {
  if (!accept) return false;
  for (const clause of accept.split(',')) {
    const parts = clause.split(';').map((p) => p.trim());
    const type = parts[0].toLowerCase();
    const params = new Map(parts.slice(1).map((p) => {
      const i = p.indexOf('=');
      return [p.slice(0, i).trim().toLowerCase(), p.slice(i + 1).trim()] as [string, string];
    }));
    if (type === 'application/json' && params.get('g') === 'apidiscovery.k8s.io' && params.get('v') === 'v2'
      && params.get('as') === 'APIGroupDiscoveryList') return true;
    if (type === 'application/json' && !params.has('g')) return false;
    if (type === '*/*' || type === 'application/*') return false;
  }
  return false;
}
