/**
 * The Node object a kubelet registers and the status it reports (upstream nodestatus setters):
 * capacity and allocatable, the well-known labels, addresses, node info, daemon endpoints and the
 * four conditions with upstream's reasons and messages, the images the runtime holds. Pure
 * functions; the kubelet decides when to write (on change, else every `nodeStatusReportFrequency`).
 */
import type { ContainerImage, Node, NodeCondition, NodeStatus, NodeSystemInfo, Taint } from '../apimachinery/generated/types.js';

export interface NodeIdentity {
  name: string;
  internalIP: string;
  podCIDR?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  taints?: Taint[];
  capacity: Record<string, string>;
  /** Defaults to capacity. */
  allocatable?: Record<string, string>;
  nodeInfo: NodeSystemInfo;
  kubeletPort?: number;
}

export interface NodeHealth {
  ready: boolean;
  notReadyMessage?: string;
  memoryPressure: boolean;
  diskPressure: boolean;
  pidPressure: boolean;
}

export const KUBELET_VERSION = 'v1.32.4-skiff';

/** Upstream's `nodeStatusMaxImages` default and `MaxNamesPerImageInNodeStatus`. */
export const MAX_IMAGES_IN_NODE_STATUS = 50;
export const MAX_NAMES_PER_IMAGE = 5;

export interface RuntimeImage {
  repoTags: string[];
  repoDigests: string[];
  size: number;
}

/** `status.images` as upstream reports it: largest first, at most 50, digests then tags, 5 names each. */
export function nodeImages(images: readonly RuntimeImage[], max = MAX_IMAGES_IN_NODE_STATUS): ContainerImage[] {
  return [...images]
    .sort((a, b) => b.size - a.size)
    .slice(0, max)
    .map((i) => ({ names: [...i.repoDigests, ...i.repoTags].slice(0, MAX_NAMES_PER_IMAGE), sizeBytes: i.size }));
}

/** The node event upstream records when a condition changes (`Node <name> status is now: <reason>`). */
export function conditionEventReason(type: string, status: string): string | undefined {
  const t = status === 'True';
  switch (type) {
    case 'MemoryPressure': return t ? 'NodeHasInsufficientMemory' : 'NodeHasSufficientMemory';
    case 'DiskPressure': return t ? 'NodeHasDiskPressure' : 'NodeHasNoDiskPressure';
    case 'PIDPressure': return t ? 'NodeHasInsufficientPID' : 'NodeHasSufficientPID';
    case 'Ready': return t ? 'NodeReady' : 'NodeNotReady';
    default: return undefined;
  }
}

/** `kubernetes.io/arch` spelling of `process.arch`. */
export function goArch(arch: string = process.arch): string {
  return arch === 'x64' ? 'amd64' : arch === 'ia32' ? '386' : arch;
}

export function nodeLabels(id: NodeIdentity): Record<string, string> {
  const arch = id.nodeInfo.architecture;
  const os = id.nodeInfo.operatingSystem;
  return {
    'beta.kubernetes.io/arch': arch, 'beta.kubernetes.io/os': os,
    'kubernetes.io/arch': arch, 'kubernetes.io/hostname': id.name, 'kubernetes.io/os': os,
    ...(id.labels ?? {}),
  };
}

interface ConditionSpec {
  type: string;
  status: string;
  reason: string;
  message: string;
}

export function nodeConditionSpecs(health: NodeHealth): ConditionSpec[] {
  return [
    health.memoryPressure
      ? { type: 'MemoryPressure', status: 'True', reason: 'KubeletHasInsufficientMemory', message: 'kubelet has insufficient memory available' }
      : { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
    health.diskPressure
      ? { type: 'DiskPressure', status: 'True', reason: 'KubeletHasDiskPressure', message: 'kubelet has disk pressure' }
      : { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
    health.pidPressure
      ? { type: 'PIDPressure', status: 'True', reason: 'KubeletHasInsufficientPID', message: 'kubelet has insufficient PID available' }
      : { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
    health.ready
      ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }
      : { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: health.notReadyMessage ?? 'container runtime is down' },
  ];
}

/**
 * Conditions for this report: heartbeat `now`; transition time kept from `previous` when the
 * status did not change.
 */
export function nodeConditions(health: NodeHealth, previous: NodeCondition[] | undefined, now: string): NodeCondition[] {
  return nodeConditionSpecs(health).map((c) => {
    const prev = previous?.find((p) => p.type === c.type);
    const lastTransitionTime = prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : now;
    return { ...c, lastHeartbeatTime: now, lastTransitionTime };
  });
}

/** Whether two reports differ in anything but heartbeat times. */
export function nodeStatusChanged(a: NodeStatus | undefined, b: NodeStatus): boolean {
  const strip = (s: NodeStatus | undefined): unknown => s && {
    ...s, conditions: (s.conditions ?? []).map(({ lastHeartbeatTime: _h, ...rest }) => rest),
  };
  return JSON.stringify(strip(a)) !== JSON.stringify(strip(b));
}

export function nodeStatus(id: NodeIdentity, health: NodeHealth, previous: NodeCondition[] | undefined, now: string, images?: ContainerImage[]): NodeStatus {
  return {
    ...(images ? { images } : {}),
    capacity: { ...id.capacity },
    allocatable: { ...(id.allocatable ?? id.capacity) },
    conditions: nodeConditions(health, previous, now),
    addresses: [{ type: 'InternalIP', address: id.internalIP }, { type: 'Hostname', address: id.name }],
    daemonEndpoints: { kubeletEndpoint: { Port: id.kubeletPort ?? 10250 } },
    nodeInfo: { ...id.nodeInfo },
  };
}

export function nodeObject(id: NodeIdentity, health: NodeHealth, now: string, images?: ContainerImage[]): Node {
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: {
      name: id.name, labels: nodeLabels(id),
      annotations: { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true', ...(id.annotations ?? {}) },
    },
    spec: {
      ...(id.podCIDR ? { podCIDR: id.podCIDR, podCIDRs: [id.podCIDR] } : {}),
      ...(id.taints && id.taints.length > 0 ? { taints: id.taints } : {}),
    },
    status: nodeStatus(id, health, undefined, now, images),
  };
}
