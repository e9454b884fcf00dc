/**
 * Discovery through the API (`/api`, `/apis` and each group version), as controllers see any
 * cluster: the preferred version of every group, top-level resources only (no subresources).
 */
import type { GroupVersionResource, RestClient } from './rest-client.js';

export interface DiscoveredResource {
  gvr: GroupVersionResource;
  kind: string;
  namespaced: boolean;
  verbs: string[];
  /** Served in its group's preferred version. */
  preferred: boolean;
}

interface ApiResourceList {
  groupVersion?: string;
  resources?: { name: string; kind: string; namespaced: boolean; verbs?: string[] }[];
}

interface ApiGroupList {
  groups?: { name: string; preferredVersion?: { version: string }; versions?: { version: string }[] }[];
}

interface ApiVersions {
  versions?: string[];
}

/** Resources of every served group version (the core group first), preferred versions marked. */
export async function discoverResources(client: RestClient, signal?: AbortSignal): Promise<DiscoveredResource[]> {
  const groupVersions: { group: string; version: string; preferred: boolean }[] = [];
  const core = await client.request<ApiVersions>({ method: 'GET', path: '/api', signal });
  (core.versions ?? []).forEach((version, i) => groupVersions.push({ group: '', version, preferred: i === 0 }));
  const groups = await client.request<ApiGroupList>({ method: 'GET', path: '/apis', signal });
  for (const g of groups.groups ?? []) {
    const preferred = g.preferredVersion?.version ?? g.versions?.[0]?.version;
    for (const v of g.versions ?? []) groupVersions.push({ group: g.name, version: v.version, preferred: v.version === preferred });
  }
  const lists = await Promise.all(groupVersions.map(async (gv) => {
    const path = gv.group ? `/apis/${gv.group}/${gv.version}` : `/api/${gv.version}`;
    const list = await client.request<ApiResourceList>({ method: 'GET', path, signal });
    return { gv, list };
  }));
  const out: DiscoveredResource[] = [];
  for (const { gv, list } of lists) {
    for (const r of list.resources ?? []) {
      if (r.name.includes('/')) continue;
      out.push({
        gvr: { group: gv.group, version: gv.version, resource: r.name },
        kind: r.kind, namespaced: r.namespaced, verbs: r.verbs ?? [], preferred: gv.preferred,
      });
    }
  }
  return out;
}

export function hasVerbs(r: DiscoveredResource, ...verbs: string[]): boolean {
  return verbs.every((v) => r.verbs.includes(v));
}

/** Preferred-version resources only. */
export async function discoverPreferredResources(client: RestClient, signal?: AbortSignal): Promise<DiscoveredResource[]> {
  return (await discoverResources(client, signal)).filter((r) => r.preferred);
}

/** Maps `apiVersion` + `kind` (as in ownerReferences) to a served resource. */
export interface RestMapper {
  resourceFor(apiVersion: string, kind: string): DiscoveredResource | undefined;
}

export function createRestMapper(resources: DiscoveredResource[]): RestMapper {
  const byKind = new Map<string, DiscoveredResource>();
  for (const r of resources) {
    const apiVersion = r.gvr.group ? `${r.gvr.group}/${r.gvr.version}` : r.gvr.version;
    const key = `${apiVersion}|${r.kind}`;
    if (!byKind.has(key)) byKind.set(key, r);
  }
  return { resourceFor: (apiVersion, kind) => byKind.get(`${apiVersion}|${kind}`) };
}
