/**
 * The CRI v1 messages as they travel through @grpc/proto-loader with the options in
 * `cri-client.ts`: camelCase field names, int64 as `number`, enums as their names, bytes as
 * `Buffer`, defaults filled in. Message-typed fields that the peer left unset arrive as `null`.
 * Only the fields Skiff reads or writes are listed.
 */

export type Map = Record<string, string>;
export type Maybe<T> = T | null | undefined;

export type WireProtocol = 'TCP' | 'UDP' | 'SCTP';
export type WireNamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';
export type WireMountPropagation = 'PROPAGATION_PRIVATE' | 'PROPAGATION_HOST_TO_CONTAINER' | 'PROPAGATION_BIDIRECTIONAL';
export type WireSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
export type WireContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';
export type WireContainerEventType = 'CONTAINER_CREATED_EVENT' | 'CONTAINER_STARTED_EVENT' | 'CONTAINER_STOPPED_EVENT' | 'CONTAINER_DELETED_EVENT';

export interface WireVersionResponse {
  version: string;
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

export interface WireRuntimeCondition {
  type: string;
  status: boolean;
  reason: string;
  message: string;
}

export interface WireStatusResponse {
  status: Maybe<{ conditions: WireRuntimeCondition[] }>;
  info: Map;
}

export interface WireDnsConfig {
  servers?: string[];
  searches?: string[];
  options?: string[];
}

export interface WirePortMapping {
  protocol?: WireProtocol;
  containerPort?: number;
  hostPort?: number;
  hostIp?: string;
}

export interface WireMount {
  containerPath: string;
  hostPath: string;
  readonly?: boolean;
  selinuxRelabel?: boolean;
  propagation?: WireMountPropagation;
}

export interface WireNamespaceOption {
  network?: WireNamespaceMode;
  pid?: WireNamespaceMode;
  ipc?: WireNamespaceMode;
  targetId?: string;
}

export interface WireInt64Value {
  value: number;
}

export interface WireLinuxContainerResources {
  cpuPeriod?: number;
  cpuQuota?: number;
  cpuShares?: number;
  memoryLimitInBytes?: number;
  oomScoreAdj?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  unified?: Map;
  memorySwapLimitInBytes?: number;
}

export interface WireLinuxSandboxSecurityContext {
  namespaceOptions?: WireNamespaceOption;
  runAsUser?: WireInt64Value;
  runAsGroup?: WireInt64Value;
  readonlyRootfs?: boolean;
  supplementalGroups?: number[];
  privileged?: boolean;
}

export interface WirePodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

export interface WirePodSandboxConfig {
  metadata: WirePodSandboxMetadata;
  hostname?: string;
  logDirectory?: string;
  dnsConfig?: WireDnsConfig;
  portMappings?: WirePortMapping[];
  labels?: Map;
  annotations?: Map;
  linux?: {
    cgroupParent?: string;
    securityContext?: WireLinuxSandboxSecurityContext;
    sysctls?: Map;
    overhead?: WireLinuxContainerResources;
    resources?: WireLinuxContainerResources;
  };
}

export interface WirePodSandboxStatus {
  id: string;
  metadata: Maybe<WirePodSandboxMetadata>;
  state: WireSandboxState;
  createdAt: number;
  network: Maybe<{ ip: string; additionalIps: { ip: string }[] }>;
  labels: Map;
  annotations: Map;
  runtimeHandler: string;
}

export interface WirePodSandboxStatusResponse {
  status: Maybe<WirePodSandboxStatus>;
  info: Map;
}

export interface WirePodSandboxFilter {
  id?: string;
  state?: { state: WireSandboxState };
  labelSelector?: Map;
}

export interface WirePodSandbox {
  id: string;
  metadata: Maybe<WirePodSandboxMetadata>;
  state: WireSandboxState;
  createdAt: number;
  labels: Map;
  annotations: Map;
  runtimeHandler: string;
}

export interface WireImageSpec {
  image: string;
  annotations?: Map;
  userSpecifiedImage?: string;
  runtimeHandler?: string;
}

export interface WireCapability {
  addCapabilities?: string[];
  dropCapabilities?: string[];
}

export interface WireLinuxContainerSecurityContext {
  capabilities?: WireCapability;
  privileged?: boolean;
  namespaceOptions?: WireNamespaceOption;
  runAsUser?: WireInt64Value;
  runAsGroup?: WireInt64Value;
  runAsUsername?: string;
  readonlyRootfs?: boolean;
  supplementalGroups?: number[];
  noNewPrivs?: boolean;
}

export interface WireContainerConfig {
  metadata: { name: string; attempt: number };
  image: WireImageSpec;
  command?: string[];
  args?: string[];
  workingDir?: string;
  envs?: { key: string; value: string }[];
  mounts?: WireMount[];
  labels?: Map;
  annotations?: Map;
  logPath?: string;
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  linux?: { resources?: WireLinuxContainerResources; securityContext?: WireLinuxContainerSecurityContext };
}

export interface WireContainerFilter {
  id?: string;
  state?: { state: WireContainerState };
  podSandboxId?: string;
  labelSelector?: Map;
}

export interface WireContainer {
  id: string;
  podSandboxId: string;
  metadata: Maybe<{ name: string; attempt: number }>;
  image: Maybe<WireImageSpec>;
  imageRef: string;
  state: WireContainerState;
  createdAt: number;
  labels: Map;
  annotations: Map;
}

export interface WireContainerStatus {
  id: string;
  metadata: Maybe<{ name: string; attempt: number }>;
  state: WireContainerState;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  image: Maybe<WireImageSpec>;
  imageRef: string;
  reason: string;
  message: string;
  labels: Map;
  annotations: Map;
  mounts: WireMount[];
  logPath: string;
  resources: Maybe<{ linux: Maybe<WireLinuxContainerResources> }>;
}

export interface WireContainerStatusResponse {
  status: Maybe<WireContainerStatus>;
  info: Map;
}

export interface WireExecSyncResponse {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

export interface WireContainerEventResponse {
  containerId: string;
  containerEventType: WireContainerEventType;
  createdAt: number;
  podSandboxStatus: Maybe<WirePodSandboxStatus>;
  containersStatuses: WireContainerStatus[];
}

export interface WireImage {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
  uid: Maybe<WireInt64Value>;
  username: string;
  spec: Maybe<WireImageSpec>;
  pinned: boolean;
}

export interface WireAuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  serverAddress?: string;
  identityToken?: string;
  registryToken?: string;
}

export interface WireFilesystemUsage {
  timestamp: number;
  fsId: Maybe<{ mountpoint: string }>;
  usedBytes: Maybe<{ value: number }>;
  inodesUsed: Maybe<{ value: number }>;
}

export interface WireContainerStats {
  attributes: Maybe<{ id: string; metadata: Maybe<{ name: string; attempt: number }>; labels: Map; annotations: Map }>;
  cpu: Maybe<{ timestamp: number; usageCoreNanoSeconds: Maybe<{ value: number }>; usageNanoCores: Maybe<{ value: number }> }>;
  memory: Maybe<{
    timestamp: number; workingSetBytes: Maybe<{ value: number }>; availableBytes: Maybe<{ value: number }>; usageBytes: Maybe<{ value: number }>;
    rssBytes: Maybe<{ value: number }>; pageFaults: Maybe<{ value: number }>; majorPageFaults: Maybe<{ value: number }>;
  }>;
}

/** Request and response types of each call, by method name. */
export interface RuntimeCalls {
  Version: [{ version?: string }, WireVersionResponse];
  Status: [{ verbose?: boolean }, WireStatusResponse];
  RunPodSandbox: [{ config: WirePodSandboxConfig; runtimeHandler?: string }, { podSandboxId: string }];
  StopPodSandbox: [{ podSandboxId: string }, Record<string, never>];
  RemovePodSandbox: [{ podSandboxId: string }, Record<string, never>];
  PodSandboxStatus: [{ podSandboxId: string; verbose?: boolean }, WirePodSandboxStatusResponse];
  ListPodSandbox: [{ filter?: WirePodSandboxFilter }, { items: WirePodSandbox[] }];
  CreateContainer: [{ podSandboxId: string; config: WireContainerConfig; sandboxConfig: WirePodSandboxConfig }, { containerId: string }];
  StartContainer: [{ containerId: string }, Record<string, never>];
  StopContainer: [{ containerId: string; timeout: number }, Record<string, never>];
  RemoveContainer: [{ containerId: string }, Record<string, never>];
  ListContainers: [{ filter?: WireContainerFilter }, { containers: WireContainer[] }];
  ContainerStatus: [{ containerId: string; verbose?: boolean }, WireContainerStatusResponse];
  UpdateContainerResources: [{ containerId: string; linux?: WireLinuxContainerResources; annotations?: Map }, Record<string, never>];
  ReopenContainerLog: [{ containerId: string }, Record<string, never>];
  ExecSync: [{ containerId: string; cmd: string[]; timeout: number }, WireExecSyncResponse];
  Exec: [{ containerId: string; cmd: string[]; tty?: boolean; stdin?: boolean; stdout?: boolean; stderr?: boolean }, { url: string }];
  Attach: [{ containerId: string; stdin?: boolean; tty?: boolean; stdout?: boolean; stderr?: boolean }, { url: string }];
  PortForward: [{ podSandboxId: string; port: number[] }, { url: string }];
  ListContainerStats: [{ filter?: { id?: string; podSandboxId?: string; labelSelector?: Map } }, { stats: WireContainerStats[] }];
}

export interface ImageCalls {
  ListImages: [{ filter?: { image?: WireImageSpec } }, { images: WireImage[] }];
  ImageStatus: [{ image: WireImageSpec; verbose?: boolean }, { image: Maybe<WireImage>; info: Map }];
  PullImage: [{ image: WireImageSpec; auth?: WireAuthConfig; sandboxConfig?: WirePodSandboxConfig }, { imageRef: string }];
  RemoveImage: [{ image: WireImageSpec }, Record<string, never>];
  ImageFsInfo: [Record<string, never>, { imageFilesystems: WireFilesystemUsage[]; containerFilesystems: WireFilesystemUsage[] }];
}
