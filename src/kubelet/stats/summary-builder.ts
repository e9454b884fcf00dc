/**
 * Builds a Summary from per-container figures: each pod's entry holds its containers and, as
 * upstream's pod-level cgroup figures would, their sums (a sum only where some container has it).
 */
import type { CPUStats, ContainerStatsSummary, MemoryStats, PodReference, PodStats, Summary } from './summary-api.js';
import { statsTime } from './summary-api.js';

type MemoryFigures = Omit<MemoryStats, 'time'>;

export interface CpuFigures {
  timeMs: number;
  usageNanoCores?: number;
  usageCoreNanoSeconds?: number;
}

export interface ContainerFigures {
  pod: PodReference;
  name: string;
  startMs: number;
  cpu?: CpuFigures;
  memory?: MemoryFigures & { timeMs: number };
}

export interface NodeFigures {
  nodeName: string;
  startMs: number;
  cpu?: CpuFigures;
  memory?: MemoryFigures & { timeMs: number };
}

const MEMORY_KEYS = ['availableBytes', 'usageBytes', 'workingSetBytes', 'rssBytes', 'pageFaults', 'majorPageFaults'] as const;

function cpuStats(c: CpuFigures | undefined): CPUStats | undefined {
  if (!c) return undefined;
  const out: CPUStats = { time: statsTime(c.timeMs) };
  if (c.usageNanoCores !== undefined) out.usageNanoCores = c.usageNanoCores;
  if (c.usageCoreNanoSeconds !== undefined) out.usageCoreNanoSeconds = c.usageCoreNanoSeconds;
  return out;
}

function memoryStats(m: (MemoryFigures & { timeMs: number }) | undefined): MemoryStats | undefined {
  if (!m) return undefined;
  const out: MemoryStats = { time: statsTime(m.timeMs) };
  for (const k of MEMORY_KEYS) if (m[k] !== undefined) out[k] = m[k];
  return out;
}

function sumOf<T>(items: T[], pick: (x: T) => number | undefined): number | undefined {
  let total: number | undefined;
  for (const x of items) {
    const v = pick(x);
    if (v !== undefined) total = (total ?? 0) + v;
  }
  return total;
}

function latest<T>(items: T[], time: (x: T) => number | undefined): number | undefined {
  let t: number | undefined;
  for (const x of items) {
    const v = time(x);
    if (v !== undefined && (t === undefined || v > t)) t = v;
  }
  return t;
}

function podTotals(containers: ContainerFigures[]): Pick<PodStats, 'cpu' | 'memory'> {
  const out: Pick<PodStats, 'cpu' | 'memory'> = {};
  const cpuTime = latest(containers, (c) => c.cpu?.timeMs);
  if (cpuTime !== undefined) {
    out.cpu = cpuStats({
      timeMs: cpuTime, usageNanoCores: sumOf(containers, (c) => c.cpu?.usageNanoCores), usageCoreNanoSeconds: sumOf(containers, (c) => c.cpu?.usageCoreNanoSeconds),
    });
  }
  const memTime = latest(containers, (c) => c.memory?.timeMs);
  if (memTime !== undefined) {
    const m: MemoryFigures & { timeMs: number } = { timeMs: memTime };
    for (const k of MEMORY_KEYS) {
      if (k === 'availableBytes') continue;
      const v = sumOf(containers, (c) => c.memory?.[k]);
      if (v !== undefined) m[k] = v;
    }
    out.memory = memoryStats(m);
  }
  return out;
}

export function buildSummary(node: NodeFigures, containers: ContainerFigures[]): Summary {
  const byPod = new Map<string, ContainerFigures[]>();
  for (const c of containers) {
    const key = c.pod.uid || `${c.pod.namespace}/${c.pod.name}`;
    const list = byPod.get(key);
    if (list) list.push(c);
    else byPod.set(key, [c]);
  }
  const pods: PodStats[] = [];
  for (const list of byPod.values()) {
    const sorted = [...list].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const entries: ContainerStatsSummary[] = sorted.map((c) => {
      const e: ContainerStatsSummary = { name: c.name, startTime: statsTime(c.startMs) };
      const cpu = cpuStats(c.cpu);
      const memory = memoryStats(c.memory);
      if (cpu) e.cpu = cpu;
      if (memory) e.memory = memory;
      return e;
    });
    const first = sorted[0]!;
    pods.push({
      podRef: { ...first.pod }, startTime: statsTime(Math.min(...sorted.map((c) => c.startMs))), containers: entries, ...podTotals(sorted),
    });
  }
  pods.sort((a, b) => (a.podRef.namespace + '/' + a.podRef.name < b.podRef.namespace + '/' + b.podRef.name ? -1 : 1));
  const n: Summary['node'] = { nodeName: node.nodeName, startTime: statsTime(node.startMs) };
  const cpu = cpuStats(node.cpu);
  const memory = memoryStats(node.memory);
  if (cpu) n.cpu = cpu;
  if (memory) n.memory = memory;
  return { node: n, pods };
}
