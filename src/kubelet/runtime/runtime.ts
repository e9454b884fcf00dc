/**
 * The container runtime contract the kubelet drives, shaped like CRI v1's RuntimeService
 * (`../shared/reference/cri-api-v0.32.9-runtime-v1.proto`): the same calls, the same message
 * fields the kubelet uses, in camelCase. Timestamps are nanoseconds since the epoch (CRI's int64)
 * held in a `number`: that loses sub-microsecond precision, which nothing the kubelet shows needs.
 *
 * Contract notes for implementations:
 * - Every call may be retried by the kubelet; stopping or removing something already stopped or
 *   gone succeeds (as CRI requires), an unknown id is a `RuntimeError` with code `NotFound`.
 * - `stopContainer` resolves once the container has exited: SIGTERM, then SIGKILL after
 *   `timeout` seconds (0 means kill at once).
 * - `getContainerEvents` mirrors the streaming GetContainerEvents call: the listener is told
 *   about every created, started, stopped and deleted container, so the kubelet need not poll.
 */

export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';
export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
export type ContainerEventType =
  | 'CONTAINER_CREATED_EVENT'
  | 'CONTAINER_STARTED_EVENT'
  | 'CONTAINER_STOPPED_EVENT'
  | 'CONTAINER_DELETED_EVENT';

export type Labels = Record<string, string>;

/** Label keys the kubelet puts on sandboxes and containers (upstream kubelet/types). */
export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
/** Annotation keys the kubelet reads back from container status. */
export const ANNOTATION_RESTART_COUNT = 'io.kubernetes.container.restartCount';
export const ANNOTATION_CONTAINER_HASH = 'io.kubernetes.container.hash';
export const ANNOTATION_TERMINATION_GRACE = 'io.kubernetes.pod.terminationGracePeriod';
/**
 * Our own container annotation telling runtimes the container's role: `init`, `sidecar`
 * (restartable init container) or `app`. The simulated runtime needs it; real runtimes ignore it.
 */
export const ANNOTATION_CONTAINER_TYPE = 'skiff.io/container-type';

export interface VersionResponse {
  version: string;
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

export interface DnsConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

export interface PortMapping {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  containerPort: number;
  hostPort: number;
  hostIp: string;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname: string;
  logDirectory: string;
  dnsConfig?: DnsConfig;
  portMappings: PortMapping[];
  labels: Labels;
  annotations: Labels;
  linux?: {
    cgroupParent?: string;
    /** Namespace modes: `NODE` for hostNetwork / hostPID / hostIPC pods. */
    securityContext?: { namespaceOptions?: { network?: 'POD' | 'NODE'; pid?: 'POD' | 'CONTAINER' | 'NODE'; ipc?: 'POD' | 'NODE' } };
  };
}

export interface RunPodSandboxRequest {
  config: PodSandboxConfig;
  runtimeHandler?: string;
}

export interface PodSandboxNetworkStatus {
  ip: string;
  additionalIps: { ip: string }[];
}

export interface PodSandboxStatus {
  id: string;
  metadata: PodSandboxMetadata;
  state: PodSandboxState;
  /** ns since the epoch */
  createdAt: number;
  network?: PodSandboxNetworkStatus;
  labels: Labels;
  annotations: Labels;
  runtimeHandler: string;
}

export interface PodSandboxStatusResponse {
  status: PodSandboxStatus;
  info: Record<string, string>;
}

export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata;
  state: PodSandboxState;
  createdAt: number;
  labels: Labels;
  annotations: Labels;
  runtimeHandler: string;
}

export interface PodSandboxFilter {
  id?: string;
  state?: PodSandboxState;
  labelSelector?: Labels;
}

export interface ContainerMetadata {
  name: string;
  attempt: number;
}

export interface ImageSpec {
  image: string;
  userSpecifiedImage?: string;
  annotations?: Labels;
}

export interface KeyValue {
  key: string;
  value: string;
}

export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly: boolean;
}

export interface ContainerConfig {
  metadata: ContainerMetadata;
  image: ImageSpec;
  command: string[];
  args: string[];
  workingDir: string;
  envs: KeyValue[];
  mounts: Mount[];
  labels: Labels;
  annotations: Labels;
  logPath: string;
  stdin: boolean;
  stdinOnce: boolean;
  tty: boolean;
}

export interface CreateContainerRequest {
  podSandboxId: string;
  config: ContainerConfig;
  sandboxConfig: PodSandboxConfig;
}

export interface ContainerFilter {
  id?: string;
  state?: ContainerState;
  podSandboxId?: string;
  labelSelector?: Labels;
}

export interface Container {
  id: string;
  podSandboxId: string;
  metadata: ContainerMetadata;
  image: ImageSpec;
  imageRef: string;
  state: ContainerState;
  createdAt: number;
  labels: Labels;
  annotations: Labels;
}

export interface ContainerStatus {
  id: string;
  metadata: ContainerMetadata;
  state: ContainerState;
  /** ns since the epoch; 0 when not yet */
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  image: ImageSpec;
  imageRef: string;
  /** `Completed`, `Error`, `OOMKilled`, `ContainerCannotRun`, ... for exited containers */
  reason: string;
  message: string;
  labels: Labels;
  annotations: Labels;
  mounts: Mount[];
  logPath: string;
}

export interface ContainerStatusResponse {
  status: ContainerStatus;
  info: Record<string, string>;
}

export interface ExecSyncRequest {
  containerId: string;
  cmd: string[];
  /** seconds; 0 = no timeout */
  timeout: number;
}

export interface ExecSyncResponse {
  stdout: Uint8Array;
  stderr: Uint8Array;
  exitCode: number;
}

export interface ContainerEvent {
  containerId: string;
  containerEventType: ContainerEventType;
  /** ns since the epoch */
  createdAt: number;
  podSandboxStatus?: PodSandboxStatus;
}

export type ContainerEventListener = (event: ContainerEvent) => void;

/** CRI `Exec`: where the runtime's streaming server serves this exec session. */
export interface ExecRequest {
  containerId: string;
  cmd: string[];
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/** CRI `Attach`. */
export interface AttachRequest {
  containerId: string;
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/** CRI `PortForward`. */
export interface PortForwardRequest {
  podSandboxId: string;
  port: number[];
}

/**
 * The CRI streaming calls: each returns the URL of the runtime's streaming server for one session
 * (containerd serves SPDY/3.1 and WebSocket there, as upstream's kubelet streaming library).
 */
export interface StreamingRuntime {
  exec(req: ExecRequest): Promise<{ url: string }>;
  attach(req: AttachRequest): Promise<{ url: string }>;
  portForward(req: PortForwardRequest): Promise<{ url: string }>;
}

/** CRI `ContainerStats` (the fields the kubelet's stats use); cumulative figures, ns timestamps. */
export interface ContainerStats {
  attributes: { id: string; metadata: ContainerMetadata; labels: Labels; annotations: Labels };
  cpu?: { timestamp: number; usageCoreNanoSeconds?: number };
  memory?: { timestamp: number; workingSetBytes?: number; availableBytes?: number; usageBytes?: number; rssBytes?: number; pageFaults?: number; majorPageFaults?: number };
}

/** CRI `ListContainerStats`, for runtimes that measure their containers. */
export interface ContainerStatsRuntime {
  listContainerStats(filter?: { id?: string; podSandboxId?: string; labelSelector?: Labels }): Promise<ContainerStats[]>;
}

export type RuntimeErrorCode = 'NotFound' | 'FailedPrecondition' | 'InvalidArgument' | 'Unavailable' | 'Internal' | 'DeadlineExceeded';

/** A failed runtime call; `code` is the gRPC status the CRI call would carry. */
export class RuntimeError extends Error {
  readonly code: RuntimeErrorCode;
  constructor(code: RuntimeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RuntimeError';
    this.code = code;
  }
}

export function isRuntimeNotFound(e: unknown): boolean {
  return e instanceof RuntimeError && e.code === 'NotFound';
}

/** CRI v1 RuntimeService, the calls the kubelet uses. */
export interface RuntimeService {
  version(apiVersion?: string): Promise<VersionResponse>;
  runPodSandbox(req: RunPodSandboxRequest): Promise<{ podSandboxId: string }>;
  /** Stops every container of the sandbox (killing them) and releases its network. Idempotent. */
  stopPodSandbox(podSandboxId: string): Promise<void>;
  /** Removes the sandbox and its containers. Idempotent. */
  removePodSandbox(podSandboxId: string): Promise<void>;
  podSandboxStatus(podSandboxId: string): Promise<PodSandboxStatusResponse>;
  listPodSandbox(filter?: PodSandboxFilter): Promise<PodSandbox[]>;
  createContainer(req: CreateContainerRequest): Promise<{ containerId: string }>;
  startContainer(containerId: string): Promise<void>;
  /** Resolves once the container exited; `timeout` seconds between SIGTERM and SIGKILL. Idempotent. */
  stopContainer(containerId: string, timeout: number): Promise<void>;
  removeContainer(containerId: string): Promise<void>;
  listContainers(filter?: ContainerFilter): Promise<Container[]>;
  containerStatus(containerId: string): Promise<ContainerStatusResponse>;
  execSync(req: ExecSyncRequest): Promise<ExecSyncResponse>;
  /** Subscribes to container events; returns the unsubscribe function. */
  getContainerEvents(listener: ContainerEventListener): () => void;
}

/** ns since the epoch for a `Date.now()`-like millisecond value. */
export function msToNs(ms: number): number {
  return ms * 1e6;
}

/** RFC 3339 (seconds precision, as metav1.Time marshals) for a ns timestamp; undefined for 0. */
export function nsToRfc3339(ns: number): string | undefined {
  if (!ns) return undefined;
  return new Date(Math.floor(ns / 1e6)).toISOString().replace(/\.\d+Z$/, 'Z');
}
