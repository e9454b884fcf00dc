/**
 * The kubelet's stats sampler for a real runtime (a small cadvisor): every `intervalMs` (10 s; the
 * second sample after 2 s so figures appear soon) it reads the node's counters from /proc and the
 * running containers' counters through CRI `ListContainerStats`, and keeps the CPU rate between
 * the last two samples. `/stats/summary` answers from the latest sample.
 */
import type { ContainerStats, ContainerStatsRuntime, RuntimeService } from '../runtime/runtime.js';
import { LABEL_CONTAINER_NAME, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID } from '../runtime/runtime.js';
import { CpuRateTracker } from './cpu-rate.js';
import type { ProcMemory, ProcStat } from './node-proc.js';
import { readMeminfo, readProcStat } from './node-proc.js';
import type { ContainerFigures, NodeFigures } from './summary-builder.js';
import { buildSummary } from './summary-builder.js';
import type { Summary, SummaryProvider } from './summary-api.js';

export const DEFAULT_STATS_INTERVAL_MS = 10_000;
const FIRST_INTERVAL_MS = 2_000;
const NODE_KEY = '\0node';

export interface StatsSamplerOptions {
  nodeName: string;
  runtime: Pick<RuntimeService, 'listContainers'> & ContainerStatsRuntime;
  intervalMs?: number;
  /** The node's counters (default: /proc/stat and /proc/meminfo). */
  readNode?: () => { stat: ProcStat; memory: ProcMemory };
  now?: () => number;
  onError?: (err: unknown) => void;
}

export interface StatsSampler extends SummaryProvider {
  /** Takes one sample now. */
  sample(): Promise<void>;
  start(): void;
  stop(): void;
}

function nsToMs(ns: number): number {
  return Math.floor(ns / 1e6);
}

export function createStatsSampler(opts: StatsSamplerOptions): StatsSampler {
  const now = opts.now ?? Date.now;
  const readNode = opts.readNode ?? (() => ({ stat: readProcStat(), memory: readMeminfo() }));
  const interval = opts.intervalMs ?? DEFAULT_STATS_INTERVAL_MS;
  const rates = new CpuRateTracker();
  let latest: { node: NodeFigures; containers: ContainerFigures[] } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  function containerFigures(startMs: number, s: ContainerStats): ContainerFigures | undefined {
    const l = s.attributes.labels;
    const name = l[LABEL_CONTAINER_NAME];
    if (!name || !l[LABEL_POD_NAME]) return undefined;
    const out: ContainerFigures = { pod: { name: l[LABEL_POD_NAME] ?? '', namespace: l[LABEL_POD_NAMESPACE] ?? '', uid: l[LABEL_POD_UID] ?? '' }, name, startMs };
    if (s.cpu) {
      const usage = s.cpu.usageCoreNanoSeconds;
      const rate = usage === undefined ? undefined : rates.observe(s.attributes.id, { timeNs: s.cpu.timestamp, usageCoreNanoSeconds: usage });
      out.cpu = { timeMs: nsToMs(s.cpu.timestamp), usageCoreNanoSeconds: usage, usageNanoCores: rate };
    }
    if (s.memory) {
      const { timestamp, ...m } = s.memory;
      out.memory = { timeMs: nsToMs(timestamp), ...m };
    }
    return out;
  }

  async function takeSample(): Promise<void> {
    const t = now();
    const { stat, memory } = readNode();
    const nodeRate = rates.observe(NODE_KEY, { timeNs: t * 1e6, usageCoreNanoSeconds: stat.usageCoreNanoSeconds });
    const node: NodeFigures = {
      nodeName: opts.nodeName, startMs: stat.bootMs,
      cpu: { timeMs: t, usageCoreNanoSeconds: stat.usageCoreNanoSeconds, usageNanoCores: nodeRate },
      memory: { timeMs: t, availableBytes: memory.availableBytes, usageBytes: memory.usageBytes, workingSetBytes: memory.workingSetBytes },
    };
    const [list, stats] = await Promise.all([
      opts.runtime.listContainers({ state: 'CONTAINER_RUNNING' }), opts.runtime.listContainerStats(),
    ]);
    const byId = new Map(stats.map((s) => [s.attributes.id, s]));
    const containers: ContainerFigures[] = [];
    const keep = new Set<string>([NODE_KEY]);
    for (const c of list) {
      const s = byId.get(c.id);
      if (!s) continue;
      keep.add(c.id);
      const f = containerFigures(nsToMs(c.createdAt), { ...s, attributes: { ...s.attributes, labels: { ...c.labels, ...s.attributes.labels } } });
      if (f) containers.push(f);
    }
    rates.retain(keep);
    latest = { node, containers };
  }

  const sampler: StatsSampler = {
    sample() {
      running ??= takeSample().finally(() => { running = undefined; });
      return running;
    },
    async summary(): Promise<Summary> {
      if (!latest) await sampler.sample();
      const l = latest!;
      return buildSummary(l.node, l.containers);
    },
    start() {
      stopped = false;
      const loop = (delay: number): void => {
        timer = setTimeout(() => {
          sampler.sample().catch((err: unknown) => opts.onError?.(err)).finally(() => { if (!stopped) loop(interval); });
        }, delay);
        timer.unref();
      };
      sampler.sample().catch((err: unknown) => opts.onError?.(err)).finally(() => { if (!stopped) loop(Math.min(FIRST_INTERVAL_MS, interval)); });
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
  return sampler;
}
