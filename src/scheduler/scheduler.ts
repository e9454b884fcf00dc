/**
 * The scheduler process (upstream pkg/scheduler): informers feed the cache (assigned pods,
 * nodes) and the queue (unassigned pods whose schedulerName is ours); one loop pops pods and
 * runs the scheduling cycle, bindings run in the background. A pod that fits nowhere gets a
 * FailedScheduling event and PodScheduled=False (reason Unschedulable) through pods/status,
 * and `status.nominatedNodeName` when preemption evicted victims for it.
 */
import type { Namespace, Node, PersistentVolumeClaim, Pod, PriorityClass, ReplicaSet, Service, StatefulSet, StorageClass } from '../apimachinery/generated/types.js';
import type { LabelRequirement, LabelSelector } from '../apimachinery/labels.js';
import { labelSelectorFromObject, selectorFromSet } from '../apimachinery/labels.js';
import type { KubeObject } from '../apimachinery/object.js';
import type { EventHandlers, Informer, SharedInformerFactory } from '../client/informer.js';
import { createSharedInformerFactory, DeletedFinalStateUnknown } from '../client/informer.js';
import type { Logger } from '../client/logger.js';
import { errorText, silentLogger } from '../client/logger.js';
import type { GroupVersionResource, RestClient } from '../client/rest-client.js';
import { isNotFound } from '../client/rest-client.js';
import { createWriteLimiter } from './write-limiter.js';
import { SchedulerCache } from './cache/cache.js';
import type { ClusterEvent, SchedulerApi } from './framework/interfaces.js';
import { podKey } from './framework/pod-info.js';
import type { ProfileEntry } from './framework/runtime.js';
import { Framework } from './framework/runtime.js';
import { DEFAULT_SCHEDULER_NAME, defaultProfile } from './plugins/registry.js';
import type { QueuedPodInfo } from './queue/scheduling-queue.js';
import { SchedulingQueue } from './queue/scheduling-queue.js';

const gvr = (group: string, version: string, resource: string): GroupVersionResource => ({ group, version, resource });
export const PODS = gvr('', 'v1', 'pods');
export const NODES = gvr('', 'v1', 'nodes');
export const EVENTS = gvr('', 'v1', 'events');
export const NAMESPACES = gvr('', 'v1', 'namespaces');
export const SERVICES = gvr('', 'v1', 'services');
export const PVCS = gvr('', 'v1', 'persistentvolumeclaims');
export const PRIORITY_CLASSES = gvr('scheduling.k8s.io', 'v1', 'priorityclasses');
export const STORAGE_CLASSES = gvr('storage.k8s.io', 'v1', 'storageclasses');
export const REPLICA_SETS = gvr('apps', 'v1', 'replicasets');
export const STATEFUL_SETS = gvr('apps', 'v1', 'statefulsets');

/** Built-in classes (upstream scheduling API). */
export const SYSTEM_PRIORITY_CLASSES: Record<string, number> = {
  'system-cluster-critical': 2000000000,
  'system-node-critical': 2000001000,
};

export const REASON_FAILED_SCHEDULING = 'FailedScheduling';
export const REASON_UNSCHEDULABLE = 'Unschedulable';
export const REASON_SCHEDULER_ERROR = 'SchedulerError';

export interface SchedulerOptions {
  client: RestClient;
  signal: AbortSignal;
  logger?: Logger;
  /** Share informers with other components; default: a factory of its own. */
  factory?: SharedInformerFactory;
  schedulerName?: string;
  profile?: ProfileEntry[];
  percentageOfNodesToScore?: number;
  /** Bindings in flight at once (default 64; events have 16 of their own). */
  maxConcurrentWrites?: number;
  /** Back-off for the queue (tests shorten it). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface Scheduler {
  readonly queue: SchedulingQueue;
  readonly cache: SchedulerCache;
  readonly framework: Framework;
  /** Resolves once the loop stopped (signal aborted). */
  readonly done: Promise<void>;
  /** Resolves once the informers synced. */
  readonly synced: Promise<boolean>;
}

function asPod(o: KubeObject | DeletedFinalStateUnknown): Pod {
  return (o instanceof DeletedFinalStateUnknown ? o.obj : o) as unknown as Pod;
}

function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** What matters for scheduling when an unassigned pod changes (upstream ignores status etc.). */
function schedulingRelevant(pod: Pod): string {
  const m = pod.metadata ?? {};
  return JSON.stringify([m.labels, m.annotations, m.deletionTimestamp, pod.spec]);
}

function nodeUpdateEvents(oldN: Node, newN: Node): ClusterEvent[] {
  const out: ClusterEvent[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (!same(oldN.status?.allocatable, newN.status?.allocatable)) out.push('Node/UpdateAllocatable');
  if (!same(oldN.metadata?.labels, newN.metadata?.labels)) out.push('Node/UpdateLabel');
  if (!same(oldN.spec?.taints, newN.spec?.taints) || oldN.spec?.unschedulable !== newN.spec?.unschedulable) out.push('Node/UpdateTaint');
  const conds = (n: Node) => (n.status?.conditions ?? []).map((c) => [c.type, c.status]);
  if (!same(conds(oldN), conds(newN))) out.push('Node/UpdateCondition');
  return out;
}

function mergeSelectors(sels: LabelSelector[]): LabelSelector | undefined {
  if (sels.length === 0) return undefined;
  if (sels.length === 1) return sels[0];
  const reqs: LabelRequirement[] = sels.flatMap((s) => [...s.requirements]);
  return {
    requirements: reqs,
    empty: reqs.length === 0,
    matches: (labels) => sels.every((s) => s.matches(labels)),
    toString: () => sels.map((s) => s.toString()).filter(Boolean).join(','),
  };
}

export function startScheduler(opts: SchedulerOptions): Scheduler {
  const { client, signal } = opts;
  const logger = opts.logger ?? silentLogger;
  const schedulerName = opts.schedulerName ?? DEFAULT_SCHEDULER_NAME;
  const factory = opts.factory ?? createSharedInformerFactory(client, { logger });
  const ownFactory = !opts.factory;

  const podInf = factory.informerFor(PODS);
  const nodeInf = factory.informerFor(NODES);
  const pcInf = factory.informerFor(PRIORITY_CLASSES);
  const nsInf = factory.informerFor(NAMESPACES);
  const svcInf = factory.informerFor(SERVICES);
  const rsInf = factory.informerFor(REPLICA_SETS);
  const ssInf = factory.informerFor(STATEFUL_SETS);
  const pvcInf = factory.informerFor(PVCS);
  const scInf = factory.informerFor(STORAGE_CLASSES);

  const cache = new SchedulerCache();
  const writes = createWriteLimiter(opts.maxConcurrentWrites ?? 64);
  // Events wait in a queue of their own, so they never hold up a binding.
  const eventWrites = createWriteLimiter(16);

  const api: SchedulerApi = {
    async bindPod(pod, nodeName) {
      const ns = pod.metadata?.namespace ?? 'default';
      const name = pod.metadata?.name ?? '';
      await writes.run(() => client.request({
        method: 'POST',
        path: `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}/binding`,
        body: { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace: ns, uid: pod.metadata?.uid }, target: { kind: 'Node', name: nodeName } },
      }));
    },
    async deletePod(victim, preemptor) {
      const ns = victim.metadata?.namespace ?? 'default';
      const name = victim.metadata?.name ?? '';
      try {
        await client.patch(PODS, name, {
          namespace: ns,
          subresource: 'status',
          type: 'strategic',
          patch: {
            status: {
              conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler', message: `${schedulerName}: preempting to accommodate a higher priority pod`, lastTransitionTime: new Date().toISOString() }],
            },
          },
        });
      } catch (e) {
        if (isNotFound(e)) return;
        logger.info({ pod: `${ns}/${name}`, err: errorText(e) }, 'scheduler: marking preemption victim failed');
      }
      try {
        await client.delete(PODS, name, { namespace: ns, preconditions: victim.metadata?.uid ? { uid: victim.metadata.uid } : undefined });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      void recordEvent(victim, 'Normal', 'Preempted', `Preempted by pod ${preemptor.metadata?.uid ?? ''} on node ${victim.spec?.nodeName ?? ''}`);
    },
    async clearNominatedNodeName(pod) {
      await patchStatus(pod, { status: { nominatedNodeName: null } });
    },
    async setSelectedNode(namespace, claimName, nodeName) {
      await client.patch(PVCS, claimName, { namespace, type: 'merge', patch: { metadata: { annotations: { 'volume.kubernetes.io/selected-node': nodeName } } } });
    },
  };

  const nsLabels = (ns: string) => (nsInf.store.get(ns) as unknown as Namespace | undefined)?.metadata?.labels;
  const defaultSpreadSelector = (pod: Pod): LabelSelector | undefined => {
    const ns = pod.metadata?.namespace ?? 'default';
    const labels = pod.metadata?.labels ?? {};
    const sels: LabelSelector[] = [];
    for (const o of svcInf.store.byIndex('namespace', ns)) {
      const sel = (o as unknown as Service).spec?.selector;
      if (sel && Object.keys(sel).length > 0) {
        const s = selectorFromSet(sel);
        if (s.matches(labels)) sels.push(s);
      }
    }
    for (const inf of [rsInf, ssInf]) {
      for (const o of inf.store.byIndex('namespace', ns)) {
        try {
          const s = labelSelectorFromObject((o as unknown as ReplicaSet | StatefulSet).spec?.selector);
          if (!s.empty && s.matches(labels)) sels.push(s);
        } catch {
          // invalid selector: ignore
        }
      }
    }
    return mergeSelectors(sels);
  };

  const queueRef: { q?: SchedulingQueue } = {};
  const framework = new Framework({
    plugins: opts.profile ?? defaultProfile(),
    api,
    namespaceLabels: nsLabels,
    nominator: { nominatedPodsForNode: (n) => queueRef.q?.nominatedPodsForNode(n) ?? [] },
    volumes: {
      getClaim: (ns, name) => pvcInf.store.get(`${ns}/${name}`) as unknown as PersistentVolumeClaim | undefined,
      getStorageClass: (name) => scInf.store.get(name) as unknown as StorageClass | undefined,
    },
    defaultSpreadSelector,
    percentageOfNodesToScore: opts.percentageOfNodesToScore,
  });
  const pluginEvents = new Map<string, readonly ClusterEvent[]>();
  for (const p of framework.plugins) if (p.events) pluginEvents.set(p.name, p.events);
  const queue = new SchedulingQueue({ initialBackoffMs: opts.initialBackoffMs, maxBackoffMs: opts.maxBackoffMs, pluginEvents });
  queueRef.q = queue;

  // ---- API writes ----

  async function patchStatus(pod: Pod, patch: unknown): Promise<void> {
    try {
      await client.patch(PODS, pod.metadata?.name ?? '', { namespace: pod.metadata?.namespace ?? 'default', subresource: 'status', type: 'strategic', patch });
    } catch (e) {
      if (!isNotFound(e)) logger.info({ pod: podKey(pod), err: errorText(e) }, 'scheduler: pod status update failed');
    }
  }

  const lastEvent = new Map<string, { name: string; message: string; count: number; first: string }>();
  async function recordEvent(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const ns = pod.metadata?.namespace ?? 'default';
    const podName = pod.metadata?.name ?? '';
    const now = new Date().toISOString();
    const dedupKey = `${pod.metadata?.uid}/${reason}`;
    const prev = lastEvent.get(dedupKey);
    try {
      if (prev && prev.message === message) {
        prev.count++;
        await eventWrites.run(() => client.patch(EVENTS, prev.name, { namespace: ns, type: 'merge', patch: { count: prev.count, lastTimestamp: now } }));
        return;
      }
      const name = `${podName}.${(Date.now() * 1e6 + Math.floor(Math.random() * 1e6)).toString(16)}`;
      await eventWrites.run(() => client.create(EVENTS, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace: ns },
        involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: ns, name: podName, uid: pod.metadata?.uid, resourceVersion: pod.metadata?.resourceVersion },
        reason,
        message,
        type,
        source: { component: schedulerName },
        reportingComponent: schedulerName,
        reportingInstance: schedulerName,
        action: reason === 'Preempted' ? 'Preempting' : 'Scheduling',
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      } as KubeObject));
      if (type === 'Warning') lastEvent.set(dedupKey, { name, message, count: 1, first: now });
    } catch (e) {
      logger.info({ pod: `${ns}/${podName}`, reason, err: errorText(e) }, 'scheduler: event write failed');
    }
  }

  /** FailedScheduling event, PodScheduled=False and the nomination (upstream handleSchedulingFailure). */
  async function reportFailure(pod: Pod, reason: string, message: string, nominatedNodeName: string | undefined): Promise<void> {
    await recordEvent(pod, 'Warning', REASON_FAILED_SCHEDULING, message);
    const cur = (pod.status?.conditions ?? []).find((c) => c.type === 'PodScheduled');
    const nominationChanges = nominatedNodeName !== undefined && nominatedNodeName !== (pod.status?.nominatedNodeName ?? '');
    if (cur?.status === 'False' && cur.reason === reason && cur.message === message && !nominationChanges) return;
    const status: Record<string, unknown> = {
      conditions: [{ type: 'PodScheduled', status: 'False', reason, message, lastProbeTime: null, lastTransitionTime: cur?.status === 'False' ? cur.lastTransitionTime : new Date().toISOString() }],
    };
    if (nominationChanges) status.nominatedNodeName = nominatedNodeName === '' ? null : nominatedNodeName;
    await patchStatus(pod, { status });
  }

  // ---- priorities ----

  function resolvePriority(pod: Pod): Pod {
    if (pod.spec?.priority !== undefined && pod.spec.priority !== null) return pod;
    const name = pod.spec?.priorityClassName;
    let value = 0;
    let policy: string | undefined;
    if (name) {
      const pc = pcInf.store.get(name) as unknown as PriorityClass | undefined;
      value = pc?.value ?? SYSTEM_PRIORITY_CLASSES[name] ?? 0;
      policy = pc?.preemptionPolicy;
    } else {
      const def = (pcInf.store.list() as unknown as PriorityClass[]).find((p) => p.globalDefault);
      value = def?.value ?? 0;
      policy = def?.preemptionPolicy;
    }
    return { ...pod, spec: { ...(pod.spec ?? { containers: [] }), priority: value, preemptionPolicy: pod.spec?.preemptionPolicy ?? policy } };
  }

  const responsible = (pod: Pod) => (pod.spec?.schedulerName || DEFAULT_SCHEDULER_NAME) === schedulerName;

  // ---- informer handlers ----

  const podHandlers: EventHandlers = {
    onAdd(o) {
      const pod = asPod(o);
      if (pod.spec?.nodeName) {
        if (isTerminal(pod)) return;
        // Bound pods carry the same resolved priority as queued ones, so preemption compares like with like.
        cache.addPod(resolvePriority(pod));
        queue.moveAllToActiveOrBackoff('AssignedPod/Add');
      } else if (responsible(pod) && !pod.metadata?.deletionTimestamp) {
        queue.add(resolvePriority(pod));
      }
    },
    onUpdate(oldO, newO) {
      const oldPod = asPod(oldO);
      const pod = asPod(newO);
      if (pod.spec?.nodeName) {
        if (!oldPod.spec?.nodeName) queue.delete(oldPod);
        if (isTerminal(pod)) {
          cache.removePod(pod);
          queue.moveAllToActiveOrBackoff('AssignedPod/Delete');
          return;
        }
        const wasAssumed = cache.isAssumed(pod);
        cache.updatePod(resolvePriority(pod));
        if (!wasAssumed && oldPod.spec?.nodeName) queue.moveAllToActiveOrBackoff('AssignedPod/Update');
        return;
      }
      if (!responsible(pod)) return;
      if (pod.metadata?.deletionTimestamp) {
        queue.delete(pod);
        return;
      }
      if (schedulingRelevant(oldPod) !== schedulingRelevant(pod) || (oldPod.status?.nominatedNodeName ?? '') !== (pod.status?.nominatedNodeName ?? '')) {
        queue.update(resolvePriority(pod));
      }
    },
    onDelete(o) {
      const pod = asPod(o);
      if (pod.spec?.nodeName || cache.getPod(pod)) {
        cache.removePod(pod);
        queue.moveAllToActiveOrBackoff('AssignedPod/Delete');
      }
      queue.delete(pod);
    },
  };
  const nodeHandlers: EventHandlers = {
    onAdd(o) {
      cache.addNode(o as unknown as Node);
      queue.moveAllToActiveOrBackoff('Node/Add');
    },
    onUpdate(oldO, newO) {
      const n = newO as unknown as Node;
      cache.updateNode(n);
      for (const ev of nodeUpdateEvents(oldO as unknown as Node, n)) queue.moveAllToActiveOrBackoff(ev);
    },
    onDelete(o) {
      cache.removeNode((o instanceof DeletedFinalStateUnknown ? o.obj : o) as unknown as Node);
    },
  };
  const pvcHandlers: EventHandlers = {
    onAdd: () => queue.moveAllToActiveOrBackoff('PersistentVolumeClaim/Add'),
    onUpdate: () => queue.moveAllToActiveOrBackoff('PersistentVolumeClaim/Update'),
  };

  const unsubscribe: (() => void)[] = [];
  const subscribe = (inf: Informer, h: EventHandlers) => unsubscribe.push(inf.addEventHandler(h));
  subscribe(nodeInf, nodeHandlers);
  subscribe(podInf, podHandlers);
  subscribe(pvcInf, pvcHandlers);
  subscribe(scInf, { onAdd: () => queue.moveAllToActiveOrBackoff('StorageClass/Add') });
  factory.start();
  queue.run();
  const cleanupTimer = setInterval(() => cache.cleanupExpiredAssumedPods(), 1000);
  cleanupTimer.unref?.();

  const synced = (async () => {
    const ok = await Promise.all([podInf, nodeInf, pcInf, nsInf, svcInf, rsInf, ssInf, pvcInf, scInf].map((i) => i.waitForSync(signal)));
    return ok.every(Boolean);
  })();

  const bindings = new Set<Promise<void>>();

  async function scheduleOne(qpi: QueuedPodInfo): Promise<void> {
    const stale = qpi.podInfo.pod;
    const key = `${stale.metadata?.namespace ?? ''}/${stale.metadata?.name ?? ''}`;
    const live = podInf.store.get(key) as unknown as Pod | undefined;
    if (!live || live.metadata?.uid !== stale.metadata?.uid || live.spec?.nodeName || live.metadata?.deletionTimestamp || cache.isAssumed(live)) {
      queue.done(qpi.podInfo.key);
      return;
    }
    const pod = resolvePriority(live);
    const cycle = queue.schedulingCycle;
    const hooks = {
      assume: (p: Pod, nodeName: string) => cache.assumePod(p, nodeName),
      forget: (p: Pod) => cache.forgetPod(p),
    };
    const snapshot = cache.updateSnapshot();
    const out = await framework.runSchedulingCycle(pod, snapshot, hooks);
    if (out.kind === 'scheduled') {
      const nodeName = out.result.nodeName;
      queue.deleteNominatedPod(pod);
      const b = (async () => {
        const s = await framework.runBindingCycle(out.state, pod, nodeName, hooks);
        if (s.isSuccess()) {
          cache.finishBinding(pod);
          queue.done(qpi.podInfo.key);
          void recordEvent(pod, 'Normal', 'Scheduled', `Successfully assigned ${pod.metadata?.namespace}/${pod.metadata?.name} to ${nodeName}`);
          return;
        }
        logger.info({ pod: key, node: nodeName, err: s.message() }, 'scheduler: binding failed');
        queue.moveAllToActiveOrBackoff('AssignedPod/Delete');
        const latest = podInf.store.get(key) as unknown as Pod | undefined;
        if (!latest || latest.spec?.nodeName) {
          queue.done(qpi.podInfo.key);
          return;
        }
        queue.addUnschedulable({ ...qpi, podInfo: qpi.podInfo }, cycle, { error: !s.isRejected() });
        await reportFailure(latest, s.isRejected() ? REASON_UNSCHEDULABLE : REASON_SCHEDULER_ERROR, s.message() || 'binding rejected', undefined);
      })();
      bindings.add(b);
      void b.finally(() => bindings.delete(b));
      return;
    }
    if (out.kind === 'unschedulable') {
      const nominated = out.nominatedNodeName;
      if (nominated) queue.addNominatedPod(pod, nominated);
      else if (nominated === '') queue.deleteNominatedPod(pod);
      queue.addUnschedulable({ ...qpi, podInfo: qpi.podInfo, unschedulablePlugins: new Set(out.unschedulablePlugins) }, cycle);
      const message = out.fitError.message;
      logger.info({ pod: key, message }, 'scheduler: unable to schedule pod');
      void reportFailure(pod, REASON_UNSCHEDULABLE, message, nominated);
      return;
    }
    queue.addUnschedulable(qpi, cycle, { error: true });
    logger.info({ pod: key, err: out.status.message() }, 'scheduler: error scheduling pod');
    void reportFailure(pod, REASON_SCHEDULER_ERROR, out.status.message(), undefined);
  }

  const done = (async () => {
    try {
      if (!(await synced)) return;
      logger.info({ schedulerName }, 'scheduler started');
      while (!signal.aborted) {
        const qpi = await queue.pop(signal);
        if (!qpi) break;
        try {
          await scheduleOne(qpi);
        } catch (e) {
          logger.info({ pod: qpi.podInfo.key, err: errorText(e) }, 'scheduler: unexpected failure');
          queue.addUnschedulable(qpi, queue.schedulingCycle, { error: true });
        }
      }
    } finally {
      queue.close();
      clearInterval(cleanupTimer);
      for (const u of unsubscribe) u();
      await Promise.allSettled([...bindings]);
      if (ownFactory) factory.stop();
    }
  })();
  signal.addEventListener('abort', () => queue.close(), { once: true });

  return { queue, cache, framework, done, synced };
}
