/**
 * Quota evaluators (upstream pkg/quota/v1/evaluator/core and generic): for one kind of object,
 * which quota resource names it can consume, how much one object consumes, which quota scopes
 * it falls under, and (pods only) which resources every container must declare. Shared by the
 * ResourceQuota admission plugin (charges writes) and the quota controller (recomputes usage).
 */
import type { KubeObject } from '../object.js';
import type { PersistentVolumeClaim, PodSpec, PodStatus, ServiceSpec } from '../generated/types.js';
import type { ResourceList } from './resource-list.js';
import { count, parseResourceList } from './resource-list.js';
import { containerResources, podResources } from './pod-resources.js';

export interface ScopeRequirement {
  scopeName: string;
  operator: string;
  values?: string[];
}

export interface QuotaEvaluator {
  readonly group: string;
  readonly resource: string;
  /** Whether a write with this operation can change usage (object counts: creates only). */
  handles(operation: string): boolean;
  /** The names among `names` this evaluator accounts for. */
  matchingResources(names: Iterable<string>): string[];
  /** What one object consumes (`now` decides whether a deleted pod's grace period ran out). */
  usage(obj: KubeObject, now?: Date): ResourceList;
  matchesScope(scope: ScopeRequirement, obj: KubeObject): boolean;
  /** An error text when `obj` fails the constraints of the `required` resources. */
  constraints(required: readonly string[], obj: KubeObject): string | undefined;
}

export const STORAGE_CLASS_SUFFIX = '.storageclass.storage.k8s.io/';

/** `count/<resource>` for the core group, else `count/<resource>.<group>`. */
export function objectCountName(group: string, resource: string): string {
  return group ? `count/${resource}.${group}` : `count/${resource}`;
}

/** Pre-`count/` names that still count objects of these core resources. */
const LEGACY_COUNT_ALIASES: Readonly<Record<string, string>> = {
  configmaps: 'configmaps',
  resourcequotas: 'resourcequotas',
  replicationcontrollers: 'replicationcontrollers',
  secrets: 'secrets',
};

function genericEvaluator(group: string, resource: string): QuotaEvaluator {
  const names = [objectCountName(group, resource)];
  const alias = group === '' ? LEGACY_COUNT_ALIASES[resource] : undefined;
  if (alias) names.push(alias);
  return {
    group, resource,
    handles: (op) => op === 'CREATE',
    matchingResources: (input) => [...input].filter((n) => names.includes(n)),
    usage() {
      const out: ResourceList = new Map();
      for (const n of names) out.set(n, count(1));
      return out;
    },
    matchesScope: () => false,
    constraints: () => undefined,
  };
}

// ------------------------------------------------------------------ pods

const POD_RESOURCES = new Set([
  'count/pods', 'pods', 'cpu', 'memory', 'ephemeral-storage',
  'requests.cpu', 'requests.memory', 'requests.ephemeral-storage',
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage',
]);
/** Resources each container must declare when a quota limits them. */
const POD_VALIDATION_SET = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);

function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

function isExtendedResource(name: string): boolean {
  return !isNativeResource(name) && !name.startsWith('requests.');
}

function podResourceMatches(name: string): boolean {
  if (POD_RESOURCES.has(name)) return true;
  if (name.startsWith('hugepages-') || name.startsWith('requests.hugepages-')) return true;
  // Extended resources are quota'd only as `requests.<name>`.
  return name.startsWith('requests.') && isExtendedResource(name.slice('requests.'.length));
}

/** Usage from summed requests and limits (upstream podComputeUsageHelper). */
export function podComputeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const out: ResourceList = new Map([['pods', count(1)]]);
  for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
    const req = requests.get(r);
    if (req) {
      out.set(r, req);
      out.set(`requests.${r}`, req);
    }
    const lim = limits.get(r);
    if (lim) out.set(`limits.${r}`, lim);
  }
  for (const [r, q] of requests) {
    if (r.startsWith('hugepages-')) {
      out.set(r, q);
      out.set(`requests.${r}`, q);
    }
    if (isExtendedResource(r)) out.set(`requests.${r}`, q);
  }
  return out;
}

type PodLike = KubeObject & { spec?: PodSpec; status?: PodStatus };

/** Whether a pod still counts against compute quota (not terminal, grace period not over). */
export function podCountsAgainstQuota(pod: KubeObject, now: Date = new Date()): boolean {
  const p = pod as PodLike;
  const phase = p.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const del = p.metadata.deletionTimestamp;
  const grace = p.metadata.deletionGracePeriodSeconds;
  if (del && grace !== undefined && grace !== null) {
    const end = Date.parse(del) + grace * 1000;
    if (now.getTime() > end) return false;
  }
  return true;
}

function isBestEffort(spec: PodSpec): boolean {
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    for (const field of ['requests', 'limits'] as const) {
      const list = containerResources(c, field);
      for (const r of ['cpu', 'memory']) {
        const q = list.get(r);
        if (q && !q.isZero()) return false;
      }
    }
  }
  return true;
}

function usesCrossNamespaceAffinity(spec: PodSpec): boolean {
  const aff = spec.affinity;
  const terms = [
    ...(aff?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
    ...(aff?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => w.podAffinityTerm),
    ...(aff?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
    ...(aff?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => w.podAffinityTerm),
  ];
  return terms.some((t) => (t.namespaces?.length ?? 0) > 0 || t.namespaceSelector !== undefined && t.namespaceSelector !== null);
}

const podEvaluator: QuotaEvaluator = {
  group: '', resource: 'pods',
  handles: (op) => op === 'CREATE',
  matchingResources: (input) => [...input].filter(podResourceMatches),
  usage(obj, now) {
    const out: ResourceList = new Map([['count/pods', count(1)]]);
    if (!podCountsAgainstQuota(obj, now)) return out;
    const spec = (obj as PodLike).spec ?? { containers: [] };
    const compute = podComputeUsage(podResources(spec, 'requests', { overhead: true }), podResources(spec, 'limits', { overhead: true }));
    for (const [k, v] of compute) out.set(k, v);
    return out;
  },
  matchesScope(scope, obj) {
    const spec = (obj as PodLike).spec ?? { containers: [] };
    const terminating = spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null && spec.activeDeadlineSeconds >= 0;
    switch (scope.scopeName) {
      case 'Terminating': return terminating;
      case 'NotTerminating': return !terminating;
      case 'BestEffort': return isBestEffort(spec);
      case 'NotBestEffort': return !isBestEffort(spec);
      case 'CrossNamespacePodAffinity': return usesCrossNamespaceAffinity(spec);
      case 'PriorityClass': {
        const name = spec.priorityClassName ?? '';
        const values = scope.values ?? [];
        switch (scope.operator) {
          case 'Exists': return name !== '';
          case 'In': return values.includes(name);
          case 'NotIn': return !values.includes(name);
          default: return false;
        }
      }
      default: return false;
    }
  },
  constraints(required, obj) {
    const spec = (obj as PodLike).spec ?? { containers: [] };
    const needed = required.filter((r) => POD_VALIDATION_SET.has(r));
    if (needed.length === 0) return undefined;
    const missing = new Map<string, Set<string>>();
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
      const have = podComputeUsage(containerResources(c, 'requests'), containerResources(c, 'limits'));
      for (const r of needed) {
        if (have.has(r)) continue;
        let set = missing.get(r);
        if (!set) missing.set(r, (set = new Set()));
        set.add(c.name);
      }
    }
    if (missing.size === 0) return undefined;
    const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`);
    return `must specify ${parts.join('; ')}`;
  },
};

// ------------------------------------------------------------------ services

const serviceEvaluator: QuotaEvaluator = {
  group: '', resource: 'services',
  handles: (op) => op === 'CREATE' || op === 'UPDATE',
  matchingResources: (input) => [...input].filter((n) => ['count/services', 'services', 'services.loadbalancers', 'services.nodeports'].includes(n)),
  usage(obj) {
    const spec = (obj as KubeObject & { spec?: ServiceSpec }).spec ?? {};
    const ports = spec.ports ?? [];
    let nodePorts = 0;
    let lbs = 0;
    if (spec.type === 'NodePort') nodePorts = ports.length;
    else if (spec.type === 'LoadBalancer') {
      lbs = 1;
      nodePorts = spec.allocateLoadBalancerNodePorts === false ? ports.filter((p) => (p.nodePort ?? 0) !== 0).length : ports.length;
    }
    return new Map([
      ['count/services', count(1)], ['services', count(1)],
      ['services.loadbalancers', count(lbs)], ['services.nodeports', count(nodePorts)],
    ]);
  },
  matchesScope: () => false,
  constraints: () => undefined,
};

// ------------------------------------------------------------------ persistentvolumeclaims

function claimClass(pvc: PersistentVolumeClaim): string {
  return pvc.spec?.storageClassName ?? pvc.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? '';
}

const pvcEvaluator: QuotaEvaluator = {
  group: '', resource: 'persistentvolumeclaims',
  handles: (op) => op === 'CREATE' || op === 'UPDATE',
  matchingResources: (input) => [...input].filter((n) => ['count/persistentvolumeclaims', 'persistentvolumeclaims', 'requests.storage'].includes(n)
    || (n.includes(STORAGE_CLASS_SUFFIX) && (n.endsWith('/persistentvolumeclaims') || n.endsWith('/requests.storage')))),
  usage(obj) {
    const pvc = obj as PersistentVolumeClaim & KubeObject;
    const out: ResourceList = new Map([['persistentvolumeclaims', count(1)], ['count/persistentvolumeclaims', count(1)]]);
    const cls = claimClass(pvc);
    if (cls) out.set(`${cls}${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`, count(1));
    const requested = parseResourceList(pvc.spec?.resources?.requests).get('storage');
    const allocated = parseResourceList(pvc.status?.allocatedResources).get('storage');
    const storage = requested && allocated ? (allocated.cmp(requested) > 0 ? allocated : requested) : requested ?? allocated;
    if (storage) {
      out.set('requests.storage', storage);
      if (cls) out.set(`${cls}${STORAGE_CLASS_SUFFIX}requests.storage`, storage);
    }
    return out;
  },
  matchesScope: () => false,
  constraints: () => undefined,
};

const SPECIAL: ReadonlyMap<string, QuotaEvaluator> = new Map([
  ['/pods', podEvaluator], ['/services', serviceEvaluator], ['/persistentvolumeclaims', pvcEvaluator],
]);

export function evaluatorFor(group: string, resource: string): QuotaEvaluator {
  return SPECIAL.get(`${group}/${resource}`) ?? genericEvaluator(group, resource);
}

/** The group/resource a quota resource name counts (`count/deployments.apps`, `pods`, ...). */
export function groupResourceForName(name: string): { group: string; resource: string } | undefined {
  if (name.startsWith('count/')) {
    const rest = name.slice('count/'.length);
    const dot = rest.indexOf('.');
    return dot < 0 ? { group: '', resource: rest } : { group: rest.slice(dot + 1), resource: rest.slice(0, dot) };
  }
  if (LEGACY_COUNT_ALIASES[name]) return { group: '', resource: name };
  if (podResourceMatches(name)) return { group: '', resource: 'pods' };
  if (serviceEvaluator.matchingResources([name]).length > 0) return { group: '', resource: 'services' };
  if (pvcEvaluator.matchingResources([name]).length > 0) return { group: '', resource: 'persistentvolumeclaims' };
  return undefined;
}

/** The scope requirements of a quota: `spec.scopes` as Exists plus `spec.scopeSelector`. */
export function quotaScopes(quota: KubeObject): ScopeRequirement[] {
  const spec = (quota.spec ?? {}) as { scopes?: string[]; scopeSelector?: { matchExpressions?: ScopeRequirement[] } };
  const out: ScopeRequirement[] = (spec.scopes ?? []).map((s) => ({ scopeName: s, operator: 'Exists' }));
  for (const e of spec.scopeSelector?.matchExpressions ?? []) out.push(e);
  return out;
}

/** Whether `obj` falls under every scope of the quota (no scopes: everything matches). */
export function matchesQuotaScopes(evaluator: QuotaEvaluator, scopes: readonly ScopeRequirement[], obj: KubeObject): boolean {
  return scopes.every((s) => evaluator.matchesScope(s, obj));
}
