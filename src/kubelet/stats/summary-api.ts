/**
 * The kubelet's Summary API (`GET /stats/summary`, upstream kubelet stats/v1alpha1) as JSON: node
 * totals plus one entry per pod with its containers. Only CPU and memory are filled in; every
 * figure is optional, as upstream leaves out what it could not measure. Times are RFC 3339.
 */

export interface CPUStats {
  time: string;
  /** Average over the last sample window, in billionths of a core. */
  usageNanoCores?: number;
  /** Cumulative CPU time (all cores) since the object started. */
  usageCoreNanoSeconds?: number;
}

export interface MemoryStats {
  time: string;
  availableBytes?: number;
  usageBytes?: number;
  workingSetBytes?: number;
  rssBytes?: number;
  pageFaults?: number;
  majorPageFaults?: number;
}

export interface ContainerStatsSummary {
  name: string;
  startTime: string;
  cpu?: CPUStats;
  memory?: MemoryStats;
}

export interface PodReference {
  name: string;
  namespace: string;
  uid: string;
}

export interface PodStats {
  podRef: PodReference;
  startTime: string;
  containers: ContainerStatsSummary[];
  cpu?: CPUStats;
  memory?: MemoryStats;
}

export interface NodeStats {
  nodeName: string;
  startTime: string;
  cpu?: CPUStats;
  memory?: MemoryStats;
}

export interface Summary {
  node: NodeStats;
  pods: PodStats[];
}

/** Whatever can answer `/stats/summary` for one node. */
export interface SummaryProvider {
  summary(): Promise<Summary>;
}

/** RFC 3339 with second precision (how metav1.Time marshals) for a millisecond time. */
export function statsTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}
