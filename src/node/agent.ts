/**
 * The node agent: one real node, run by `skiff server` (embedded) and by `skiff agent`. It first
 * learns its pod CIDR (assigned by the server's node IPAM controller, see pod-cidr.ts, unless the
 * caller fixes one), then starts the private containerd under `<data-dir>/containerd`
 * (unless a runtime endpoint is given), makes sure the busybox and pause images are there,
 * registers the Node (host name, pod CIDR, real capacity, node info, addresses) and runs the same
 * kubelet as every node with the CRI runtime, real probes and lifecycle hooks, volumes under
 * `<data-dir>/kubelet`, and the kubelet's HTTPS endpoint for logs.
 *
 * `stop()` stops the kubelet, then containerd (by its pid); containers keep running in their
 * shims and are adopted on the next start.
 */
import { existsSync, readFileSync, rmSync, statfsSync, mkdirSync } from 'node:fs';
import { cpus, hostname, networkInterfaces, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../client/index.js';
import { clientFromKubeconfig } from '../client/rest-client.js';
import { errorText, silentLogger } from '../client/logger.js';
import { ensureBuiltinImages } from '../images/ensure.js';
import { createEventSink } from '../kubelet/events.js';
import type { Kubelet } from '../kubelet/kubelet.js';
import { createKubelet } from '../kubelet/kubelet.js';
import { createHandlerRunner } from '../kubelet/lifecycle/handlers.js';
import { createPodSource } from '../kubelet/pod-source.js';
import { createStaticPodSource } from '../kubelet/static-pods/static-pod-source.js';
import { createRealProber } from '../kubelet/prober/real-prober.js';
import { createCriRuntime } from '../kubelet/runtime/cri/cri-runtime.js';
import type { CriRuntime } from '../kubelet/runtime/cri/cri-runtime.js';
import type { KubeletServer } from '../kubelet/server/kubelet-server.js';
import { createKubeletServer } from '../kubelet/server/kubelet-server.js';
import { createStatsSampler } from '../kubelet/stats/runtime-sampler.js';
import { createTimerQueue } from '../kubelet/timer-queue.js';
import { createNodeObserver } from '../kubelet/node-observer.js';
import { readHostReadings } from '../kubelet/node-readings.js';
import type { ContainerEventListener } from '../kubelet/runtime/runtime.js';
import { LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID } from '../kubelet/runtime/runtime.js';
import { DEFAULT_BRIDGE, DEFAULT_NETWORK_NAME } from './containerd/config.js';
import { awaitPodCidr } from './pod-cidr.js';
import type { Containerd } from './containerd/containerd.js';
import { startContainerd } from './containerd/containerd.js';
import { BUSYBOX_REQUIREMENT, MissingPackagesError, missingRequirements } from './containerd/prerequisites.js';

export const DEFAULT_CLUSTER_CIDR = '10.42.0.0/16';
export const DEFAULT_KUBELET_PORT = 10250;

export interface AgentOptions {
  /** Admin (or node) kubeconfig the kubelet talks to the API with. */
  kubeconfigPath: string;
  dataDir: string;
  /** Default: the host name, lower-cased. */
  nodeName?: string;
  /**
   * This node's pod CIDR when the agent picks it itself (the embedded agent of a server that runs
   * no node IPAM controller). Unset: the node's `spec.podCIDR` as the IPAM controller assigns it
   * (the Node is created first when missing, and the agent waits for the CIDR).
   */
  podCidr?: string;
  /** How long to wait for the IPAM controller's pod CIDR (default 120 s). */
  podCidrTimeoutMs?: number;
  /** The node's InternalIP (`--node-ip`); default the default route's address. */
  internalIP?: string;
  /** `unix:///…sock` of a running CRI runtime; when unset Skiff starts its own containerd. */
  containerRuntimeEndpoint?: string;
  /** The pod bridge (default `skiff0`) and CNI network name (default `skiff`). */
  cniBridge?: string;
  cniNetworkName?: string;
  /** The kubelet's HTTPS endpoint; default 10250 on 127.0.0.1 (embedded agent). */
  kubeletPort?: number;
  kubeletBindAddress?: string;
  /** The cluster CA, and the kubelet's serving certificate signed by it. */
  tls: { caCertPem: string; certPem: string; keyPem: string };
  clusterDns?: string;
  clusterDomain?: string;
  /** Static pod manifests (`--pod-manifest-path`, default `<data-dir>/pod-manifests`) and `--manifest-url`. */
  podManifestPath?: string;
  manifestUrl?: string;
  /** Static pod rescan / URL poll interval (ms, default 10 s). */
  staticPodIntervalMs?: number;
  logger?: Logger;
}

export interface Agent {
  readonly nodeName: string;
  readonly podCidr: string;
  readonly kubeletPort: number;
  /** The private containerd, when Skiff started one. */
  readonly containerd?: Containerd;
  /** Stops the kubelet, its endpoint, then containerd. Idempotent. */
  stop(): Promise<void>;
}

/** `PRETTY_NAME` of /etc/os-release (as the kubelet's osImage). */
export function osImage(text?: string): string {
  let src = text;
  if (src === undefined) {
    try {
      src = readFileSync('/etc/os-release', 'utf8');
    } catch {
      return 'Unknown';
    }
  }
  const m = /^PRETTY_NAME=(.*)$/m.exec(src);
  if (!m?.[1]) return 'Unknown';
  return m[1].trim().replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
}

function readTrim(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

/** The interface of the IPv4 default route (from /proc/net/route). */
function defaultRouteInterface(): string | undefined {
  const text = readTrim('/proc/net/route');
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === '00000000' && f[7] === '00000000') return f[0];
  }
  return undefined;
}

/** The node's InternalIP: the default route's interface address, else the first external IPv4, else loopback. */
export function nodeInternalIp(exclude: readonly string[] = []): string {
  const ifaces = networkInterfaces();
  const v4 = (name: string): string | undefined => ifaces[name]?.find((a) => a.family === 'IPv4' && !a.internal)?.address;
  const route = defaultRouteInterface();
  const viaRoute = route ? v4(route) : undefined;
  if (viaRoute) return viaRoute;
  for (const name of Object.keys(ifaces)) {
    if (exclude.includes(name) || /^(veth|cni|skiff|docker|br-)/.test(name)) continue;
    const a = v4(name);
    if (a) return a;
  }
  return '127.0.0.1';
}

/** Capacity as the kubelet reports it: CPUs, memory and the data dir's file system; 110 pods. */
export function nodeCapacity(dataDir: string): { capacity: Record<string, string>; allocatable: Record<string, string> } {
  const memKi = Math.floor(totalmem() / 1024);
  let storageKi = 0;
  try {
    const s = statfsSync(dataDir);
    storageKi = Math.floor((Number(s.blocks) * Number(s.bsize)) / 1024);
  } catch {
    storageKi = 0;
  }
  const capacity = {
    cpu: String(cpus().length), memory: `${memKi}Ki`, 'ephemeral-storage': `${storageKi}Ki`, pods: '110', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0',
  };
  // Upstream's default hard eviction thresholds: memory.available<100Mi, nodefs.available<10%.
  const allocatable = {
    ...capacity, memory: `${Math.max(0, memKi - 100 * 1024)}Ki`, 'ephemeral-storage': String(Math.floor(storageKi * 1024 * 0.9)),
  };
  return { capacity, allocatable };
}

/**
 * The runtime, with pod log directories removed when their sandbox is (upstream's kubelet removes
 * a pod's logs with the pod).
 */
function withLogCleanup(runtime: CriRuntime): CriRuntime {
  const remove = runtime.removePodSandbox.bind(runtime);
  runtime.removePodSandbox = async (id: string): Promise<void> => {
    let dir = '';
    try {
      const { status } = await runtime.podSandboxStatus(id);
      const m = status.metadata;
      if (m.namespace && m.name && m.uid) dir = `/var/log/pods/${m.namespace}_${m.name}_${m.uid}`;
    } catch {
      dir = '';
    }
    await remove(id);
    if (dir && existsSync(dir)) {
      const others = await runtime.listPodSandbox({ labelSelector: { [LABEL_POD_UID]: dir.slice(dir.lastIndexOf('_') + 1) } });
      if (others.length === 0) rmSync(dir, { recursive: true, force: true });
    }
  };
  return runtime;
}

/**
 * The runtime, with every container event naming its pod: containerd 1.6 has no event stream, and
 * events polled from the container list carry only the container id, so the pod (from the
 * container's labels) is looked up and remembered, and the kubelet's pod worker wakes at once.
 */
function withPodEvents(runtime: CriRuntime): CriRuntime {
  const subscribe = runtime.getContainerEvents.bind(runtime);
  const podOf = new Map<string, { uid: string; name: string; namespace: string }>();
  runtime.getContainerEvents = (listener: ContainerEventListener): (() => void) => subscribe((e) => {
    if (e.podSandboxStatus) {
      listener(e);
      return;
    }
    void (async () => {
      let pod = podOf.get(e.containerId);
      if (!pod) {
        try {
          const { labels } = (await runtime.containerStatus(e.containerId)).status;
          pod = { uid: labels[LABEL_POD_UID] ?? '', name: labels[LABEL_POD_NAME] ?? '', namespace: labels[LABEL_POD_NAMESPACE] ?? '' };
          if (pod.uid) podOf.set(e.containerId, pod);
        } catch {
          return;
        }
      }
      if (e.containerEventType === 'CONTAINER_DELETED_EVENT') podOf.delete(e.containerId);
      if (!pod.uid) return;
      listener({
        ...e,
        podSandboxStatus: {
          id: '', metadata: { name: pod.name, uid: pod.uid, namespace: pod.namespace, attempt: 0 }, state: 'SANDBOX_READY', createdAt: 0,
          labels: {}, annotations: {}, runtimeHandler: '',
        },
      });
    })();
  });
  return runtime;
}

export async function startAgent(opts: AgentOptions): Promise<Agent> {
  const logger = opts.logger ?? silentLogger;
  const nodeName = (opts.nodeName ?? hostname()).toLowerCase();
  const bridge = opts.cniBridge ?? DEFAULT_BRIDGE;
  let containerd: Containerd | undefined;
  let runtime: CriRuntime | undefined;
  let server: KubeletServer | undefined;
  const cleanups: (() => Promise<void> | void)[] = [];
  const undo = async (): Promise<void> => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch (err) {
        logger.error({ err: errorText(err) }, 'agent shutdown step failed');
      }
    }
  };
  try {
    const client = clientFromKubeconfig(opts.kubeconfigPath, { userAgent: `skiff-kubelet/${nodeName}` });
    cleanups.push(() => client.close());
    // The bridge's CNI config needs the pod CIDR before containerd starts.
    const podCidr = opts.podCidr ?? await awaitPodCidr(client, nodeName, { timeoutMs: opts.podCidrTimeoutMs, logger });
    let endpoint = opts.containerRuntimeEndpoint;
    if (!endpoint) {
      containerd = await startContainerd({
        dataDir: opts.dataDir, podCidr, bridge, networkName: opts.cniNetworkName ?? DEFAULT_NETWORK_NAME,
      });
      const c = containerd;
      cleanups.push(() => c.stop());
      logger.info({ pid: c.pid, socket: c.socket }, 'containerd started');
      endpoint = c.endpoint;
    }
    const socket = endpoint.replace(/^unix:\/\//, '');
    try {
      const r = await ensureBuiltinImages(socket);
      if (r.imported.length) logger.info({ images: r.imported }, 'built-in images imported');
    } catch (err) {
      const missing = missingRequirements([BUSYBOX_REQUIREMENT]);
      if (missing.length) throw new MissingPackagesError(missing);
      throw err;
    }
    runtime = withPodEvents(withLogCleanup(createCriRuntime({ endpoint, eventPollMs: 250 })));
    const rt = runtime;
    cleanups.push(() => rt.close());

    const port = opts.kubeletPort ?? DEFAULT_KUBELET_PORT;
    const stats = createStatsSampler({ nodeName, runtime: rt, onError: (err) => logger.debug({ err: errorText(err) }, 'stats sample failed') });
    stats.start();
    cleanups.push(() => stats.stop());
    server = createKubeletServer({ runtime: rt, tls: opts.tls, stats });
    const boundPort = await server.listen(port, opts.kubeletBindAddress ?? '127.0.0.1');
    const srv = server;
    cleanups.push(() => srv.close());

    const timers = createTimerQueue({ onError: (err) => logger.error({ err: errorText(err) }, 'kubelet timer failed') });
    cleanups.push(() => timers.close());
    const events = createEventSink(client, { logger });
    cleanups.push(() => events.flush().catch(() => undefined));
    const podManifestPath = opts.podManifestPath ?? join(opts.dataDir, 'pod-manifests');
    mkdirSync(podManifestPath, { recursive: true, mode: 0o700 });
    const pods = createStaticPodSource({
      inner: createPodSource(client, { nodeName, logger }), client, manifestPath: podManifestPath,
      manifestUrl: opts.manifestUrl, intervalMs: opts.staticPodIntervalMs, logger,
    });
    cleanups.push(() => pods.stop());

    const rootDir = join(opts.dataDir, 'kubelet');
    mkdirSync(rootDir, { recursive: true, mode: 0o700 });
    const { capacity, allocatable } = nodeCapacity(opts.dataDir);
    const machineId = readTrim('/etc/machine-id');
    const kubelet: Kubelet = createKubelet({
      client, nodeName, runtime: rt, timers, pods, recorder: events.recorderFor(nodeName),
      prober: createRealProber({ runtime: rt }), handlers: createHandlerRunner({ runtime: rt }),
      internalIP: opts.internalIP ?? nodeInternalIp([bridge]), podCIDR: podCidr, capacity, allocatable, rootDir, kubeletPort: boundPort,
      clusterDns: opts.clusterDns, clusterDomain: opts.clusterDomain, logger,
      observeNode: createNodeObserver({ images: rt, readings: () => readHostReadings({ nodefs: rootDir, imagefs: containerd?.paths.root }) }),
      nodeInfo: {
        kernelVersion: release(), osImage: osImage(), machineID: machineId, bootID: readTrim('/proc/sys/kernel/random/boot_id'),
        systemUUID: readTrim('/sys/class/dmi/id/product_uuid') || machineId,
      },
    });
    cleanups.push(() => kubelet.stop());
    pods.start();
    for (let attempt = 0; ; attempt++) {
      try {
        await kubelet.start();
        break;
      } catch (err) {
        if (attempt >= 10) throw err;
        logger.info({ node: nodeName, err: errorText(err) }, 'node registration failed; retrying');
        await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
      }
    }
    logger.info({ node: nodeName, podCidr, kubeletPort: boundPort }, 'node agent ready');
    let stopping: Promise<void> | undefined;
    return {
      nodeName, podCidr, kubeletPort: boundPort, containerd,
      stop() {
        stopping ??= undo();
        return stopping;
      },
    };
  } catch (err) {
    await undo();
    throw err;
  }
}
