/**
 * The garbage collector (kube-controller-manager's garbagecollector), talking to the cluster only
 * through the API:
 * - one metadata-only informer ("monitor") per deletable, listable, watchable resource found by
 *   discovery (preferred versions; events are ignored as upstream), re-discovered every 30 s;
 * - monitor events feed the ownership graph (graph.ts);
 * - `attemptToDelete(uid)`: a dependent whose owners are all gone (verified by a live GET and uid
 *   comparison) is deleted with a uid precondition, using Foreground/Orphan when it carries those
 *   finalizers itself; an owner with the foregroundDeletion finalizer loses the finalizer once no
 *   blockOwnerDeletion dependent remains; references to absent or foreground-deleting owners are
 *   dropped from dependents that also have a live owner;
 * - `attemptToOrphan(uid)`: the owner's reference is removed from every dependent, then the
 *   `orphan` finalizer from the owner.
 * Every step is idempotent and retried with back-off on error; writes carry resourceVersion
 * preconditions and are redone from fresh state on conflict.
 */
import type { KubeObject, ObjectMeta, OwnerReference } from '../../apimachinery/object.js';
import { StatusError } from '../../apimachinery/errors.js';
import type { GroupVersionResource, PropagationPolicy, RestClient } from '../../client/rest-client.js';
import { gvrApiVersion, gvrKey, isConflict, isNotFound } from '../../client/rest-client.js';
import type { DiscoveredResource, RestMapper } from '../../client/discovery.js';
import { createRestMapper, discoverResources, hasVerbs } from '../../client/discovery.js';
import type { Informer } from '../../client/informer.js';
import { DeletedFinalStateUnknown, createInformer } from '../../client/informer.js';
import type { WorkQueue } from '../../client/work-queue.js';
import { createWorkQueue, runWorkers } from '../../client/work-queue.js';
import type { Logger } from '../../client/logger.js';
import { errorText, silentLogger } from '../../client/logger.js';
import type { GraphNode, ObjectIdentity } from './graph.js';
import { FINALIZER_DELETE_DEPENDENTS, FINALIZER_ORPHAN, Graph, blockingDependents, hasFinalizer, identityText } from './graph.js';

/** Resources the collector never watches (upstream's default ignored resources). */
export const IGNORED_RESOURCES: readonly string[] = ['events', 'events.events.k8s.io'];

const RESYNC_DISCOVERY_MS = 30_000;
const ABSENT_CACHE_SIZE = 500;

export interface GarbageCollectorOptions {
  client: RestClient;
  signal: AbortSignal;
  workers?: number;
  logger?: Logger;
  /** How often discovery is re-read to add/remove monitors; default 30 s. */
  rediscoveryMs?: number;
}

export interface GarbageCollector {
  /** Resolves once every monitor has synced (false if stopped first). */
  synced: Promise<boolean>;
  /** Resolves after the collector stopped (signal aborted). */
  done: Promise<void>;
  graphSize(): number;
}

interface Monitor {
  resource: DiscoveredResource;
  informer: Informer;
}

class VirtualDeleteEnqueued extends Error {}

/** Metadata fields for a JSON merge patch; null removes a field. */
type MetaPatch = { [K in keyof ObjectMeta]?: ObjectMeta[K] | null };

function groupResourceKey(gvr: GroupVersionResource): string {
  return gvr.group ? `${gvr.resource}.${gvr.group}` : gvr.resource;
}

function monitored(r: DiscoveredResource): boolean {
  return r.preferred && hasVerbs(r, 'list', 'watch', 'delete') && !IGNORED_RESOURCES.includes(groupResourceKey(r.gvr));
}

/** A small LRU set of uids known to be absent. */
function createAbsentCache(size: number): { has(uid: string): boolean; add(uid: string): void } {
  const m = new Map<string, true>();
  return {
    has(uid) {
      if (!m.has(uid)) return false;
      m.delete(uid);
      m.set(uid, true);
      return true;
    },
    add(uid) {
      m.delete(uid);
      m.set(uid, true);
      if (m.size > size) m.delete(m.keys().next().value as string);
    },
  };
}

export function startGarbageCollector(opts: GarbageCollectorOptions): GarbageCollector {
  const { client, signal } = opts;
  const logger = opts.logger ?? silentLogger;
  const workers = opts.workers ?? 10;
  const deleteQueue: WorkQueue<string> = createWorkQueue({ name: 'garbage_collector_attempt_to_delete' });
  const orphanQueue: WorkQueue<string> = createWorkQueue({ name: 'garbage_collector_attempt_to_orphan' });
  const absent = createAbsentCache(ABSENT_CACHE_SIZE);
  const monitors = new Map<string, Monitor>();
  let mapper: RestMapper = createRestMapper([]);

  const graph = new Graph({
    attemptToDelete: (n) => deleteQueue.add(n.identity.uid),
    attemptToOrphan: (n) => orphanQueue.add(n.identity.uid),
    ownerAbsent: (uid) => absent.add(uid),
  });

  function identityOf(resource: DiscoveredResource, meta: ObjectMeta): ObjectIdentity {
    return {
      apiVersion: gvrApiVersion(resource.gvr), kind: resource.kind,
      namespace: meta.namespace ?? '', name: meta.name ?? '', uid: meta.uid ?? '',
    };
  }

  function addMonitor(resource: DiscoveredResource): void {
    const key = gvrKey(resource.gvr);
    if (monitors.has(key)) return;
    const informer = createInformer(client, resource.gvr, { metadataOnly: true, logger });
    const emit = (type: 'add' | 'update' | 'delete', meta: ObjectMeta): void => {
      if (!meta.uid) return;
      graph.processChange({ type, gvr: resource.gvr, identity: identityOf(resource, meta), metadata: meta });
    };
    informer.addEventHandler({
      onAdd: (obj) => emit('add', obj.metadata),
      onUpdate: (_old, obj) => emit('update', obj.metadata),
      onDelete: (obj) => emit('delete', obj instanceof DeletedFinalStateUnknown ? obj.obj.metadata : obj.metadata),
    });
    monitors.set(key, { resource, informer });
    if (!signal.aborted) informer.run();
  }

  async function syncMonitors(): Promise<void> {
    const resources = await discoverResources(client, signal);
    mapper = createRestMapper(resources);
    const wanted = new Map<string, DiscoveredResource>();
    for (const r of resources) if (monitored(r)) wanted.set(gvrKey(r.gvr), r);
    for (const [key, m] of monitors) {
      if (wanted.has(key)) continue;
      m.informer.stop();
      monitors.delete(key);
    }
    for (const r of wanted.values()) addMonitor(r);
  }

  function resolve(identity: ObjectIdentity): { gvr: GroupVersionResource; namespace: string } {
    const r = mapper.resourceFor(identity.apiVersion, identity.kind);
    if (!r) throw new StatusError(404, 'NotFound', `unable to map ${identity.apiVersion}, Kind=${identity.kind} to a resource`);
    return { gvr: r.gvr, namespace: r.namespaced ? identity.namespace : '' };
  }

  async function getObject(identity: ObjectIdentity): Promise<KubeObject> {
    const { gvr, namespace } = resolve(identity);
    return client.get(gvr, identity.name, { namespace, metadataOnly: true, signal });
  }

  async function deleteObject(identity: ObjectIdentity, policy: PropagationPolicy): Promise<void> {
    const { gvr, namespace } = resolve(identity);
    logger.debug({ object: identityText(identity), policy }, 'garbage collector deleting object');
    try {
      await client.delete(gvr, identity.name, { namespace, propagationPolicy: policy, preconditions: { uid: identity.uid }, signal });
    } catch (err) {
      // Gone already, or replaced by an object with another uid: nothing left to collect.
      if (isNotFound(err) || isConflict(err)) return;
      throw err;
    }
  }

  /**
   * Rewrites the object's metadata from its current state (uid and resourceVersion as
   * preconditions), retried on conflict; `mutate` returns undefined when nothing needs changing.
   */
  async function patchMeta(identity: ObjectIdentity, mutate: (meta: ObjectMeta) => MetaPatch | undefined): Promise<void> {
    const { gvr, namespace } = resolve(identity);
    for (let attempt = 0; ; attempt++) {
      let current: KubeObject;
      try {
        current = await client.get(gvr, identity.name, { namespace, metadataOnly: true, signal });
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      if (current.metadata.uid !== identity.uid) return;
      const change = mutate(current.metadata);
      if (!change) return;
      try {
        await client.patch(gvr, identity.name, {
          namespace, type: 'merge', signal,
          patch: { metadata: { ...change, uid: identity.uid, resourceVersion: current.metadata.resourceVersion } },
        });
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (isConflict(err) && attempt < 10) continue;
        throw err;
      }
    }
  }

  function removeFinalizer(identity: ObjectIdentity, finalizer: string): Promise<void> {
    return patchMeta(identity, (meta) => {
      const finalizers = meta.finalizers ?? [];
      if (!finalizers.includes(finalizer)) return undefined;
      const kept = finalizers.filter((f) => f !== finalizer);
      // Empty lists are dropped (null in a merge patch), as upstream never shows them.
      return { finalizers: kept.length > 0 ? kept : null };
    });
  }

  function removeOwnerRefs(identity: ObjectIdentity, ownerUids: Set<string>): Promise<void> {
    return patchMeta(identity, (meta) => {
      const refs = meta.ownerReferences ?? [];
      const kept = refs.filter((r) => !ownerUids.has(r.uid));
      if (kept.length === refs.length) return undefined;
      return { ownerReferences: kept.length > 0 ? kept : null };
    });
  }

  function unblockOwnerRefs(identity: ObjectIdentity, ownerUid: string): Promise<void> {
    return patchMeta(identity, (meta) => {
      const refs = meta.ownerReferences ?? [];
      if (!refs.some((r) => r.uid === ownerUid && r.blockOwnerDeletion)) return undefined;
      return { ownerReferences: refs.map((r) => (r.uid === ownerUid ? { ...r, blockOwnerDeletion: false } : r)) };
    });
  }

  /** Whether the owner a reference names is absent (or another object now), plus the owner found. */
  async function isDangling(ref: OwnerReference, dependent: GraphNode): Promise<{ dangling: boolean; owner?: KubeObject }> {
    if (absent.has(ref.uid)) return { dangling: true };
    const r = mapper.resourceFor(ref.apiVersion, ref.kind);
    if (!r) throw new StatusError(404, 'NotFound', `unable to map ${ref.apiVersion}, Kind=${ref.kind} to a resource`);
    // A cluster-scoped dependent cannot have a namespaced owner.
    if (r.namespaced && !dependent.identity.namespace) return { dangling: true };
    try {
      const owner = await client.get(r.gvr, ref.name, { namespace: r.namespaced ? dependent.identity.namespace : '', metadataOnly: true, signal });
      if (owner.metadata.uid !== ref.uid) {
        absent.add(ref.uid);
        return { dangling: true };
      }
      return { dangling: false, owner };
    } catch (err) {
      if (!isNotFound(err)) throw err;
      absent.add(ref.uid);
      return { dangling: true };
    }
  }

  function virtualDelete(identity: ObjectIdentity): never {
    graph.processChange({ type: 'delete', identity, virtual: true });
    throw new VirtualDeleteEnqueued();
  }

  async function processDeletingDependents(node: GraphNode): Promise<void> {
    const blocking = blockingDependents(node);
    if (blocking.length === 0) {
      await removeFinalizer(node.identity, FINALIZER_DELETE_DEPENDENTS);
      return;
    }
    for (const dep of blocking) if (!dep.deletingDependents) deleteQueue.add(dep.identity.uid);
  }

  async function attemptToDeleteItem(node: GraphNode): Promise<void> {
    if (node.beingDeleted && !node.deletingDependents) return;
    let latest: KubeObject;
    try {
      latest = await getObject(node.identity);
    } catch (err) {
      if (isNotFound(err)) virtualDelete(node.identity);
      throw err;
    }
    if (latest.metadata.uid !== node.identity.uid) virtualDelete(node.identity);
    if (node.deletingDependents) {
      await processDeletingDependents(node);
      return;
    }
    const refs = latest.metadata.ownerReferences ?? [];
    if (refs.length === 0) return;

    const solid: OwnerReference[] = [];
    const dangling: OwnerReference[] = [];
    const waiting: OwnerReference[] = [];
    for (const ref of refs) {
      const { dangling: isGone, owner } = await isDangling(ref, node);
      if (isGone || !owner) dangling.push(ref);
      else if (owner.metadata.deletionTimestamp && hasFinalizer(owner.metadata, FINALIZER_DELETE_DEPENDENTS)) waiting.push(ref);
      else solid.push(ref);
    }

    if (solid.length > 0) {
      if (dangling.length === 0 && waiting.length === 0) return;
      // A live owner keeps the object; only references to absent or foreground-deleting owners go.
      await removeOwnerRefs(node.identity, new Set([...dangling, ...waiting].map((r) => r.uid)));
      return;
    }
    if (waiting.length > 0 && node.dependents.size > 0) {
      // Deleting this object in the foreground too; break cycles of foreground deletions.
      for (const dep of node.dependents) {
        if (dep.deletingDependents) await unblockOwnerRefs(dep.identity, node.identity.uid);
      }
      await deleteObject(node.identity, 'Foreground');
      return;
    }
    const policy: PropagationPolicy = hasFinalizer(latest.metadata, FINALIZER_ORPHAN) ? 'Orphan'
      : hasFinalizer(latest.metadata, FINALIZER_DELETE_DEPENDENTS) ? 'Foreground' : 'Background';
    await deleteObject(node.identity, policy);
  }

  async function syncDelete(uid: string): Promise<void> {
    const node = graph.get(uid);
    if (!node) return;
    try {
      await attemptToDeleteItem(node);
    } catch (err) {
      if (err instanceof VirtualDeleteEnqueued) return;
      throw err;
    }
    // A virtual node that exists but has not been observed yet is looked at again (backing off).
    if (!node.observed && graph.get(uid) === node) throw new Error(`owner ${identityText(node.identity)} exists but is not observed yet`);
  }

  async function syncOrphan(uid: string): Promise<void> {
    const owner = graph.get(uid);
    if (!owner) return;
    const uids = new Set([uid]);
    for (const dep of [...owner.dependents]) await removeOwnerRefs(dep.identity, uids);
    await removeFinalizer(owner.identity, FINALIZER_ORPHAN);
  }

  const onError = (queue: string) => (uid: string, err: unknown): void => {
    logger.debug({ queue, uid, err: errorText(err) }, 'garbage collector retrying');
  };

  const synced = (async (): Promise<boolean> => {
    for (;;) {
      if (signal.aborted) return false;
      try {
        await syncMonitors();
        break;
      } catch (err) {
        logger.error({ err: errorText(err) }, 'garbage collector discovery failed; retrying');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    const results = await Promise.all([...monitors.values()].map((m) => m.informer.waitForSync(signal)));
    return results.every(Boolean);
  })();

  const done = (async (): Promise<void> => {
    const ok = await synced;
    const stop = (): void => {
      deleteQueue.shutDown();
      orphanQueue.shutDown();
      for (const m of monitors.values()) m.informer.stop();
    };
    if (!ok || signal.aborted) {
      stop();
      return;
    }
    signal.addEventListener('abort', stop, { once: true });
    logger.info({ monitors: monitors.size, nodes: graph.size() }, 'garbage collector synced');
    const rediscover = setInterval(() => {
      syncMonitors().catch((err: unknown) => logger.error({ err: errorText(err) }, 'garbage collector rediscovery failed'));
    }, opts.rediscoveryMs ?? RESYNC_DISCOVERY_MS);
    try {
      await Promise.all([
        runWorkers(deleteQueue, syncDelete, { workers, onError: onError('attempt_to_delete') }),
        runWorkers(orphanQueue, syncOrphan, { workers, onError: onError('attempt_to_orphan') }),
      ]);
    } finally {
      clearInterval(rediscover);
    }
  })();

  return { synced, done, graphSize: () => graph.size() };
}
