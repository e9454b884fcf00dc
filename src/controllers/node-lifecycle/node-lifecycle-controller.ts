/**
 * The node lifecycle controller (kube-controller-manager's nodelifecycle + taint-eviction
 * controllers).
 *
 * Health: every `monitorPeriodMs` each node's heartbeat is checked; a heartbeat is a change of
 * the Ready condition's lastHeartbeatTime or a renewal of its Lease in `kube-node-lease`. A node
 * without one for `gracePeriodMs` (40 s; `startupGracePeriodMs` for a node that never reported
 * Ready) gets Ready, MemoryPressure, DiskPressure and PIDPressure set to Unknown
 * (`NodeStatusUnknown`, "Kubelet stopped posting node status."). The first sighting of a node
 * counts as a heartbeat, so a restarted controller gives every node a full grace period.
 *
 * Taints: NoSchedule taints follow the conditions (not-ready, unreachable, pressure, network,
 * unschedulable); `node.kubernetes.io/not-ready:NoExecute` (Ready=False) or
 * `node.kubernetes.io/unreachable:NoExecute` (Ready=Unknown) is added, and removed once the node
 * is Ready again. In a zone where no node is Ready no new NoExecute taint is added, and when
 * every zone is in that state the NoExecute taints are removed (a control-plane partition must
 * not evict everything).
 *
 * Eviction: a pod on a node with NoExecute taints it does not tolerate is deleted at once; one
 * tolerating them with tolerationSeconds is deleted that long after the eviction was scheduled;
 * a later untaint cancels it. The pod gets the DisruptionTarget condition first, as upstream, and
 * is deleted through the API (its controller makes a replacement).
 */
import type { KubeObject } from '../../apimachinery/object.js';
import type { Lease, Node, NodeCondition, Pod, Taint } from '../../apimachinery/generated/types.js';
import type { GroupVersionResource, RestClient } from '../../client/rest-client.js';
import { isConflict, isNotFound } from '../../client/rest-client.js';
import type { Informer, SharedInformerFactory } from '../../client/informer.js';
import { DeletedFinalStateUnknown, metaNamespaceKey, splitMetaNamespaceKey } from '../../client/informer.js';
import { createWorkQueue, runWorkers } from '../../client/work-queue.js';
import type { Logger } from '../../client/logger.js';
import { errorText, silentLogger } from '../../client/logger.js';
import { createEventRecorder } from '../replicaset/controller-utils.js';
import { condition, desiredTaints, evictionDecision } from './taints.js';

export const NODES: GroupVersionResource = { group: '', version: 'v1', resource: 'nodes' };
const PODS: GroupVersionResource = { group: '', version: 'v1', resource: 'pods' };
const LEASES: GroupVersionResource = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' };
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS = 40_000;
export const DEFAULT_NODE_STARTUP_GRACE_PERIOD_MS = 60_000;
export const DEFAULT_NODE_MONITOR_PERIOD_MS = 5_000;
const POD_NODE_INDEX = 'node-lifecycle/nodeName';
const COMPONENT = 'node-controller';
const TAINT_EVICTION_COMPONENT = 'taint-eviction-controller';

type NodeObj = Node & KubeObject;
type PodObj = Pod & KubeObject;
type LeaseObj = Lease & KubeObject;

export interface NodeLifecycleControllerOptions {
  client: RestClient;
  factory: SharedInformerFactory;
  signal: AbortSignal;
  /** How long a node may go without a heartbeat before it is Unknown (upstream node-monitor-grace-period). */
  gracePeriodMs?: number;
  /** The same for a node that never posted a Ready condition (upstream node-startup-grace-period). */
  startupGracePeriodMs?: number;
  /** How often node health is checked; default 5 s, or a fifth of a shorter grace period. */
  monitorPeriodMs?: number;
  logger?: Logger;
  now?: () => number;
}

export interface NodeLifecycleController {
  done: Promise<void>;
  /** One health + taint pass over every node (what the monitor loop runs). */
  monitorOnce(): Promise<void>;
}

interface NodeHealth {
  /** When a heartbeat was last observed (ms). */
  probeAt: number;
  heartbeat: string | undefined;
  leaseRenew: number | undefined;
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function zoneOf(node: NodeObj): string {
  const l = node.metadata.labels ?? {};
  const region = l['topology.kubernetes.io/region'] ?? l['failure-domain.beta.kubernetes.io/region'] ?? '';
  const zone = l['topology.kubernetes.io/zone'] ?? l['failure-domain.beta.kubernetes.io/zone'] ?? '';
  return `${region}:\x00:${zone}`;
}

function sameTaints(a: readonly Taint[] | undefined, b: readonly Taint[] | undefined): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
}

function noExecuteTaints(node: NodeObj | undefined): Taint[] {
  return (node?.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
}

export function startNodeLifecycleController(opts: NodeLifecycleControllerOptions): NodeLifecycleController {
  const { client, factory, signal } = opts;
  const logger = opts.logger ?? silentLogger;
  const now = opts.now ?? Date.now;
  const gracePeriodMs = opts.gracePeriodMs ?? DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS;
  const startupGraceMs = Math.max(opts.startupGracePeriodMs ?? DEFAULT_NODE_STARTUP_GRACE_PERIOD_MS, gracePeriodMs);
  const monitorPeriodMs = opts.monitorPeriodMs ?? Math.max(200, Math.min(DEFAULT_NODE_MONITOR_PERIOD_MS, Math.floor(gracePeriodMs / 5)));
  const nodeInformer: Informer<NodeObj> = factory.informerFor<NodeObj>(NODES);
  const podInformer: Informer<PodObj> = factory.informerFor<PodObj>(PODS);
  const leaseInformer: Informer<LeaseObj> = factory.informerFor<LeaseObj>(LEASES);
  const nodeRecorder = createEventRecorder(client, COMPONENT, logger);
  const podRecorder = createEventRecorder(client, TAINT_EVICTION_COMPONENT, logger);
  const health = new Map<string, NodeHealth>();

  try {
    podInformer.addIndexers({ [POD_NODE_INDEX]: (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []) });
  } catch {
    // Already added by an earlier start on the same factory.
  }

  // ---------------------------------------------------------------- taint eviction

  const evictions = createWorkQueue<string>({ name: 'taint-eviction' });
  /** Pod key → when its eviction was first scheduled and its timer. */
  const scheduled = new Map<string, { since: number; timer?: ReturnType<typeof setTimeout> }>();

  function cancel(key: string, pod: PodObj | undefined): void {
    const s = scheduled.get(key);
    if (!s) return;
    if (s.timer) clearTimeout(s.timer);
    scheduled.delete(key);
    if (pod) podRecorder.event(pod, 'v1', 'Pod', 'Normal', 'TaintManagerEviction', `Cancelling deletion of Pod ${key}`);
  }

  const enqueuePod = (pod: PodObj): void => {
    if (pod.spec?.nodeName) evictions.add(metaNamespaceKey(pod));
  };

  podInformer.addEventHandler({
    onAdd: (pod) => enqueuePod(pod),
    onUpdate: (oldPod, pod) => {
      if (oldPod === pod) return;
      if (oldPod.spec?.nodeName !== pod.spec?.nodeName || JSON.stringify(oldPod.spec?.tolerations) !== JSON.stringify(pod.spec?.tolerations)) enqueuePod(pod);
    },
    onDelete: (obj) => {
      const pod = obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
      const key = metaNamespaceKey(pod);
      const s = scheduled.get(key);
      if (s?.timer) clearTimeout(s.timer);
      scheduled.delete(key);
    },
  });

  function enqueuePodsOn(nodeName: string): void {
    for (const key of podInformer.store.indexKeys(POD_NODE_INDEX, nodeName)) evictions.add(key);
  }

  async function evict(key: string, pod: PodObj): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    podRecorder.event(pod, 'v1', 'Pod', 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`);
    try {
      const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget');
      conditions.push({
        type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager',
        message: 'Taint manager: deleting due to NoExecute taint', lastTransitionTime: rfc3339(now()),
      });
      await client.patch(PODS, name, {
        namespace, subresource: 'status', type: 'strategic', signal,
        patch: { status: { conditions } },
      });
    } catch (err) {
      if (isNotFound(err)) return;
      logger.debug({ pod: key, err: errorText(err) }, 'adding DisruptionTarget condition failed');
    }
    try {
      await client.delete(PODS, name, { namespace, signal, preconditions: pod.metadata.uid ? { uid: pod.metadata.uid } : undefined });
      logger.info({ pod: key, node: pod.spec?.nodeName }, 'evicted pod from NoExecute-tainted node');
    } catch (err) {
      if (isNotFound(err) || isConflict(err)) return;
      throw err;
    }
  }

  async function syncPod(key: string): Promise<void> {
    const pod = podInformer.store.get(key);
    if (!pod || pod.metadata.deletionTimestamp || !pod.spec?.nodeName) {
      cancel(key, undefined);
      return;
    }
    const taints = noExecuteTaints(nodeInformer.store.get(pod.spec.nodeName));
    const decision = evictionDecision(taints, pod.spec.tolerations);
    if (decision.action === 'none') {
      cancel(key, pod);
      return;
    }
    const t = now();
    let entry = scheduled.get(key);
    if (!entry) scheduled.set(key, (entry = { since: t }));
    const due = decision.action === 'now' ? t : entry.since + decision.seconds * 1000;
    if (due > t) {
      if (entry.timer) clearTimeout(entry.timer);
      entry.timer = setTimeout(() => evictions.add(key), due - t);
      entry.timer.unref?.();
      return;
    }
    if (entry.timer) clearTimeout(entry.timer);
    scheduled.delete(key);
    await evict(key, pod);
  }

  // ---------------------------------------------------------------- node health

  /** Ends the wait between health passes early (a node's conditions changed: its taints follow now, as upstream's tainting pass on node updates). */
  let wakeMonitor: (() => void) | undefined;
  const conditionKey = (node: NodeObj): string =>
    `${node.spec?.unschedulable ? 'u' : ''}|${(node.status?.conditions ?? []).map((c) => `${c.type}=${c.status}`).join(',')}`;

  nodeInformer.addEventHandler({
    onUpdate: (oldNode, node) => {
      if (oldNode === node) return;
      if (!sameTaints(noExecuteTaints(oldNode), noExecuteTaints(node))) enqueuePodsOn(node.metadata.name ?? '');
      if (conditionKey(oldNode) !== conditionKey(node)) wakeMonitor?.();
    },
    onAdd: (node) => {
      if (noExecuteTaints(node).length > 0) enqueuePodsOn(node.metadata.name ?? '');
    },
    onDelete: (obj) => {
      const node = obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
      health.delete(node.metadata.name ?? '');
    },
  });

  /** Observes heartbeats; returns the node with conditions marked Unknown when its grace ran out. */
  function checkHealth(node: NodeObj, t: number): NodeObj | undefined {
    const name = node.metadata.name ?? '';
    const ready = condition(node, 'Ready');
    const heartbeat = ready?.lastHeartbeatTime ?? undefined;
    const lease = leaseInformer.store.get(`${NODE_LEASE_NAMESPACE}/${name}`);
    const renew = lease?.spec?.renewTime ? Date.parse(lease.spec.renewTime) : undefined;
    let h = health.get(name);
    if (!h) {
      h = { probeAt: t, heartbeat, leaseRenew: renew };
      health.set(name, h);
    } else {
      if (heartbeat !== h.heartbeat) {
        h.heartbeat = heartbeat;
        h.probeAt = t;
      }
      if (renew !== undefined && (h.leaseRenew === undefined || renew > h.leaseRenew)) {
        h.leaseRenew = renew;
        h.probeAt = t;
      }
    }
    const grace = ready ? gracePeriodMs : startupGraceMs;
    if (t <= h.probeAt + grace) return undefined;
    const conditions: NodeCondition[] = [...(node.status?.conditions ?? [])];
    let changed = false;
    for (const type of ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure']) {
      const i = conditions.findIndex((c) => c.type === type);
      if (i < 0) {
        conditions.push({
          type, status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.',
          lastHeartbeatTime: node.metadata.creationTimestamp ?? rfc3339(t), lastTransitionTime: rfc3339(t),
        });
        changed = true;
      } else if (conditions[i]!.status !== 'Unknown') {
        conditions[i] = {
          ...conditions[i]!, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.',
          lastTransitionTime: rfc3339(t),
        };
        changed = true;
      }
    }
    if (!changed) return undefined;
    return { ...node, status: { ...(node.status ?? {}), conditions } };
  }

  async function writeStatus(node: NodeObj): Promise<NodeObj | undefined> {
    try {
      const updated = await client.updateStatus<NodeObj>(NODES, node, { signal });
      const ready = condition(updated, 'Ready');
      logger.info({ node: node.metadata.name }, 'node stopped posting status; marked Unknown');
      if (ready?.status === 'Unknown') {
        nodeRecorder.event(updated, 'v1', 'Node', 'Normal', 'NodeNotReady', `Node ${node.metadata.name ?? ''} status is now: NodeNotReady`);
      }
      return updated;
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err)) logger.info({ node: node.metadata.name, err: errorText(err) }, 'updating node status failed');
      return undefined;
    }
  }

  async function writeTaints(node: NodeObj, taints: Taint[]): Promise<void> {
    const next: NodeObj = { ...node, spec: { ...(node.spec ?? {}), taints } };
    if (taints.length === 0) delete next.spec!.taints;
    try {
      await client.update(NODES, next, { signal });
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err)) logger.info({ node: node.metadata.name, err: errorText(err) }, 'updating node taints failed');
    }
  }

  async function monitorOnce(): Promise<void> {
    const t = now();
    const nodes: NodeObj[] = [];
    for (const cached of nodeInformer.store.list()) {
      const marked = checkHealth(cached, t);
      const node = marked ? (await writeStatus(marked)) ?? cached : cached;
      nodes.push(node);
    }
    // Zones where no node is Ready but some are not: no new NoExecute taints there.
    const zones = new Map<string, { ready: number; notReady: number }>();
    for (const node of nodes) {
      const z = zones.get(zoneOf(node)) ?? { ready: 0, notReady: 0 };
      if (condition(node, 'Ready')?.status === 'True') z.ready++;
      else z.notReady++;
      zones.set(zoneOf(node), z);
    }
    const disrupted = (z: { ready: number; notReady: number } | undefined): boolean => !!z && z.ready === 0 && z.notReady > 0;
    const allDisrupted = zones.size > 0 && [...zones.values()].every(disrupted);
    for (const node of nodes) {
      const taints = desiredTaints(node, {
        now: rfc3339(t), allowNoExecute: !disrupted(zones.get(zoneOf(node))), removeNoExecute: allDisrupted,
      });
      if (taints !== (node.spec?.taints ?? [])) await writeTaints(node, taints);
    }
  }

  const done = (async (): Promise<void> => {
    if (signal.aborted) return;
    signal.addEventListener('abort', () => evictions.shutDown(), { once: true });
    const synced = await Promise.all([nodeInformer, podInformer, leaseInformer].map((i) => i.waitForSync(signal)));
    if (!synced.every(Boolean)) {
      evictions.shutDown();
      return;
    }
    const monitor = (async (): Promise<void> => {
      while (!signal.aborted) {
        try {
          await monitorOnce();
        } catch (err) {
          if (!signal.aborted) logger.info({ err: errorText(err) }, 'node health pass failed');
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, monitorPeriodMs);
          function done(): void {
            clearTimeout(timer);
            signal.removeEventListener('abort', done);
            wakeMonitor = undefined;
            resolve();
          }
          signal.addEventListener('abort', done, { once: true });
          wakeMonitor = done;
        });
      }
    })();
    await Promise.all([
      monitor,
      runWorkers(evictions, syncPod, {
        workers: 4,
        onError: (key, err) => {
          if (!signal.aborted) logger.debug({ pod: key, err: errorText(err) }, 'taint eviction failed; requeued');
        },
      }),
    ]);
    for (const s of scheduled.values()) if (s.timer) clearTimeout(s.timer);
    scheduled.clear();
  })();

  return { done, monitorOnce };
}
