/**
 * The namespace controller (kube-controller-manager's namespace deleter): for a namespace with a
 * deletionTimestamp whose spec.finalizers still holds `kubernetes`, it deletes every namespaced
 * resource in it (deletecollection, or list + delete where that is not served), reports progress
 * in the namespace's status conditions, re-checks until nothing is left (requeue after the pods'
 * grace period estimate), then removes `kubernetes` through PUT .../finalize; the API server
 * deletes the namespace once no finalizer is left. `sync` is idempotent.
 */
import type { KubeObject } from '../../apimachinery/object.js';
import { isPlainObject } from '../../apimachinery/object.js';
import type { GroupVersionResource, RestClient } from '../../client/rest-client.js';
import { isConflict, isMethodNotSupported, isNotFound } from '../../client/rest-client.js';
import type { DiscoveredResource } from '../../client/discovery.js';
import { discoverPreferredResources, hasVerbs } from '../../client/discovery.js';
import type { Informer } from '../../client/informer.js';
import { DeletedFinalStateUnknown } from '../../client/informer.js';
import { createWorkQueue } from '../../client/work-queue.js';
import type { Logger } from '../../client/logger.js';
import { errorText, silentLogger } from '../../client/logger.js';

export const NAMESPACES: GroupVersionResource = { group: '', version: 'v1', resource: 'namespaces' };
export const FINALIZER_KUBERNETES = 'kubernetes';

const DISCOVERY_TTL_MS = 10_000;

export interface NamespaceCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

interface NamespaceStatus {
  phase?: string;
  conditions?: NamespaceCondition[];
}

/** Content left after a deletion pass; `estimateSeconds` is how long pods may still take. */
export class ResourcesRemainingError extends Error {
  constructor(readonly estimateSeconds: number, message: string) {
    super(message);
  }
}

export interface NamespaceControllerOptions {
  client: RestClient;
  /** A namespaces informer (full objects) from the shared factory. */
  informer: Informer;
  signal: AbortSignal;
  workers?: number;
  logger?: Logger;
}

export interface NamespaceController {
  /** Resolves once the controller stopped. */
  done: Promise<void>;
  /** One reconcile pass for a namespace (exported for tests). */
  sync(name: string): Promise<void>;
}

function specFinalizers(ns: KubeObject): string[] {
  const spec = ns.spec;
  return isPlainObject(spec) && Array.isArray(spec.finalizers) ? (spec.finalizers as string[]) : [];
}

function statusOf(ns: KubeObject): NamespaceStatus {
  return isPlainObject(ns.status) ? (ns.status as NamespaceStatus) : {};
}

function nowRfc3339(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function groupResourceText(gvr: GroupVersionResource): string {
  return `${gvr.resource}.${gvr.group}`;
}

interface DeletionReport {
  discoveryError?: string;
  contentErrors: string[];
  /** group-resource → remaining count */
  remaining: Map<string, number>;
  /** finalizer → objects carrying it */
  finalizers: Map<string, number>;
  estimateSeconds: number;
}

/** The five upstream deletion conditions for a report. */
export function deletionConditions(report: DeletionReport): NamespaceCondition[] {
  const remaining = [...report.remaining].sort(([a], [b]) => a.localeCompare(b)).map(([gr, n]) => `${gr} has ${n} resource instances`);
  const finalizers = [...report.finalizers].sort(([a], [b]) => a.localeCompare(b)).map(([f, n]) => `${f} in ${n} resource instances`);
  return [
    report.discoveryError
      ? { type: 'NamespaceDeletionDiscoveryFailure', status: 'True', reason: 'DiscoveryFailed', message: `Discovery failed for some groups: ${report.discoveryError}` }
      : { type: 'NamespaceDeletionDiscoveryFailure', status: 'False', reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
    { type: 'NamespaceDeletionGroupVersionParsingFailure', status: 'False', reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
    report.contentErrors.length > 0
      ? { type: 'NamespaceDeletionContentFailure', status: 'True', reason: 'ContentDeletionFailed', message: `Failed to delete all resource types, ${report.contentErrors.length} remaining: ${report.contentErrors.join(', ')}` }
      : { type: 'NamespaceDeletionContentFailure', status: 'False', reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
    remaining.length > 0
      ? { type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${remaining.join(', ')}` }
      : { type: 'NamespaceContentRemaining', status: 'False', reason: 'ContentRemoved', message: 'All content successfully removed' },
    finalizers.length > 0
      ? { type: 'NamespaceFinalizersRemaining', status: 'True', reason: 'SomeFinalizersRemain', message: `Some content in the namespace has finalizers remaining: ${finalizers.join(', ')}` }
      : { type: 'NamespaceFinalizersRemaining', status: 'False', reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
  ];
}

/** Merges new conditions into old ones, keeping lastTransitionTime when the status is unchanged. */
export function mergeConditions(old: NamespaceCondition[], next: NamespaceCondition[], now: string): NamespaceCondition[] {
  const out = old.filter((c) => !next.some((n) => n.type === c.type));
  for (const n of next) {
    const prev = old.find((c) => c.type === n.type);
    out.push({ ...n, lastTransitionTime: prev && prev.status === n.status && prev.lastTransitionTime ? prev.lastTransitionTime : now });
  }
  return out;
}

export function startNamespaceController(opts: NamespaceControllerOptions): NamespaceController {
  const { client, informer, signal } = opts;
  const logger = opts.logger ?? silentLogger;
  const queue = createWorkQueue<string>({ name: 'namespace' });
  let discovered: { at: number; resources: DiscoveredResource[] } | undefined;

  const enqueue = (obj: KubeObject | DeletedFinalStateUnknown): void => {
    const ns = obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
    if (ns.metadata.deletionTimestamp && ns.metadata.name) queue.add(ns.metadata.name);
  };
  informer.addEventHandler({
    onAdd: (obj) => enqueue(obj),
    onUpdate: (_old, obj) => enqueue(obj),
  });

  async function namespacedResources(): Promise<DiscoveredResource[]> {
    if (discovered && Date.now() - discovered.at < DISCOVERY_TTL_MS) return discovered.resources;
    const all = await discoverPreferredResources(client, signal);
    const resources = all.filter((r) => r.namespaced && hasVerbs(r, 'list', 'delete'));
    discovered = { at: Date.now(), resources };
    return resources;
  }

  async function deleteAllContent(namespace: string): Promise<DeletionReport> {
    const report: DeletionReport = { contentErrors: [], remaining: new Map(), finalizers: new Map(), estimateSeconds: 0 };
    let resources: DiscoveredResource[];
    try {
      resources = await namespacedResources();
    } catch (err) {
      report.discoveryError = errorText(err);
      throw Object.assign(new Error(`discovery failed: ${report.discoveryError}`), { report });
    }
    await Promise.all(resources.map(async (r) => {
      try {
        await deleteCollection(r, namespace);
        const left = await client.list(r.gvr, { namespace, metadataOnly: true, signal });
        const items = left.items ?? [];
        if (items.length === 0) return;
        report.remaining.set(groupResourceText(r.gvr), items.length);
        for (const item of items) {
          for (const f of item.metadata.finalizers ?? []) report.finalizers.set(f, (report.finalizers.get(f) ?? 0) + 1);
          if (r.gvr.group === '' && r.gvr.resource === 'pods') {
            report.estimateSeconds = Math.max(report.estimateSeconds, item.metadata.deletionGracePeriodSeconds ?? 0);
          }
        }
      } catch (err) {
        if (isNotFound(err)) return;
        report.contentErrors.push(`${groupResourceText(r.gvr)}: ${errorText(err)}`);
      }
    }));
    return report;
  }

  async function deleteCollection(r: DiscoveredResource, namespace: string): Promise<void> {
    if (hasVerbs(r, 'deletecollection')) {
      try {
        await client.deleteCollection(r.gvr, { namespace, propagationPolicy: 'Background', signal });
        return;
      } catch (err) {
        if (!isMethodNotSupported(err)) throw err;
      }
    }
    const list = await client.list(r.gvr, { namespace, metadataOnly: true, signal });
    for (const item of list.items ?? []) {
      if (item.metadata.deletionTimestamp) continue;
      try {
        await client.delete(r.gvr, item.metadata.name ?? '', { namespace, propagationPolicy: 'Background', signal });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  async function updateConditions(ns: KubeObject, conditions: NamespaceCondition[]): Promise<KubeObject> {
    const status = statusOf(ns);
    const merged = mergeConditions(status.conditions ?? [], conditions, nowRfc3339());
    const same = JSON.stringify((status.conditions ?? []).map(({ lastTransitionTime: _t, ...c }) => c))
      === JSON.stringify(merged.map(({ lastTransitionTime: _t, ...c }) => c));
    if (same && status.phase === 'Terminating') return ns;
    try {
      return await client.updateStatus(NAMESPACES, { ...ns, status: { ...status, phase: 'Terminating', conditions: merged } }, { signal });
    } catch (err) {
      // Losing a race only delays the report; the next pass writes it again.
      if (isConflict(err) || isNotFound(err)) return ns;
      throw err;
    }
  }

  async function finalize(name: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let ns: KubeObject;
      try {
        ns = await client.get(NAMESPACES, name, { signal });
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      const finalizers = specFinalizers(ns);
      if (!finalizers.includes(FINALIZER_KUBERNETES)) return;
      const spec = isPlainObject(ns.spec) ? ns.spec : {};
      try {
        await client.updateSubresource(NAMESPACES, {
          ...ns, spec: { ...spec, finalizers: finalizers.filter((f) => f !== FINALIZER_KUBERNETES) },
        }, { subresource: 'finalize', signal });
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (isConflict(err) && attempt < 10) continue;
        throw err;
      }
    }
  }

  async function sync(name: string): Promise<void> {
    const cached = informer.store.get(name);
    if (!cached || !cached.metadata.deletionTimestamp) return;
    // The cache may lag; the deletion works from the live object.
    let ns: KubeObject;
    try {
      ns = await client.get(NAMESPACES, name, { signal });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (!ns.metadata.deletionTimestamp || !specFinalizers(ns).includes(FINALIZER_KUBERNETES)) return;
    let report: DeletionReport;
    try {
      report = await deleteAllContent(name);
    } catch (err) {
      const failed = (err as { report?: DeletionReport }).report;
      if (failed) await updateConditions(ns, deletionConditions(failed));
      throw err;
    }
    await updateConditions(ns, deletionConditions(report));
    if (report.contentErrors.length > 0) throw new Error(`namespace ${name}: ${report.contentErrors.join('; ')}`);
    if (report.remaining.size > 0) {
      const left = [...report.remaining].map(([gr, n]) => `${gr} has ${n} resource instances`).join(', ');
      throw new ResourcesRemainingError(report.estimateSeconds, `namespace ${name}: some content remains: ${left}`);
    }
    await finalize(name);
    logger.debug({ namespace: name }, 'namespace content removed; finalized');
  }

  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        await sync(key);
        queue.forget(key);
      } catch (err) {
        if (err instanceof ResourcesRemainingError) {
          // Upstream re-checks after half the estimate plus a second.
          queue.addAfter(key, (Math.floor(err.estimateSeconds / 2) + 1) * 1000);
          queue.forget(key);
        } else {
          if (!signal.aborted) logger.debug({ namespace: key, err: errorText(err) }, 'namespace deletion failed; retrying');
          queue.addRateLimited(key);
        }
      } finally {
        queue.done(key);
      }
    }
  };

  const done = (async (): Promise<void> => {
    if (signal.aborted) return;
    signal.addEventListener('abort', () => queue.shutDown(), { once: true });
    if (!(await informer.waitForSync(signal))) {
      queue.shutDown();
      return;
    }
    await Promise.all(Array.from({ length: opts.workers ?? 5 }, () => worker()));
  })();

  return { done, sync };
}
