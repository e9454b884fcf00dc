/**
 * The ResourceQuota controller (kube-controller-manager's resourcequota controller): writes each
 * quota's `status.hard` (= `spec.hard`) and `status.used`, computed from the objects that exist in
 * its namespace (scopes honoured, terminal pods free of compute quota). A quota is recomputed
 * when it is created or its `spec.hard` changes, when a tracked object in its namespace appears,
 * changes its usage or goes away, and every `resyncMs` (5 min) for all quotas.
 *
 * Pods, services and claims are read from full informers; other `count/<resource>.<group>`
 * objects from metadata-only informers started the first time a quota names the resource.
 * `sync` is idempotent: it writes only when the computed status differs (409s are retried).
 */
import type { KubeObject } from '../../apimachinery/object.js';
import type { GroupVersionResource, RestClient } from '../../client/rest-client.js';
import { isConflict, isNotFound } from '../../client/rest-client.js';
import type { Informer, SharedInformerFactory } from '../../client/informer.js';
import { DeletedFinalStateUnknown, NAMESPACE_INDEX, metaNamespaceKey, splitMetaNamespaceKey } from '../../client/informer.js';
import { discoverPreferredResources } from '../../client/discovery.js';
import { createWorkQueue, runWorkers } from '../../client/work-queue.js';
import type { Logger } from '../../client/logger.js';
import { errorText, silentLogger } from '../../client/logger.js';
import type { ResourceList } from '../../apimachinery/quota/resource-list.js';
import { add, equals, formatResourceList, mask, parseResourceList } from '../../apimachinery/quota/resource-list.js';
import { Quantity } from '../../apimachinery/quantity.js';
import { evaluatorFor, groupResourceForName, matchesQuotaScopes, quotaScopes } from '../../apimachinery/quota/evaluators.js';

export const RESOURCEQUOTAS: GroupVersionResource = { group: '', version: 'v1', resource: 'resourcequotas' };
const PODS: GroupVersionResource = { group: '', version: 'v1', resource: 'pods' };
const SERVICES: GroupVersionResource = { group: '', version: 'v1', resource: 'services' };
const PVCS: GroupVersionResource = { group: '', version: 'v1', resource: 'persistentvolumeclaims' };
export const DEFAULT_QUOTA_RESYNC_MS = 5 * 60_000;
const REDISCOVERY_MS = 30_000;

type QuotaLike = KubeObject & { spec?: { hard?: Record<string, string> }; status?: { hard?: Record<string, string>; used?: Record<string, string> } };

export interface ResourceQuotaControllerOptions {
  client: RestClient;
  factory: SharedInformerFactory;
  signal: AbortSignal;
  workers?: number;
  /** Full recomputation of every quota this often; default 5 min. */
  resyncMs?: number;
  logger?: Logger;
}

export interface ResourceQuotaController {
  done: Promise<void>;
  sync(key: string): Promise<void>;
}

/** The usage a quota should record, from the objects of its namespace, per tracked group/resource. */
export function computeUsage(quota: KubeObject, objectsOf: (group: string, resource: string) => KubeObject[] | undefined, now: Date = new Date()): ResourceList {
  const hard = parseResourceList((quota as QuotaLike).spec?.hard);
  const scopes = quotaScopes(quota);
  const groups = new Map<string, { group: string; resource: string }>();
  for (const name of hard.keys()) {
    const gr = groupResourceForName(name);
    if (gr) groups.set(`${gr.group}/${gr.resource}`, gr);
  }
  let usage: ResourceList = new Map();
  for (const { group, resource } of groups.values()) {
    const ev = evaluatorFor(group, resource);
    const matched = ev.matchingResources(hard.keys());
    if (matched.length === 0) continue;
    for (const m of matched) usage.set(m, Quantity.fromNumber(0));
    for (const obj of objectsOf(group, resource) ?? []) {
      if (scopes.length > 0 && !matchesQuotaScopes(ev, scopes, obj)) continue;
      usage = add(usage, mask(ev.usage(obj, now), matched));
    }
  }
  return usage;
}

function tombstoned<T extends KubeObject>(obj: T | DeletedFinalStateUnknown<T>): T {
  return obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
}

export function startResourceQuotaController(opts: ResourceQuotaControllerOptions): ResourceQuotaController {
  const { client, factory, signal } = opts;
  const logger = opts.logger ?? silentLogger;
  const quotaInformer: Informer<QuotaLike> = factory.informerFor<QuotaLike>(RESOURCEQUOTAS);
  const queue = createWorkQueue<string>({ name: 'resourcequota' });
  /** `group/resource` → the informer holding its objects. */
  const sources = new Map<string, Informer>();
  const pending = new Map<string, Promise<Informer | undefined>>();
  let discovered: Map<string, GroupVersionResource> | undefined;
  let discoveredAt = 0;

  const trackedBy = (quota: QuotaLike, group: string, resource: string): boolean =>
    evaluatorFor(group, resource).matchingResources(Object.keys(quota.spec?.hard ?? {})).length > 0;

  /** Queues the quotas of `namespace` that track `group/resource`. */
  function enqueueTracking(namespace: string, group: string, resource: string): void {
    for (const q of quotaInformer.store.byIndex(NAMESPACE_INDEX, namespace)) {
      if (trackedBy(q, group, resource)) queue.add(metaNamespaceKey(q));
    }
  }

  function watchSource(gr: { group: string; resource: string }, informer: Informer): void {
    const ev = evaluatorFor(gr.group, gr.resource);
    informer.addEventHandler({
      onAdd: (obj, initial) => {
        if (!initial && obj.metadata.namespace) enqueueTracking(obj.metadata.namespace, gr.group, gr.resource);
      },
      onUpdate: (oldObj, newObj) => {
        if (oldObj === newObj || !newObj.metadata.namespace) return;
        if (!equals(ev.usage(oldObj), ev.usage(newObj))) enqueueTracking(newObj.metadata.namespace, gr.group, gr.resource);
      },
      onDelete: (obj) => {
        const o = tombstoned(obj);
        if (o.metadata.namespace) enqueueTracking(o.metadata.namespace, gr.group, gr.resource);
      },
    });
    sources.set(`${gr.group}/${gr.resource}`, informer);
  }

  for (const gvr of [PODS, SERVICES, PVCS]) watchSource(gvr, factory.informerFor(gvr));

  async function gvrFor(group: string, resource: string): Promise<GroupVersionResource | undefined> {
    const key = `${group}/${resource}`;
    if ((!discovered || !discovered.has(key)) && Date.now() - discoveredAt > REDISCOVERY_MS) {
      discoveredAt = Date.now();
      const all = await discoverPreferredResources(client, signal);
      discovered = new Map(all.filter((r) => r.namespaced && r.verbs.includes('list') && r.verbs.includes('watch'))
        .map((r) => [`${r.gvr.group}/${r.gvr.resource}`, r.gvr]));
    }
    return discovered?.get(key);
  }

  /** The informer for objects of `group/resource` (started and synced on first use), if served. */
  async function sourceFor(group: string, resource: string): Promise<Informer | undefined> {
    const key = `${group}/${resource}`;
    const have = sources.get(key);
    if (have) return have;
    let p = pending.get(key);
    if (!p) {
      p = (async () => {
        const gvr = await gvrFor(group, resource);
        if (!gvr) return undefined;
        const informer = factory.informerFor(gvr, { metadataOnly: true });
        watchSource({ group, resource }, informer);
        factory.start();
        await informer.waitForSync(signal);
        return informer;
      })().finally(() => pending.delete(key));
      pending.set(key, p);
    }
    return p;
  }

  quotaInformer.addEventHandler({
    onAdd: (q) => queue.add(metaNamespaceKey(q)),
    onUpdate: (oldQ, newQ) => {
      const specChanged = !equals(parseResourceList(oldQ.spec?.hard), parseResourceList(newQ.spec?.hard));
      const statusBehind = !equals(parseResourceList(newQ.spec?.hard), parseResourceList(newQ.status?.hard));
      // Status writes (ours and the admission plugin's charges) need no recomputation.
      if (specChanged || statusBehind) queue.add(metaNamespaceKey(newQ));
    },
  });

  async function sync(key: string): Promise<void> {
    const quota = quotaInformer.store.get(key);
    if (!quota) return;
    const { namespace } = splitMetaNamespaceKey(key);
    const hardRec = quota.spec?.hard ?? {};
    const hard = parseResourceList(hardRec);
    const objects = new Map<string, KubeObject[] | undefined>();
    for (const name of hard.keys()) {
      const gr = groupResourceForName(name);
      if (!gr) continue;
      const k = `${gr.group}/${gr.resource}`;
      if (objects.has(k)) continue;
      const source = await sourceFor(gr.group, gr.resource);
      objects.set(k, source?.store.byIndex(NAMESPACE_INDEX, namespace));
    }
    const computed = computeUsage(quota, (g, r) => objects.get(`${g}/${r}`));
    // Resources no evaluator knows keep what they had.
    const used: ResourceList = mask(new Map([...parseResourceList(quota.status?.used), ...computed]), hard.keys());
    const statusHard = parseResourceList(quota.status?.hard);
    if (equals(statusHard, hard) && equals(parseResourceList(quota.status?.used), used)
      && Object.keys(quota.status?.hard ?? {}).length === hard.size) return;
    const next: QuotaLike = { ...quota, status: { hard: formatResourceList(hard), used: formatResourceList(used) } };
    try {
      await client.updateStatus(RESOURCEQUOTAS, next, { signal });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }

  const done = (async (): Promise<void> => {
    if (signal.aborted) return;
    signal.addEventListener('abort', () => queue.shutDown(), { once: true });
    const synced = await Promise.all([quotaInformer, ...sources.values()].map((i) => i.waitForSync(signal)));
    if (!synced.every(Boolean)) {
      queue.shutDown();
      return;
    }
    const resync = setInterval(() => {
      for (const k of quotaInformer.store.listKeys()) queue.add(k);
    }, opts.resyncMs ?? DEFAULT_QUOTA_RESYNC_MS);
    resync.unref?.();
    try {
      await runWorkers(queue, sync, {
        workers: opts.workers ?? 3,
        onError: (key, err) => {
          if (signal.aborted) return;
          const log = isConflict(err) ? logger.debug.bind(logger) : logger.info.bind(logger);
          log({ quota: key, err: errorText(err) }, 'resourcequota sync failed; requeued');
        },
      });
    } finally {
      clearInterval(resync);
    }
  })();

  return { done, sync };
}
