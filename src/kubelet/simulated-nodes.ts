/**
 * N simulated nodes in one process (like kubemark's hollow nodes): each is the real kubelet with
 * its own simulated runtime and pod CIDR, and all share one pod watch (dispatched by node name),
 * one timer queue, one event sink and one limit on concurrent API writes. Node names are
 * `<namePrefix><index>`; pod CIDRs are consecutive /24s of `clusterCidr`; InternalIPs consecutive
 * addresses of `nodeIpCidr`.
 */
import type { Node, Taint } from '../apimachinery/generated/types.js';
import type { KubeObject } from '../apimachinery/object.js';
import type { Logger, RestClient } from '../client/index.js';
import { createInformer } from '../client/index.js';
import { errorText, silentLogger } from '../client/logger.js';
import { createEventSink } from './events.js';
import { cidrSize, formatCidr, numberToIpv4, parseCidr, subnet } from './ip-range.js';
import type { Kubelet } from './kubelet.js';
import { NODES_GVR, createKubelet } from './kubelet.js';
import { createLimiter } from './limiter.js';
import { createPodSource } from './pod-source.js';
import { createStaticPodSource } from './static-pods/static-pod-source.js';
import { createSimulatedRuntime } from './runtime/simulated.js';
import type { SimulatedRuntime } from './runtime/simulated.js';
import type { TimerQueue } from './timer-queue.js';
import { createTimerQueue } from './timer-queue.js';
import { registerInProcessSummary } from './stats/in-process.js';
import { createSimulatedSummary } from './stats/simulated-summary.js';

export interface SimulatedNodeCapacity {
  cpu: string;
  memory: string;
  pods: string | number;
  'ephemeral-storage'?: string;
}

/**
 * Node annotation: while a simulated node carries `sim.skiff.io/heartbeat: stopped`, its kubelet
 * stops renewing its Lease and posting node status (its pods keep running), so the node lifecycle
 * controller marks it Unknown / NotReady and taints it unreachable; removing it resumes both.
 */
export const HEARTBEAT_ANNOTATION = 'sim.skiff.io/heartbeat';

export const DEFAULT_SIMULATED_CAPACITY: SimulatedNodeCapacity = { cpu: '32', memory: '256Gi', pods: 110 };

export interface SimulatedNodesOptions {
  client: RestClient;
  count: number;
  capacity?: Partial<SimulatedNodeCapacity>;
  namePrefix?: string;
  /** First node index (default 0): `sim-<startIndex>` … */
  startIndex?: number;
  signal?: AbortSignal;
  /** Pod CIDRs are /24s of this (default `10.128.0.0/9`, room for 32,768 nodes). */
  clusterCidr?: string;
  /** Node InternalIPs come from this (default `172.31.0.0/16`). */
  nodeIpCidr?: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  /** Delay before a simulated container runs (ms, default 0). */
  startDelayMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  leaseRenewIntervalMs?: number;
  nodeStatusUpdateFrequencyMs?: number;
  podResyncMs?: number;
  /** Record core/v1 Events (default true). */
  events?: boolean;
  /** Concurrent API writes across all nodes (default 64). */
  maxConcurrentWrites?: number;
  /** Nodes registering at once (default 50). */
  registrationConcurrency?: number;
  timers?: TimerQueue;
  logger?: Logger;
  /** Static pod manifests every node runs (`--pod-manifest-path`), and a manifest URL. */
  podManifestPath?: string;
  manifestUrl?: string;
  /** Static pod rescan / URL poll interval (ms, default 10 s). */
  staticPodIntervalMs?: number;
}

export interface SimulatedNodes {
  readonly names: string[];
  readonly kubelets: Kubelet[];
  runtimeFor(name: string): SimulatedRuntime | undefined;
  /** Resolves when every node is registered and has its first lease. */
  readonly ready: Promise<void>;
  /** Waits until no pod sync or status write is in flight anywhere. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** `cpu=32,memory=256Gi,pods=110` → capacity. */
export function parseSimulatedCapacity(text: string): SimulatedNodeCapacity {
  const out: SimulatedNodeCapacity = { ...DEFAULT_SIMULATED_CAPACITY };
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`invalid capacity ${JSON.stringify(part)}: want key=value`);
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (k === 'cpu' || k === 'memory' || k === 'ephemeral-storage') out[k] = v;
    else if (k === 'pods') out.pods = v;
    else throw new Error(`unknown capacity resource ${JSON.stringify(k)} (cpu, memory, pods, ephemeral-storage)`);
  }
  return out;
}

export function startSimulatedNodes(opts: SimulatedNodesOptions): SimulatedNodes {
  const logger = opts.logger ?? silentLogger;
  const timers = opts.timers ?? createTimerQueue({ onError: (err) => logger.error({ err: errorText(err) }, 'simulated node timer failed') });
  const ownTimers = !opts.timers;
  const prefix = opts.namePrefix ?? 'sim-';
  const start = opts.startIndex ?? 0;
  const clusterCidr = parseCidr(opts.clusterCidr ?? '10.128.0.0/9');
  const nodeIps = parseCidr(opts.nodeIpCidr ?? '172.31.0.0/16');
  if (start + opts.count > cidrSize(nodeIps) - 2) throw new Error(`${formatCidr(nodeIps)} is too small for ${opts.count} nodes`);
  const capacity = { ...DEFAULT_SIMULATED_CAPACITY, ...(opts.capacity ?? {}) };
  const capacityList: Record<string, string> = {
    cpu: String(capacity.cpu), memory: String(capacity.memory), pods: String(capacity.pods),
    'ephemeral-storage': String(capacity['ephemeral-storage'] ?? '100Gi'), 'hugepages-1Gi': '0', 'hugepages-2Mi': '0',
  };
  const limiter = createLimiter(opts.maxConcurrentWrites ?? 64);
  const events = createEventSink(opts.client, { limiter, logger, enabled: opts.events !== false });
  const source = createPodSource(opts.client, { logger });
  // One watch of the simulated Nodes for the heartbeat annotation.
  const heartbeatStopped = new Set<string>();
  // The API's view of each node's Ready condition: a kubelet re-posts at once when the node
  // lifecycle controller marked it Unknown while it was only late (as upstream reads the Node first).
  const apiReady = new Map<string, string>();
  const nodeInformer = createInformer(opts.client, NODES_GVR, { labelSelector: 'node.skiff.io/simulated=true', logger });
  const noteHeartbeat = (o: KubeObject): void => {
    const name = o.metadata.name ?? '';
    if (o.metadata.annotations?.[HEARTBEAT_ANNOTATION] === 'stopped') heartbeatStopped.add(name);
    else heartbeatStopped.delete(name);
    const conditions = (o.status as { conditions?: { type?: string; status?: string }[] } | undefined)?.conditions ?? [];
    const ready = conditions.find((c) => c.type === 'Ready')?.status;
    if (ready) apiReady.set(name, ready);
  };
  nodeInformer.addEventHandler({ onAdd: noteHeartbeat, onUpdate: (_old, o) => noteHeartbeat(o) });
  const kubelets: Kubelet[] = [];
  const runtimes = new Map<string, SimulatedRuntime>();
  const names: string[] = [];
  const unregisterStats: (() => void)[] = [];
  for (let i = start; i < start + opts.count; i++) {
    const name = `${prefix}${i}`;
    const podCIDR = formatCidr(subnet(clusterCidr, 24, i));
    const runtime = createSimulatedRuntime({ timers, podCidr: podCIDR, startDelayMs: opts.startDelayMs });
    runtimes.set(name, runtime);
    names.push(name);
    unregisterStats.push(registerInProcessSummary(name, createSimulatedSummary({ nodeName: name, runtime, pods: () => source.podsOn(name), startMs: Date.now() })));
    kubelets.push(createKubelet({
      client: opts.client, nodeName: name, runtime, prober: runtime.prober, timers,
      pods: opts.podManifestPath || opts.manifestUrl ? createStaticPodSource({
        inner: source, client: opts.client, manifestPath: opts.podManifestPath, manifestUrl: opts.manifestUrl,
        intervalMs: opts.staticPodIntervalMs, logger,
      }) : source,
      recorder: events.recorderFor(name), limiter, internalIP: numberToIpv4(nodeIps.base + 1 + i), podCIDR,
      capacity: capacityList, labels: { 'node.skiff.io/simulated': 'true', ...(opts.labels ?? {}) }, taints: opts.taints,
      nodeInfo: { kernelVersion: 'simulated', osImage: 'Skiff simulated node', machineID: name, systemUUID: name, bootID: name },
      backoffInitialMs: opts.backoffInitialMs, backoffMaxMs: opts.backoffMaxMs, leaseRenewIntervalMs: opts.leaseRenewIntervalMs,
      nodeStatusUpdateFrequencyMs: opts.nodeStatusUpdateFrequencyMs, podResyncMs: opts.podResyncMs ?? 0, logger,
      heartbeatStopped: () => heartbeatStopped.has(name),
      apiReadyStatus: () => apiReady.get(name),
      apiNode: () => nodeInformer.store.get(name) as unknown as Node | undefined,
    }));
  }
  let stopped = false;

  async function registerAll(): Promise<void> {
    const concurrency = Math.max(1, opts.registrationConcurrency ?? 50);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < kubelets.length && !stopped) {
        const k = kubelets[next++]!;
        for (let attempt = 0; ; attempt++) {
          try {
            await k.start(opts.signal);
            break;
          } catch (err) {
            if (stopped || attempt >= 5) throw err;
            logger.info({ node: k.nodeName, err: errorText(err) }, 'simulated node registration failed; retrying');
            await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, kubelets.length) }, lane));
  }

  // Kubelets subscribe as they start; pods already cached are replayed to them then.
  source.start();
  nodeInformer.run();
  const ready = registerAll();
  ready.catch((err: unknown) => logger.error({ err: errorText(err) }, 'simulated nodes failed to start'));

  const nodes: SimulatedNodes = {
    names,
    kubelets,
    runtimeFor: (name) => runtimes.get(name),
    ready,
    async idle() {
      await events.flush();
      await Promise.all(kubelets.map((k) => k.idle()));
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const k of kubelets) k.stop();
      for (const u of unregisterStats) u();
      source.stop();
      nodeInformer.stop();
      await events.flush().catch(() => {});
      if (ownTimers) timers.close();
    },
  };
  opts.signal?.addEventListener('abort', () => void nodes.stop(), { once: true });
  return nodes;
}
