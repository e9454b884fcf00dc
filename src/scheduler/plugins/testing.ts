/**
 * Helpers for plugin tests: object builders and runners that drive one plugin's extension
 * points over a snapshot the way the framework does.
 */
import type { Node, Pod, PodSpec, Taint } from '../../apimachinery/generated/types.js';
import { CycleState } from '../framework/cycle-state.js';
import type { FilterPlugin, Handle, NodeScore, Plugin, PreFilterPlugin, PreScorePlugin, ScorePlugin } from '../framework/interfaces.js';
import { PreFilterResult } from '../framework/interfaces.js';
import type { ProfileEntry, FrameworkOptions } from '../framework/runtime.js';
import { Framework } from '../framework/runtime.js';
import { Snapshot } from '../framework/snapshot.js';
import { Status } from '../framework/status.js';

export interface NodeOpts {
  labels?: Record<string, string>;
  taints?: Taint[];
  cpu?: string;
  memory?: string;
  pods?: string;
  extra?: Record<string, string>;
  unschedulable?: boolean;
}

export function makeNode(name: string, o: NodeOpts = {}): Node {
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: { taints: o.taints, unschedulable: o.unschedulable },
    status: { allocatable: { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110', ...(o.extra ?? {}) } },
  };
}

let uidCounter = 0;

export interface PodOpts extends Partial<PodSpec> {
  labels?: Record<string, string>;
  namespace?: string;
  cpu?: string;
  memory?: string;
  startTime?: string;
  deleting?: boolean;
  nominatedNodeName?: string;
}

export function makePod(name: string, o: PodOpts = {}): Pod {
  const { labels, namespace, cpu, memory, startTime, deleting, nominatedNodeName, ...spec } = o;
  const requests: Record<string, string> = {};
  if (cpu) requests.cpu = cpu;
  if (memory) requests.memory = memory;
  return {
    metadata: {
      name,
      namespace: namespace ?? 'default',
      uid: `uid-${name}-${++uidCounter}`,
      labels,
      deletionTimestamp: deleting ? '2024-01-01T00:00:00Z' : undefined,
    },
    spec: { containers: [{ name: 'c', resources: { requests } }], ...spec },
    status: { startTime, nominatedNodeName },
  };
}

/** A framework around the given plugins (its Handle is what factories get). */
export function makeFramework(plugins: ProfileEntry[], opts: Partial<FrameworkOptions> = {}): Framework {
  return new Framework({ api: { bindPod: async () => {}, deletePod: async () => {} }, plugins, ...opts });
}

/** Builds one plugin through `factory` with a framework handle bound to `snapshot`. */
export function build<T extends Plugin>(factory: (h: Handle) => T, snapshot: Snapshot, opts: Partial<FrameworkOptions> = {}): { plugin: T; fw: Framework } {
  let plugin!: T;
  const fw = makeFramework([{ factory: (h) => (plugin = factory(h)) }], opts);
  fw.setSnapshot(snapshot);
  return { plugin, fw };
}

/** PreFilter then Filter on every node: node name → status ('' for success, else the message). */
export function filterAll(plugin: Partial<PreFilterPlugin & FilterPlugin>, pod: Pod, snapshot: Snapshot): Record<string, string> {
  const state = new CycleState();
  const out: Record<string, string> = {};
  let names: ReadonlySet<string> | undefined;
  if (plugin.preFilter) {
    const r = plugin.preFilter(state, pod, snapshot.nodes());
    if (r instanceof PreFilterResult) names = r.nodeNames;
    else if (r.isSkip()) {
      for (const n of snapshot.nodes()) out[n.name] = '';
      return out;
    } else if (!r.isSuccess()) {
      for (const n of snapshot.nodes()) out[n.name] = `prefilter: ${r.message()}`;
      return out;
    }
  }
  for (const n of snapshot.nodes()) {
    if (names && !names.has(n.name)) {
      out[n.name] = 'filtered out by prefilter';
      continue;
    }
    const s = plugin.filter ? plugin.filter(state, pod, n) : Status.SUCCESS;
    out[n.name] = s.isSuccess() ? '' : s.message();
  }
  return out;
}

/** Codes instead of messages. */
export function filterCodes(plugin: Partial<PreFilterPlugin & FilterPlugin>, pod: Pod, snapshot: Snapshot): Record<string, number> {
  const state = new CycleState();
  const out: Record<string, number> = {};
  if (plugin.preFilter) {
    const r = plugin.preFilter(state, pod, snapshot.nodes());
    if (!(r instanceof PreFilterResult) && r.isSkip()) {
      for (const n of snapshot.nodes()) out[n.name] = 0;
      return out;
    }
  }
  for (const n of snapshot.nodes()) out[n.name] = plugin.filter ? plugin.filter(state, pod, n).code : 0;
  return out;
}

/** PreScore, Score and NormalizeScore over all nodes: node name → final score (undefined if skipped). */
export function scoreAll(plugin: Partial<PreScorePlugin & ScorePlugin>, pod: Pod, snapshot: Snapshot): Record<string, number> | undefined {
  const state = new CycleState();
  if (plugin.preScore) {
    const s = plugin.preScore(state, pod, snapshot.nodes());
    if (s.isSkip()) return undefined;
    if (!s.isSuccess()) throw new Error(s.message());
  }
  const scores: NodeScore[] = [];
  for (const n of snapshot.nodes()) {
    const r = plugin.score!(state, pod, n);
    if (typeof r !== 'number') throw new Error(r.message());
    scores.push({ name: n.name, score: r });
  }
  plugin.normalizeScore?.(state, pod, scores);
  return Object.fromEntries(scores.map((s) => [s.name, s.score]));
}
