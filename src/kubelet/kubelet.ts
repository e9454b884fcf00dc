/**
 * The kubelet core, the same for every runtime: registers the Node, keeps its Lease in
 * `kube-node-lease` renewed and its status reported, and runs each pod bound to the node through
 * one serialized pod worker: sandbox, init containers, app containers, restarts with back-off,
 * probes, status through the status subresource, graceful termination and the final delete.
 *
 * Everything time-driven (lease renewals, status reports, back-off ends, probes) is an entry on
 * the shared timer queue, so many kubelets in one process cost one Node timer. The kubelet talks
 * to the API only through the REST client (principle 1) and to containers only through the
 * CRI-shaped runtime (principle 5).
 */
import type { Lease, Node, NodeCondition, NodeSystemInfo, Pod, PodStatus, Taint } from '../apimachinery/generated/types.js';
import type { KubeObject } from '../apimachinery/object.js';
import type { Logger, RestClient } from '../client/index.js';
import { isAlreadyExists, isConflict, isNotFound } from '../client/index.js';
import { errorText, silentLogger } from '../client/logger.js';
import { admitPod, rejectionStatusMessage } from './admission.js';
import { createBackoff } from './backoff.js';
import type { ObjectLookup } from './env/environment.js';
import { createAdmissionQueue } from './admission-queue.js';
import { createApiLookup } from './env/lookup.js';
import type { HandlerRunner } from './lifecycle/handlers.js';
import { createHandlerRunner } from './lifecycle/handlers.js';
import type { EventRecorder } from './events.js';
import type { Limiter } from './limiter.js';
import { createLimiter } from './limiter.js';
import type { NodeObservation } from './node-observer.js';
import type { NodeHealth, NodeIdentity } from './node-status.js';
import { KUBELET_VERSION, conditionEventReason, goArch, nodeLabels, nodeObject, nodeStatus, nodeStatusChanged } from './node-status.js';
import type { PodRuntimeStatus, WaitingReason } from './pod-status.js';
import { generatePodStatus, latestContainer } from './pod-status.js';
import type { PodSource } from './pod-source.js';
import { createPodWorkers } from './pod-workers.js';
import type { PodSyncOutcome } from './pod-workers.js';
import { createProbeManager } from './prober/probe-manager.js';
import type { Prober } from './prober/prober.js';
import { createRuntimeManager, podGracePeriodSeconds } from './runtime-manager.js';
import type { RuntimeService } from './runtime/runtime.js';
import { createStartupTrace } from './startup-trace.js';
import { isMirrorPod } from './static-pods/manifest.js';
import { createStatusManager } from './status-manager.js';
import type { TimerHandle, TimerQueue } from './timer-queue.js';
import { createVolumeManager, requestServiceAccountToken } from './volumes/volume-manager.js';

export const NODES_GVR = { group: '', version: 'v1', resource: 'nodes' };
export const LEASES_GVR = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' };
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export interface KubeletOptions {
  client: RestClient;
  nodeName: string;
  runtime: RuntimeService;
  prober: Prober;
  timers: TimerQueue;
  pods: PodSource;
  recorder: EventRecorder;
  /** Shared limit on concurrent API writes (status, node, lease); default 8 of its own. */
  limiter?: Limiter;
  internalIP: string;
  podCIDR?: string;
  /** `cpu`, `memory`, `pods`, `ephemeral-storage`, ... as quantities. */
  capacity: Record<string, string>;
  allocatable?: Record<string, string>;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  taints?: Taint[];
  nodeInfo?: Partial<NodeSystemInfo>;
  /** Crash-loop back-off: default 10 s doubling to 300 s. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Default 40 s; renewed every quarter of it (10 s). */
  leaseDurationSeconds?: number;
  leaseRenewIntervalMs?: number;
  /** How often node status is computed (10 s) and the longest time between reports (5 min). */
  nodeStatusUpdateFrequencyMs?: number;
  nodeStatusReportFrequencyMs?: number;
  /** Periodic re-sync of each pod; default 60 s, 0 disables. */
  podResyncMs?: number;
  /**
   * While this returns true the kubelet neither renews its Lease nor posts node status (pods keep
   * running): a simulated node "losing its heartbeat" (`sim.skiff.io/heartbeat: stopped`).
   */
  heartbeatStopped?: () => boolean;
  /**
   * The API's current Node (from a shared Node watch), for pod admission (labels, taints,
   * allocatable). Default: the Node as last read or written by this kubelet.
   */
  apiNode?: () => Node | undefined;
  /** The Ready condition status the API currently holds for this node (from a shared Node watch). */
  apiReadyStatus?: () => string | undefined;
  clusterDns?: string;
  clusterDomain?: string;
  logger?: Logger;
  /** ConfigMaps, Secrets and Services for environments and volumes; default: the API with a 1 s cache. */
  lookup?: ObjectLookup;
  /**
   * Kubelet root directory (`<root>/pods/<uid>/volumes/...`); when set, volumes are set up and
   * mounted into containers. Simulated nodes leave it unset: nothing is written to disk.
   */
  rootDir?: string;
  /**
   * Runs postStart / preStop hooks. Default: exec through the runtime and sleep, httpGet hooks
   * succeed without traffic (right for simulated pod IPs); real nodes pass
   * `createHandlerRunner({ runtime })`.
   */
  handlers?: HandlerRunner;
  /** The port of this kubelet's HTTPS endpoint (logs), reported in `status.daemonEndpoints`; default 10250. */
  kubeletPort?: number;
  /** Pressure conditions and images for each node status update (real nodes); default: no pressure, no images. */
  observeNode?: () => Promise<NodeObservation>;
}

export interface Kubelet {
  readonly nodeName: string;
  /** Registers the node and starts leases, status reports and pod handling. */
  start(signal?: AbortSignal): Promise<void>;
  /** Stops this kubelet's loops (containers are left as they are, as upstream). */
  stop(): void;
  /** Pods this kubelet is working on. */
  readonly podCount: number;
  /** Resolves when no pod sync and no status write is in flight. */
  idle(): Promise<void>;
}

type PodPhaseOfWork = 'syncing' | 'terminating' | 'terminated';

/** A pod is admitted once, when first seen (upstream HandlePodAdditions); a rejected pod never runs. */
type Admission = 'pending' | 'admitted' | 'rejected';

interface PodState {
  uid: string;
  pod: Pod;
  work: PodPhaseOfWork;
  admission: Admission;
  removed: boolean;
  rs: PodRuntimeStatus | undefined;
  reasons: Map<string, WaitingReason>;
  killGrace: number;
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d+)Z$/, (_m, f: string) => `.${f.padEnd(6, '0')}Z`);
}

function isTerminal(phase: string | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

export function createKubelet(opts: KubeletOptions): Kubelet {
  const { client, nodeName, runtime, timers, recorder } = opts;
  const logger = opts.logger ?? silentLogger;
  const limiter = opts.limiter ?? createLimiter(8);
  const leaseDuration = opts.leaseDurationSeconds ?? 40;
  const leaseRenewMs = opts.leaseRenewIntervalMs ?? leaseDuration * 250;
  const statusUpdateMs = opts.nodeStatusUpdateFrequencyMs ?? 10_000;
  const statusReportMs = opts.nodeStatusReportFrequencyMs ?? 300_000;
  const pods = new Map<string, PodState>();
  const nodeRef = { kind: 'Node', apiVersion: 'v1', name: nodeName, uid: nodeName };
  let runtimeName = 'unknown';
  let stopped = false;
  let started = false;
  const handles: TimerHandle[] = [];
  const unsubscribers: (() => void)[] = [];

  const backoff = createBackoff({ initialMs: opts.backoffInitialMs, maxMs: opts.backoffMaxMs, now: () => timers.now() });
  const trace = createStartupTrace(logger);
  const statusManager = createStatusManager({
    client, timers, limiter, logger, fieldManager: 'kubelet',
    onWritten(pod, status) {
      if (trace.size === 0 || status.phase !== 'Running') return;
      const uid = pod.metadata?.uid ?? '';
      trace.mark(uid, 'status-written');
      trace.finish(uid, `${pod.metadata?.namespace}/${pod.metadata?.name}`);
    },
  });

  const probes = createProbeManager({
    timers,
    prober: opts.prober,
    containerFor(uid, name) {
      const rs = pods.get(uid)?.rs;
      const c = rs && latestContainer(rs, name);
      if (!c) return undefined;
      return { id: c.id, running: c.state === 'CONTAINER_RUNNING', startedAt: Math.floor(c.startedAt / 1e6) };
    },
    podIp: (uid) => pods.get(uid)?.rs?.sandboxes[0]?.ip || opts.internalIP,
    onResult: (uid) => workers.enqueue(uid),
    onFailure(pod, container, type, output) {
      const init = (pod.spec?.initContainers ?? []).some((c) => c.name === container.name);
      recorder.event({
        kind: 'Pod', apiVersion: 'v1', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid,
        resourceVersion: pod.metadata?.resourceVersion, fieldPath: `spec.${init ? 'initContainers' : 'containers'}{${container.name}}`,
      }, 'Warning', 'Unhealthy', `${type[0]!.toUpperCase()}${type.slice(1)} probe failed: ${output}`);
    },
  });

  const lookup = opts.lookup ?? createApiLookup(client);
  const allocatable = opts.allocatable ?? opts.capacity;
  const volumes = opts.rootDir ? createVolumeManager({
    rootDir: opts.rootDir, lookup, timers, allocatable: () => allocatable,
    facts: (uid) => {
      const ip = pods.get(uid)?.rs?.sandboxes[0]?.ip;
      return { podIPs: ip ? [ip] : [], hostIPs: [opts.internalIP] };
    },
    serviceAccountToken: (pod, audience, exp) => requestServiceAccountToken(client, pod, audience, exp),
    onProblem(pod, volume, message, warning) {
      recorder.event({ kind: 'Pod', apiVersion: 'v1', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
        warning ? 'Warning' : 'Normal', warning ? 'FailedMount' : 'VolumeNote',
        warning ? `MountVolume.SetUp failed for volume "${volume}" : ${message}` : `volume "${volume}": ${message}`);
    },
  }) : undefined;

  const rm = createRuntimeManager({
    runtime, timers, backoff, recorder, probes, nodeName,
    clusterDns: opts.clusterDns, clusterDomain: opts.clusterDomain,
    lookup, allocatable, hostIPs: [opts.internalIP], volumes,
    handlers: opts.handlers ?? createHandlerRunner({ runtime, network: false }),
    trace: (uid, step) => trace.mark(uid, step),
  });

  const workers = createPodWorkers({
    timers,
    sync: syncPod,
    resyncMs: opts.podResyncMs ?? 60_000,
    onError(uid, err) {
      const p = pods.get(uid)?.pod;
      logger.error({ pod: p && `${p.metadata?.namespace}/${p.metadata?.name}`, err: errorText(err) }, 'pod sync failed');
    },
  });

  function generate(st: PodState, rs: PodRuntimeStatus, terminal: boolean): PodStatus {
    // A pod that finished before a status with its IP went out keeps the IP its sandbox had (as upstream).
    const old = statusManager.getPodStatus(st.uid) ?? st.pod.status ?? {};
    const knownIp = st.rs?.sandboxes.find((s) => s.ip)?.ip;
    return generatePodStatus({
      pod: st.pod, runtime: rs, oldStatus: !old.podIP && knownIp ? { ...old, podIP: knownIp, podIPs: [{ ip: knownIp }] } : old, podIsTerminal: terminal,
      reasons: st.reasons, readiness: probes.readiness, startup: probes.startup, hostIPs: [opts.internalIP],
      runtimeName, now: rfc3339(timers.now()),
    });
  }

  async function syncPod(uid: string): Promise<PodSyncOutcome> {
    const st = pods.get(uid);
    if (!st) return { done: true };
    if (st.admission === 'pending') return {};
    if (st.work === 'syncing' && (st.removed || st.pod.metadata?.deletionTimestamp)) st.work = 'terminating';
    if (st.work === 'syncing' && isTerminal(st.pod.status?.phase) && !statusManager.getPodStatus(uid)) {
      // Already finished before we saw it (e.g. after a restart): nothing to run.
      const rs = await rm.podStatus(uid);
      st.rs = rs;
      st.work = rs.containers.length > 0 ? 'terminating' : 'terminated';
    }
    let outcome: PodSyncOutcome = {};
    if (st.work === 'syncing') {
      trace.mark(uid, 'sync');
      probes.addPod(st.pod);
      let rs = await rm.podStatus(uid);
      st.rs = rs;
      trace.mark(uid, 'runtime-status');
      let status = generate(st, rs, false);
      if (isTerminal(status.phase)) st.work = 'terminating';
      else {
        statusManager.setPodStatus(st.pod, status);
        outcome = await rm.syncPod(st.pod, rs, st.reasons);
        logger.debug({ pod: st.pod.metadata?.name, requeueAt: outcome.requeueAt, reasons: [...st.reasons.values()].map((r) => r.reason) }, 'pod synced');
        rs = await rm.podStatus(uid);
        st.rs = rs;
        status = generate(st, rs, false);
        trace.mark(uid, 'status-generated');
        if (isTerminal(status.phase)) st.work = 'terminating';
        else statusManager.setPodStatus(st.pod, status);
      }
    }
    if (st.work === 'terminating') {
      probes.removePod(uid);
      const rs = st.rs ?? await rm.podStatus(uid);
      st.killGrace = podGracePeriodSeconds(st.pod);
      await rm.killPod(st.pod, rs, st.killGrace);
      const after = await rm.podStatus(uid);
      if (!st.removed) statusManager.setPodStatus(st.pod, generate(st, after, true));
      st.rs = after;
      st.work = 'terminated';
      outcome = {};
    }
    if (st.work === 'terminated') {
      if (st.removed) {
        await rm.removePod(uid);
        pods.delete(uid);
        statusManager.forget(uid);
        trace.forget(uid);
        for (const key of [...st.reasons.keys()]) st.reasons.delete(key);
        return { done: true };
      }
      if (st.pod.metadata?.deletionTimestamp) statusManager.terminated(st.pod);
      return {};
    }
    return outcome;
  }

  function onUpsert(pod: Pod): void {
    if (stopped) return;
    const uid = pod.metadata?.uid ?? '';
    if (!uid) return;
    let st = pods.get(uid);
    if (!st) {
      st = { uid, pod, work: 'syncing', admission: 'pending', removed: false, rs: undefined, reasons: new Map(), killGrace: 0 };
      pods.set(uid, st);
      if (!isTerminal(pod.status?.phase) && !pod.metadata?.deletionTimestamp) trace.mark(uid, 'seen');
      statusManager.observe(pod);
      admissions.push(st);
      return;
    } else {
      // A shorter grace period while terminating (e.g. a second delete) speeds up the kill.
      if (st.work === 'terminating' && pod.metadata?.deletionTimestamp && st.rs) {
        const grace = podGracePeriodSeconds(pod);
        if (grace < st.killGrace) {
          st.killGrace = grace;
          void rm.killPod(pod, st.rs, grace).catch(() => {});
        }
      }
      st.pod = pod;
    }
    statusManager.observe(pod);
    workers.enqueue(uid);
  }

  // ---- admission: new pods in creation order, each against the pods admitted before it ----

  const admissions = createAdmissionQueue<PodState>({
    order(a, b) {
      const ta = a.pod.metadata?.creationTimestamp ?? '';
      const tb = b.pod.metadata?.creationTimestamp ?? '';
      return ta < tb ? -1 : ta > tb ? 1 : 0;
    },
    async handle(st) {
      try {
        await admit(st);
      } catch (err) {
        logger.error({ pod: `${st.pod.metadata?.namespace}/${st.pod.metadata?.name}`, err: errorText(err) }, 'pod admission failed');
        st.admission = 'admitted';
      }
      if (pods.get(st.uid) === st) workers.enqueue(st.uid);
    },
  });

  /** Pods admitted and still active: not finished, unless still being terminated (upstream filterOutInactivePods). */
  function activePods(except: string): Pod[] {
    const out: Pod[] = [];
    for (const s of pods.values()) {
      if (s.uid === except || s.admission !== 'admitted' || s.work === 'terminated') continue;
      const phase = statusManager.getPodStatus(s.uid)?.phase ?? s.pod.status?.phase;
      if (s.work === 'syncing' && isTerminal(phase)) continue;
      out.push(s.pod);
    }
    return out;
  }

  async function admit(st: PodState): Promise<void> {
    const pod = st.pod;
    // Pods finished or being deleted are not admitted again (they never run anything new).
    if (stopped || st.removed || pod.metadata?.deletionTimestamp || isTerminal(pod.status?.phase)) {
      st.admission = 'admitted';
      return;
    }
    const node = opts.apiNode?.() ?? lastNode;
    if (!node) {
      st.admission = 'admitted';
      return;
    }
    const input = { pod, otherPods: activePods(st.uid), isStatic: isMirrorPod(pod) };
    let result = admitPod({ ...input, node });
    if (!result.admit && result.reason === 'NodeAffinity') {
      // Labels may be newer than our copy: read the Node once more before rejecting (as upstream).
      const fresh = await limiter.run(() => client.get(NODES_GVR, nodeName)) as unknown as Node;
      lastNode = fresh;
      result = admitPod({ ...input, pod: st.pod, node: fresh });
    }
    if (result.admit || st.removed) {
      st.admission = 'admitted';
      return;
    }
    st.admission = 'rejected';
    st.work = 'terminated';
    trace.forget(st.uid);
    logger.info({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, reason: result.reason, message: result.message }, 'pod rejected');
    recorder.event({
      kind: 'Pod', apiVersion: 'v1', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid,
      resourceVersion: pod.metadata?.resourceVersion,
    }, 'Warning', result.reason, result.message);
    const status: PodStatus = {
      phase: 'Failed', reason: result.reason, message: rejectionStatusMessage(result.message),
      startTime: st.pod.status?.startTime ?? rfc3339(timers.now()),
    };
    if (st.pod.status?.qosClass) status.qosClass = st.pod.status.qosClass;
    statusManager.setPodStatus(st.pod, status);
  }

  function onDelete(pod: Pod): void {
    const uid = pod.metadata?.uid ?? '';
    const st = pods.get(uid);
    if (!st) return;
    st.removed = true;
    st.pod = pod;
    if (st.work === 'terminating' && st.rs) void rm.killPod(pod, st.rs, 2).catch(() => {});
    workers.enqueue(uid);
  }

  // ---- node registration, status and lease ----

  let identity: NodeIdentity;
  let lastStatus: Node['status'];
  let lastReportAt = 0;
  let nodeUid = '';
  let lease: Lease | undefined;
  /** The Node as last read or written by this kubelet. */
  let lastNode: Node | undefined;

  let observed: NodeObservation = {};

  async function observe(): Promise<void> {
    if (!opts.observeNode) return;
    const next = await opts.observeNode();
    observed = { pressure: next.pressure ?? observed.pressure, images: next.images ?? observed.images };
  }

  function health(): NodeHealth {
    return { ready: true, memoryPressure: false, diskPressure: false, pidPressure: false, ...(observed.pressure ?? {}) };
  }

  /** The node's pressure events at registration (`NodeHasSufficientMemory`, ...). */
  function pressureEvents(h: NodeHealth): [string, string][] {
    const conditions: [string, boolean][] = [['MemoryPressure', h.memoryPressure], ['DiskPressure', h.diskPressure], ['PIDPressure', h.pidPressure]];
    return conditions.map(([type, on]) => {
      const reason = conditionEventReason(type, on ? 'True' : 'False') ?? type;
      return [reason, `Node ${nodeName} status is now: ${reason}`];
    });
  }

  async function registerNode(): Promise<void> {
    await observe();
    const now = timers.now();
    const node = nodeObject(identity, health(), rfc3339(now), observed.images);
    try {
      const created = await limiter.run(() => client.create(NODES_GVR, node as unknown as KubeObject));
      nodeUid = created.metadata.uid ?? '';
      lastNode = created as unknown as Node;
      lastStatus = lastNode.status;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // Registered before: keep its spec (podCIDR and taints are set once), refresh labels and status.
      const existing = await limiter.run(() => client.get(NODES_GVR, nodeName)) as unknown as Node;
      nodeUid = existing.metadata?.uid ?? '';
      lastNode = existing;
      await limiter.run(() => client.patch(NODES_GVR, nodeName, {
        type: 'merge', patch: { metadata: { labels: nodeLabels(identity) } },
      }));
      const status = nodeStatus(identity, health(), existing.status?.conditions, rfc3339(now), observed.images);
      await writeNodeStatus(status);
    }
    lastReportAt = now;
    for (const [reason, message] of [
      ['Starting', 'Starting kubelet.'],
      ...pressureEvents(health()),
      ['NodeAllocatableEnforced', 'Updated Node Allocatable limit across pods'],
      ['NodeReady', `Node ${nodeName} status is now: NodeReady`],
    ] as const) recorder.event(nodeRef, 'Normal', reason, message);
  }

  async function writeNodeStatus(status: NonNullable<Node['status']>): Promise<void> {
    const updated = await limiter.run(() => client.patch(NODES_GVR, nodeName, {
      type: 'strategic', subresource: 'status', patch: { status },
    })) as unknown as Node;
    lastNode = updated;
    lastStatus = updated.status;
  }

  async function reportStatus(): Promise<void> {
    if (opts.heartbeatStopped?.()) {
      // The API's copy may be marked Unknown meanwhile: report in full once the heartbeat is back.
      lastReportAt = Number.NEGATIVE_INFINITY;
      return;
    }
    await observe();
    const now = timers.now();
    const next = nodeStatus(identity, health(), lastStatus?.conditions, rfc3339(now), observed.images);
    const due = now - lastReportAt >= statusReportMs;
    const ourReady = next.conditions?.find((c) => c.type === 'Ready')?.status;
    const apiReady = opts.apiReadyStatus?.();
    const apiDisagrees = apiReady !== undefined && ourReady !== undefined && apiReady !== ourReady;
    if (!due && !apiDisagrees && !nodeStatusChanged(lastStatus, next)) return;
    const before = lastStatus?.conditions ?? [];
    await writeNodeStatus(next);
    lastReportAt = now;
    for (const c of next.conditions ?? []) {
      const wasTrue = before.find((p: NodeCondition) => p.type === c.type)?.status === 'True';
      const reason = conditionEventReason(c.type, c.status);
      if (reason && (c.status === 'True') !== wasTrue) recorder.event(nodeRef, 'Normal', reason, `Node ${nodeName} status is now: ${reason}`);
    }
  }

  function leaseObject(now: number): Lease {
    return {
      apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
      metadata: {
        name: nodeName, namespace: NODE_LEASE_NAMESPACE,
        ownerReferences: nodeUid ? [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUid }] : [],
      },
      spec: { holderIdentity: nodeName, leaseDurationSeconds: leaseDuration, renewTime: microTime(now) },
    };
  }

  async function renewLease(): Promise<void> {
    if (opts.heartbeatStopped?.()) return;
    const now = timers.now();
    for (let attempt = 0; attempt < 3; attempt++) {
      if (!lease) {
        try {
          lease = await limiter.run(() => client.create(LEASES_GVR, leaseObject(now) as unknown as KubeObject, { namespace: NODE_LEASE_NAMESPACE })) as unknown as Lease;
          return;
        } catch (err) {
          if (!isAlreadyExists(err)) throw err;
          lease = await limiter.run(() => client.get(LEASES_GVR, nodeName, { namespace: NODE_LEASE_NAMESPACE })) as unknown as Lease;
        }
      }
      const next: Lease = {
        ...lease, spec: { ...lease.spec, holderIdentity: nodeName, leaseDurationSeconds: leaseDuration, renewTime: microTime(now) },
      };
      if (nodeUid && !(lease.metadata?.ownerReferences ?? []).length) next.metadata = { ...lease.metadata, ownerReferences: leaseObject(now).metadata?.ownerReferences };
      try {
        lease = await limiter.run(() => client.update(LEASES_GVR, next as unknown as KubeObject, { namespace: NODE_LEASE_NAMESPACE })) as unknown as Lease;
        return;
      } catch (err) {
        if (isNotFound(err)) lease = undefined;
        else if (isConflict(err)) lease = await limiter.run(() => client.get(LEASES_GVR, nodeName, { namespace: NODE_LEASE_NAMESPACE })) as unknown as Lease;
        else throw err;
      }
    }
  }

  /** Runs `fn` every `intervalMs` on the shared queue, first after `firstMs`; errors are logged. */
  function every(firstMs: number, intervalMs: number, what: string, fn: () => Promise<void>): void {
    const slot = handles.length;
    const tick = (): void => {
      if (stopped) return;
      void fn().catch((err: unknown) => logger.error({ node: nodeName, err: errorText(err) }, `${what} failed`)).finally(() => {
        if (!stopped) handles[slot] = timers.after(intervalMs, tick);
      });
    };
    handles[slot] = timers.after(firstMs, tick);
  }

  const kubelet: Kubelet = {
    nodeName,
    async start(signal) {
      if (started) return;
      started = true;
      signal?.addEventListener('abort', () => kubelet.stop(), { once: true });
      const version = await runtime.version('v1');
      runtimeName = version.runtimeName;
      identity = {
        name: nodeName, internalIP: opts.internalIP, podCIDR: opts.podCIDR, labels: opts.labels, annotations: opts.annotations,
        taints: opts.taints, capacity: opts.capacity, allocatable: opts.allocatable, kubeletPort: opts.kubeletPort,
        nodeInfo: {
          architecture: goArch(), bootID: '', containerRuntimeVersion: `${version.runtimeName}://${version.runtimeVersion}`,
          kernelVersion: '', kubeProxyVersion: '', kubeletVersion: KUBELET_VERSION, machineID: '', operatingSystem: 'linux',
          osImage: '', systemUUID: '', ...(opts.nodeInfo ?? {}),
        },
      };
      await registerNode();
      if (stopped) return;
      await renewLease();
      const jitter = (ms: number): number => Math.floor(Math.random() * ms);
      every(leaseRenewMs - jitter(leaseRenewMs / 4), leaseRenewMs, 'lease renewal', renewLease);
      every(statusUpdateMs + jitter(statusUpdateMs), statusUpdateMs, 'node status update', reportStatus);
      unsubscribers.push(runtime.getContainerEvents((e) => {
        const uid = e.podSandboxStatus?.metadata.uid;
        if (uid && pods.has(uid)) workers.enqueue(uid);
      }));
      unsubscribers.push(opts.pods.subscribe(nodeName, { onUpsert, onDelete }));
    },
    stop() {
      if (stopped) return;
      stopped = true;
      for (const h of handles) h?.cancel();
      for (const u of unsubscribers.splice(0)) u();
      workers.stop();
      volumes?.stop();
      for (const uid of pods.keys()) probes.removePod(uid);
    },
    get podCount() {
      return pods.size;
    },
    async idle() {
      for (let i = 0; i < 50; i++) {
        await admissions.drained();
        await workers.idle();
        await statusManager.flush();
        if (statusManager.pending === 0) return;
      }
    },
  };
  return kubelet;
}
