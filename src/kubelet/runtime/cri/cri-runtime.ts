/**
 * The `cri` runtime: the kubelet's `RuntimeService` over CRI v1 gRPC to a container runtime's
 * socket (Skiff's private containerd), plus the ImageService calls the image manager needs.
 *
 * - RunPodSandbox creates the pod's log directory (`/var/log/pods/<ns>_<name>_<uid>`) first, as
 *   upstream's kubelet does, and passes hostname, DNS config, port mappings and cgroup parent.
 * - CreateContainer passes image, command/args, env, mounts, log path and, when the request's
 *   config carries `linux.resources` (see `CriContainerConfig` and `resources.ts`), the cgroup
 *   settings.
 * - Stopping or removing what is already gone succeeds (the kubelet retries freely).
 * - Container events use GetContainerEvents where the runtime has it; containerd 1.6 does not, so
 *   then the container list is polled (only while someone listens) and changes become events.
 */
import { mkdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { RuntimeError, isRuntimeNotFound } from '../runtime.js';
import type {
  Container, ContainerEvent, ContainerEventListener, ContainerEventType, ContainerFilter, ContainerState, ContainerStatus, ContainerStatusResponse,
  CreateContainerRequest, ExecSyncRequest, ExecSyncResponse, ImageSpec, Mount, PodSandbox, PodSandboxConfig, PodSandboxFilter, PodSandboxStatus,
  PodSandboxStatusResponse, RunPodSandboxRequest, RuntimeService, VersionResponse, ContainerConfig, ContainerStatsRuntime,
} from '../runtime.js';
import { containerStatsFromWire } from './container-stats.js';
import type { AttachRequest, ExecRequest, PortForwardRequest } from '../runtime.js';
import type { CriClient } from './cri-client.js';
import { createCriClient, isUnimplemented } from './cri-client.js';
import type { ImagePuller } from './pull-policy.js';
import type {
  WireAuthConfig, WireContainerConfig, WireContainerStatus, WireImage, WireImageSpec, WireLinuxContainerResources, WireLinuxContainerSecurityContext,
  WireMount, WireMountPropagation, WirePodSandboxConfig, WirePodSandboxStatus, WireRuntimeCondition,
} from './wire.js';

/** A container config with the Linux settings CRI takes beyond the runtime interface's fields. */
export interface CriContainerConfig extends ContainerConfig {
  linux?: { resources?: WireLinuxContainerResources; securityContext?: WireLinuxContainerSecurityContext };
  /** Per-mount propagation (by container path); default private. */
  mountPropagation?: Record<string, WireMountPropagation>;
}

export interface CriImage {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
  pinned: boolean;
}

export interface CriImageService extends ImagePuller {
  listImages(filter?: string): Promise<CriImage[]>;
  /** undefined when the runtime does not have the image. */
  imageStatus(image: string): Promise<CriImage | undefined>;
  /** Pulls and returns the image ref (`sha256:…` for containerd). */
  pullImage(image: string, auth?: WireAuthConfig, sandboxConfig?: PodSandboxConfig): Promise<string>;
  removeImage(image: string): Promise<void>;
  imageFsInfo(): Promise<{ mountpoint: string; usedBytes: number; inodesUsed: number }[]>;
}

export interface CriRuntime extends RuntimeService, CriImageService, ContainerStatsRuntime {
  readonly client: CriClient;
  /** The runtime's RuntimeReady / NetworkReady conditions. */
  status(): Promise<WireRuntimeCondition[]>;
  updateContainerResources(containerId: string, resources: WireLinuxContainerResources): Promise<void>;
  reopenContainerLog(containerId: string): Promise<void>;
  /** CRI `Exec` / `Attach`: the streaming server's URL for one session. */
  exec(req: ExecRequest): Promise<{ url: string }>;
  attach(req: AttachRequest): Promise<{ url: string }>;
  /** CRI `PortForward`: the streaming server's URL for one port-forward session. */
  portForward(req: PortForwardRequest): Promise<{ url: string }>;
  /** Stops event streaming/polling and closes the connection. */
  close(): void;
}

export interface CriRuntimeOptions {
  /** `unix:///…/containerd.sock` or the socket path. */
  endpoint: string;
  /** Default gRPC deadline; default 2 min. */
  callTimeoutMs?: number;
  /** Polling interval for container events when GetContainerEvents is missing; default 1 s. */
  eventPollMs?: number;
  /** When set and a sandbox config has no cgroup parent: `<cgroupRoot>/pod<uid>` (cgroupfs driver). */
  cgroupRoot?: string;
  /** Leave log directories to someone else (default: created before RunPodSandbox). */
  skipLogDirectories?: boolean;
  client?: CriClient;
}

const PROTOCOLS = new Set(['TCP', 'UDP', 'SCTP']);

function sandboxConfigToWire(c: PodSandboxConfig, cgroupRoot: string | undefined): WirePodSandboxConfig {
  const ns = c.linux?.securityContext?.namespaceOptions;
  // As upstream's kubelet: a host-network pod has the node's UTS namespace, so no hostname of its own.
  const hostNetwork = ns?.network === 'NODE';
  const cgroupParent = c.linux?.cgroupParent || (cgroupRoot && c.metadata.uid ? `${cgroupRoot.replace(/\/+$/, '')}/pod${c.metadata.uid}` : '');
  return {
    metadata: { name: c.metadata.name, uid: c.metadata.uid, namespace: c.metadata.namespace, attempt: c.metadata.attempt },
    hostname: hostNetwork ? '' : c.hostname,
    logDirectory: c.logDirectory,
    ...(c.dnsConfig ? { dnsConfig: { servers: c.dnsConfig.servers, searches: c.dnsConfig.searches, options: c.dnsConfig.options } } : {}),
    portMappings: c.portMappings.map((p) => ({ protocol: PROTOCOLS.has(p.protocol) ? p.protocol : 'TCP', containerPort: p.containerPort, hostPort: p.hostPort, hostIp: p.hostIp })),
    labels: { ...c.labels },
    annotations: { ...c.annotations },
    linux: {
      cgroupParent,
      securityContext: {
        namespaceOptions: { network: ns?.network ?? 'POD', pid: ns?.pid ?? 'CONTAINER', ipc: ns?.ipc ?? 'POD' },
      },
    },
  };
}

function containerConfigToWire(c: CriContainerConfig): WireContainerConfig {
  return {
    metadata: { name: c.metadata.name, attempt: c.metadata.attempt },
    image: imageSpecToWire(c.image),
    command: c.command,
    args: c.args,
    workingDir: c.workingDir,
    envs: c.envs.map((e) => ({ key: e.key, value: e.value })),
    mounts: c.mounts.map((m): WireMount => ({
      containerPath: m.containerPath, hostPath: m.hostPath, readonly: m.readonly, propagation: c.mountPropagation?.[m.containerPath] ?? 'PROPAGATION_PRIVATE',
    })),
    labels: { ...c.labels },
    annotations: { ...c.annotations },
    logPath: c.logPath,
    stdin: c.stdin,
    stdinOnce: c.stdinOnce,
    tty: c.tty,
    ...(c.linux ? { linux: c.linux } : {}),
  };
}

function imageSpecToWire(i: ImageSpec): WireImageSpec {
  return { image: i.image, annotations: { ...(i.annotations ?? {}) }, userSpecifiedImage: i.userSpecifiedImage ?? i.image };
}

function imageSpecFromWire(i: WireImageSpec | null | undefined): ImageSpec {
  return { image: i?.image ?? '', userSpecifiedImage: i?.userSpecifiedImage ?? '', annotations: { ...(i?.annotations ?? {}) } };
}

function sandboxStatusFromWire(s: WirePodSandboxStatus): PodSandboxStatus {
  return {
    id: s.id,
    metadata: { name: s.metadata?.name ?? '', uid: s.metadata?.uid ?? '', namespace: s.metadata?.namespace ?? '', attempt: s.metadata?.attempt ?? 0 },
    state: s.state,
    createdAt: s.createdAt,
    network: { ip: s.network?.ip ?? '', additionalIps: (s.network?.additionalIps ?? []).map((a) => ({ ip: a.ip })) },
    labels: { ...s.labels },
    annotations: { ...s.annotations },
    runtimeHandler: s.runtimeHandler,
  };
}

function containerStatusFromWire(s: WireContainerStatus): ContainerStatus {
  return {
    id: s.id,
    metadata: { name: s.metadata?.name ?? '', attempt: s.metadata?.attempt ?? 0 },
    state: s.state,
    createdAt: s.createdAt,
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
    exitCode: s.exitCode,
    image: imageSpecFromWire(s.image),
    imageRef: s.imageRef,
    reason: s.reason,
    message: s.message,
    labels: { ...s.labels },
    annotations: { ...s.annotations },
    mounts: s.mounts.map((m): Mount => ({ containerPath: m.containerPath, hostPath: m.hostPath, readonly: Boolean(m.readonly) })),
    logPath: s.logPath,
  };
}

function imageFromWire(i: WireImage): CriImage {
  return { id: i.id, repoTags: [...i.repoTags], repoDigests: [...i.repoDigests], size: i.size, pinned: i.pinned };
}

async function ignoreNotFound(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!isRuntimeNotFound(e)) throw e;
  }
}

/** The log directory the sandbox config names; created 0755 as upstream's kubelet does. */
function ensureLogDirectory(dir: string): void {
  if (!dir) return;
  if (!isAbsolute(dir)) throw new RuntimeError('InvalidArgument', `log directory ${JSON.stringify(dir)} is not absolute`);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
}

export function createCriRuntime(opts: CriRuntimeOptions): CriRuntime {
  const client = opts.client ?? createCriClient({ endpoint: opts.endpoint, defaultTimeoutMs: opts.callTimeoutMs });
  const pollMs = opts.eventPollMs ?? 1_000;
  const listeners = new Set<ContainerEventListener>();
  let stream: (() => void) | undefined;
  let polling: NodeJS.Timeout | undefined;
  let pollBusy = false;
  let known: Map<string, ContainerState> | undefined;
  let streamUnsupported = false;
  let closed = false;

  function emit(event: ContainerEvent): void {
    for (const l of listeners) {
      try {
        l(event);
      } catch {
        // a listener's failure is its own
      }
    }
  }

  async function pollOnce(): Promise<void> {
    if (pollBusy || closed) return;
    pollBusy = true;
    try {
      const { containers } = await client.runtime('ListContainers', {}, { timeoutMs: 10_000 });
      const now = Date.now() * 1e6;
      const next = new Map<string, ContainerState>();
      const previous = known;
      for (const c of containers) {
        next.set(c.id, c.state);
        if (!previous) continue;
        const before = previous.get(c.id);
        const types: ContainerEventType[] = [];
        if (before === undefined) {
          types.push('CONTAINER_CREATED_EVENT');
          if (c.state === 'CONTAINER_RUNNING' || c.state === 'CONTAINER_EXITED') types.push('CONTAINER_STARTED_EVENT');
          if (c.state === 'CONTAINER_EXITED') types.push('CONTAINER_STOPPED_EVENT');
        } else if (before !== c.state) {
          if (before === 'CONTAINER_CREATED' && (c.state === 'CONTAINER_RUNNING' || c.state === 'CONTAINER_EXITED')) types.push('CONTAINER_STARTED_EVENT');
          if (c.state === 'CONTAINER_EXITED') types.push('CONTAINER_STOPPED_EVENT');
        }
        for (const t of types) emit({ containerId: c.id, containerEventType: t, createdAt: now });
      }
      if (previous) for (const id of previous.keys()) if (!next.has(id)) emit({ containerId: id, containerEventType: 'CONTAINER_DELETED_EVENT', createdAt: now });
      known = next;
    } catch {
      // the runtime is down for a moment: try again on the next tick
    } finally {
      pollBusy = false;
    }
  }

  function startPolling(): void {
    if (polling || closed) return;
    known = undefined;
    void pollOnce();
    polling = setInterval(() => void pollOnce(), pollMs);
    polling.unref();
  }

  function startEvents(): void {
    if (closed || stream || polling) return;
    if (streamUnsupported) {
      startPolling();
      return;
    }
    stream = client.containerEvents(
      (e) => emit({
        containerId: e.containerId, containerEventType: e.containerEventType, createdAt: e.createdAt,
        ...(e.podSandboxStatus ? { podSandboxStatus: sandboxStatusFromWire(e.podSandboxStatus) } : {}),
      }),
      (err) => {
        stream = undefined;
        if (closed || listeners.size === 0) return;
        if (err && isUnimplemented(err)) {
          streamUnsupported = true;
          startPolling();
          return;
        }
        // The stream broke (runtime restarted): reopen shortly.
        setTimeout(() => {
          if (listeners.size > 0) startEvents();
        }, 1_000).unref();
      },
    );
  }

  function stopEvents(): void {
    stream?.();
    stream = undefined;
    if (polling) clearInterval(polling);
    polling = undefined;
    known = undefined;
  }

  const runtime: CriRuntime = {
    client,

    async version(apiVersion = 'v1'): Promise<VersionResponse> {
      const v = await client.runtime('Version', { version: apiVersion });
      return { version: v.version, runtimeName: v.runtimeName, runtimeVersion: v.runtimeVersion, runtimeApiVersion: v.runtimeApiVersion };
    },

    async status() {
      return (await client.runtime('Status', {})).status?.conditions ?? [];
    },

    async runPodSandbox(req: RunPodSandboxRequest) {
      if (!opts.skipLogDirectories) ensureLogDirectory(req.config.logDirectory);
      const res = await client.runtime('RunPodSandbox', { config: sandboxConfigToWire(req.config, opts.cgroupRoot), runtimeHandler: req.runtimeHandler ?? '' });
      return { podSandboxId: res.podSandboxId };
    },

    async stopPodSandbox(id: string) {
      await ignoreNotFound(client.runtime('StopPodSandbox', { podSandboxId: id }));
    },

    async removePodSandbox(id: string) {
      await ignoreNotFound(client.runtime('RemovePodSandbox', { podSandboxId: id }));
    },

    async podSandboxStatus(id: string): Promise<PodSandboxStatusResponse> {
      const res = await client.runtime('PodSandboxStatus', { podSandboxId: id });
      if (!res.status) throw new RuntimeError('NotFound', `no status for sandbox ${id}`);
      return { status: sandboxStatusFromWire(res.status), info: { ...res.info } };
    },

    async listPodSandbox(filter?: PodSandboxFilter): Promise<PodSandbox[]> {
      const res = await client.runtime('ListPodSandbox', {
        ...(filter ? { filter: { id: filter.id ?? '', ...(filter.state ? { state: { state: filter.state } } : {}), labelSelector: { ...(filter.labelSelector ?? {}) } } } : {}),
      });
      return res.items.map((s) => ({
        id: s.id,
        metadata: { name: s.metadata?.name ?? '', uid: s.metadata?.uid ?? '', namespace: s.metadata?.namespace ?? '', attempt: s.metadata?.attempt ?? 0 },
        state: s.state, createdAt: s.createdAt, labels: { ...s.labels }, annotations: { ...s.annotations }, runtimeHandler: s.runtimeHandler,
      }));
    },

    async createContainer(req: CreateContainerRequest) {
      const config = req.config as CriContainerConfig;
      if (!opts.skipLogDirectories && config.logPath && req.sandboxConfig.logDirectory) {
        const dir = join(req.sandboxConfig.logDirectory, config.logPath, '..');
        ensureLogDirectory(dir);
      }
      const res = await client.runtime('CreateContainer', {
        podSandboxId: req.podSandboxId, config: containerConfigToWire(config), sandboxConfig: sandboxConfigToWire(req.sandboxConfig, opts.cgroupRoot),
      });
      return { containerId: res.containerId };
    },

    async startContainer(id: string) {
      await client.runtime('StartContainer', { containerId: id });
    },

    async stopContainer(id: string, timeout: number) {
      const t = Math.max(0, Math.floor(timeout));
      await ignoreNotFound(client.runtime('StopContainer', { containerId: id, timeout: t }, { timeoutMs: (t + 60) * 1000 }));
    },

    async removeContainer(id: string) {
      await ignoreNotFound(client.runtime('RemoveContainer', { containerId: id }));
    },

    async listContainers(filter?: ContainerFilter): Promise<Container[]> {
      const res = await client.runtime('ListContainers', {
        ...(filter ? {
          filter: {
            id: filter.id ?? '', podSandboxId: filter.podSandboxId ?? '', labelSelector: { ...(filter.labelSelector ?? {}) },
            ...(filter.state ? { state: { state: filter.state } } : {}),
          },
        } : {}),
      });
      return res.containers.map((c) => ({
        id: c.id, podSandboxId: c.podSandboxId, metadata: { name: c.metadata?.name ?? '', attempt: c.metadata?.attempt ?? 0 },
        image: imageSpecFromWire(c.image), imageRef: c.imageRef, state: c.state, createdAt: c.createdAt,
        labels: { ...c.labels }, annotations: { ...c.annotations },
      }));
    },

    async containerStatus(id: string): Promise<ContainerStatusResponse> {
      const res = await client.runtime('ContainerStatus', { containerId: id });
      if (!res.status) throw new RuntimeError('NotFound', `no status for container ${id}`);
      return { status: containerStatusFromWire(res.status), info: { ...res.info } };
    },

    async execSync(req: ExecSyncRequest): Promise<ExecSyncResponse> {
      const timeout = Math.max(0, Math.floor(req.timeout));
      const res = await client.runtime('ExecSync', { containerId: req.containerId, cmd: req.cmd, timeout }, { timeoutMs: timeout > 0 ? (timeout + 30) * 1000 : 24 * 3600 * 1000 });
      return { stdout: new Uint8Array(res.stdout), stderr: new Uint8Array(res.stderr), exitCode: res.exitCode };
    },

    async exec(req: ExecRequest) {
      const res = await client.runtime('Exec', { containerId: req.containerId, cmd: req.cmd, tty: req.tty, stdin: req.stdin, stdout: req.stdout, stderr: req.stderr });
      return { url: res.url };
    },

    async attach(req: AttachRequest) {
      const res = await client.runtime('Attach', { containerId: req.containerId, tty: req.tty, stdin: req.stdin, stdout: req.stdout, stderr: req.stderr });
      return { url: res.url };
    },

    getContainerEvents(listener: ContainerEventListener) {
      listeners.add(listener);
      startEvents();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) stopEvents();
      };
    },

    async listContainerStats(filter) {
      const res = await client.runtime('ListContainerStats', filter ? {
        filter: { id: filter.id ?? '', podSandboxId: filter.podSandboxId ?? '', labelSelector: { ...(filter.labelSelector ?? {}) } },
      } : {});
      return res.stats.map(containerStatsFromWire);
    },

    async portForward(req: PortForwardRequest) {
      const res = await client.runtime('PortForward', { podSandboxId: req.podSandboxId, port: req.port });
      return { url: res.url };
    },

    async updateContainerResources(containerId, resources) {
      await client.runtime('UpdateContainerResources', { containerId, linux: resources });
    },

    async reopenContainerLog(containerId) {
      await client.runtime('ReopenContainerLog', { containerId });
    },

    async listImages(filter?: string) {
      const res = await client.image('ListImages', filter ? { filter: { image: { image: filter } } } : {});
      return res.images.map(imageFromWire);
    },

    async imageStatus(image: string) {
      const res = await client.image('ImageStatus', { image: { image } });
      return res.image ? imageFromWire(res.image) : undefined;
    },

    async imagePresent(image: string) {
      return (await runtime.imageStatus(image))?.id;
    },

    async pullImage(image: string, auth?: WireAuthConfig, sandboxConfig?: PodSandboxConfig) {
      const res = await client.image('PullImage', {
        image: { image }, ...(auth ? { auth } : {}), ...(sandboxConfig ? { sandboxConfig: sandboxConfigToWire(sandboxConfig, opts.cgroupRoot) } : {}),
      }, { timeoutMs: 30 * 60 * 1000 });
      return res.imageRef;
    },

    async removeImage(image: string) {
      await ignoreNotFound(client.image('RemoveImage', { image: { image } }));
    },

    async imageFsInfo() {
      const res = await client.image('ImageFsInfo', {});
      return res.imageFilesystems.map((f) => ({ mountpoint: f.fsId?.mountpoint ?? '', usedBytes: f.usedBytes?.value ?? 0, inodesUsed: f.inodesUsed?.value ?? 0 }));
    },

    close() {
      closed = true;
      listeners.clear();
      stopEvents();
      client.close();
    },
  };
  return runtime;
}
