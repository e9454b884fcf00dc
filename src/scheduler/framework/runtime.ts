/**
 * Runs a profile's plugins over one pod (upstream frameworkruntime + schedule_one.go):
 * PreFilter → Filter (over a share of the nodes, percentageOfNodesToScore) → PostFilter when
 * nothing fits → PreScore → Score → NormalizeScore → weighted sum → highest (random among ties)
 * → Reserve → Permit; then the binding cycle: wait on Permit → PreBind → Bind.
 */
import type { Pod } from '../../apimachinery/generated/types.js';
import type { LabelSelector } from '../../apimachinery/labels.js';
import { CycleState } from './cycle-state.js';
import type { Diagnosis } from './fit-error.js';
import { addPluginStatus, ERR_NO_NODES_AVAILABLE, FitError, newDiagnosis, NodeToStatus } from './fit-error.js';
import type {
  BindPlugin,
  FilterPlugin,
  Handle,
  NodeScore,
  Nominator,
  PermitPlugin,
  Plugin,
  PluginFactory,
  PostFilterPlugin,
  PostFilterResult,
  PreBindPlugin,
  PreFilterPlugin,
  PreScorePlugin,
  ReservePlugin,
  SchedulerApi,
  ScorePlugin,
  VolumeLister,
  WaitingPod,
} from './interfaces.js';
import { MAX_NODE_SCORE, MIN_NODE_SCORE, PreFilterResult } from './interfaces.js';
import type { NodeInfo } from './node-info.js';
import type { NamespaceLabels, PodInfo } from './pod-info.js';
import { podPriority } from './pod-info.js';
import { Snapshot } from './snapshot.js';
import { Code, Status } from './status.js';

/** Upstream's floor on nodes to find feasible before scoring. */
export const MIN_FEASIBLE_NODES_TO_FIND = 100;
/** Upstream's floor on the adaptive percentage. */
export const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;
export const DEFAULT_PERMIT_TIMEOUT_MS = 15 * 60 * 1000;

export interface ProfileEntry {
  factory: PluginFactory;
  /** Score weight (default 1). */
  weight?: number;
}

export interface FrameworkOptions {
  plugins: ProfileEntry[];
  api: SchedulerApi;
  namespaceLabels?: NamespaceLabels;
  nominator?: Nominator;
  volumes?: VolumeLister;
  defaultSpreadSelector?: (pod: Pod) => LabelSelector | undefined;
  /** 0 or undefined: adaptive (50 - nodes/125, at least 5%); else a fixed percentage. */
  percentageOfNodesToScore?: number;
  random?: () => number;
}

/**
 * How many feasible nodes to look for before scoring (upstream numFeasibleNodesToFind): all of
 * them below 100 nodes or at 100%, else `percentage` (adaptive 50 - n/125, min 5) of the
 * nodes, but at least 100.
 */
export function numFeasibleNodesToFind(numAllNodes: number, percentageOfNodesToScore = 0): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND || percentageOfNodesToScore >= 100) return numAllNodes;
  let pct = percentageOfNodesToScore;
  if (pct <= 0) {
    pct = 50 - Math.trunc(numAllNodes / 125);
    if (pct < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND) pct = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
  }
  const n = Math.trunc((numAllNodes * pct) / 100);
  return n < MIN_FEASIBLE_NODES_TO_FIND ? MIN_FEASIBLE_NODES_TO_FIND : n;
}

export interface ScheduleResult {
  nodeName: string;
  evaluatedNodes: number;
  feasibleNodes: number;
}

export type CycleOutcome =
  | { kind: 'scheduled'; result: ScheduleResult; state: CycleState }
  | { kind: 'unschedulable'; fitError: FitError; nominatedNodeName?: string; unschedulablePlugins: Set<string> }
  | { kind: 'error'; status: Status };

export interface CycleHooks {
  /** Called once a node is chosen, before Reserve (the cache assumes the pod there). */
  assume?(pod: Pod, nodeName: string): void;
  /** Undoes `assume` when Reserve/Permit/binding fails. */
  forget?(pod: Pod, nodeName: string): void;
}

interface Weighted<T> {
  plugin: T;
  weight: number;
}

class Waiting implements WaitingPod {
  private readonly pending: Map<string, ReturnType<typeof setTimeout>>;
  private settle!: (s: Status) => void;
  readonly done: Promise<Status>;

  constructor(readonly pod: Pod, timeouts: Map<string, number>) {
    this.done = new Promise<Status>((resolve) => (this.settle = resolve));
    this.pending = new Map();
    for (const [plugin, ms] of timeouts) {
      const t = setTimeout(() => this.reject(plugin, `rejected due to timeout after waiting ${ms / 1000}s at plugin ${plugin}`), ms);
      t.unref?.();
      this.pending.set(plugin, t);
    }
  }

  pendingPlugins(): string[] {
    return [...this.pending.keys()];
  }

  allow(plugin: string): void {
    const t = this.pending.get(plugin);
    if (t === undefined) return;
    clearTimeout(t);
    this.pending.delete(plugin);
    if (this.pending.size === 0) this.settle(Status.SUCCESS);
  }

  reject(plugin: string, message: string): void {
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
    this.settle(Status.unschedulable(message).withPlugin(plugin));
  }
}

export class Framework implements Handle {
  readonly api: SchedulerApi;
  readonly namespaceLabels: NamespaceLabels;
  readonly nominator: Nominator;
  readonly volumes: VolumeLister | undefined;
  readonly plugins: Plugin[] = [];
  percentageOfNodesToScore: number;
  private readonly spreadSelector: ((pod: Pod) => LabelSelector | undefined) | undefined;
  private readonly rand: () => number;
  private readonly preFilter: PreFilterPlugin[] = [];
  private readonly filters: FilterPlugin[] = [];
  private readonly postFilters: PostFilterPlugin[] = [];
  private readonly preScore: PreScorePlugin[] = [];
  private readonly scorers: Weighted<ScorePlugin>[] = [];
  private readonly reservers: ReservePlugin[] = [];
  private readonly permits: PermitPlugin[] = [];
  private readonly preBinders: PreBindPlugin[] = [];
  private readonly binders: BindPlugin[] = [];
  private readonly waiting = new Map<string, Waiting>();
  private current: Snapshot = new Snapshot();
  private nextStartNodeIndex = 0;

  constructor(opts: FrameworkOptions) {
    this.api = opts.api;
    this.namespaceLabels = opts.namespaceLabels ?? (() => undefined);
    this.nominator = opts.nominator ?? { nominatedPodsForNode: () => [] };
    this.volumes = opts.volumes;
    this.spreadSelector = opts.defaultSpreadSelector;
    this.percentageOfNodesToScore = opts.percentageOfNodesToScore ?? 0;
    this.rand = opts.random ?? Math.random;
    for (const entry of opts.plugins) {
      const p = entry.factory(this);
      this.plugins.push(p);
      if (has<PreFilterPlugin>(p, 'preFilter')) this.preFilter.push(p);
      if (has<FilterPlugin>(p, 'filter')) this.filters.push(p);
      if (has<PostFilterPlugin>(p, 'postFilter')) this.postFilters.push(p);
      if (has<PreScorePlugin>(p, 'preScore')) this.preScore.push(p);
      if (has<ScorePlugin>(p, 'score')) this.scorers.push({ plugin: p, weight: entry.weight ?? 1 });
      if (has<ReservePlugin>(p, 'reserve')) this.reservers.push(p);
      if (has<PermitPlugin>(p, 'permit')) this.permits.push(p);
      if (has<PreBindPlugin>(p, 'preBind')) this.preBinders.push(p);
      if (has<BindPlugin>(p, 'bind')) this.binders.push(p);
    }
  }

  // ---- Handle ----

  snapshot(): Snapshot {
    return this.current;
  }

  /** Makes `snapshot` the one plugins see (schedulePod does this itself). */
  setSnapshot(snapshot: Snapshot): void {
    this.current = snapshot;
  }

  defaultSpreadSelector(pod: Pod): LabelSelector | undefined {
    return this.spreadSelector?.(pod);
  }

  random(): number {
    return this.rand();
  }

  getWaitingPod(uid: string): WaitingPod | undefined {
    return this.waiting.get(uid);
  }

  hasPostFilterPlugins(): boolean {
    return this.postFilters.length > 0;
  }

  // ---- extension points ----

  runPreFilterPlugins(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): { status: Status; nodeNames?: Set<string>; restricting: string[] } {
    let nodeNames: Set<string> | undefined;
    const restricting: string[] = [];
    for (const pl of this.preFilter) {
      const r = pl.preFilter(state, pod, nodes);
      if (r instanceof PreFilterResult) {
        if (r.nodeNames === undefined) continue;
        restricting.push(pl.name);
        nodeNames = nodeNames === undefined ? new Set(r.nodeNames) : new Set([...nodeNames].filter((n) => r.nodeNames!.has(n)));
        continue;
      }
      if (r.isSkip()) {
        state.skipFilterPlugins.add(pl.name);
        continue;
      }
      if (!r.isSuccess()) return { status: r.withPlugin(pl.name), restricting };
    }
    if (nodeNames !== undefined && nodeNames.size === 0) {
      const msg = restricting.length === 1
        ? `node(s) didn't satisfy plugin ${restricting[0]}`
        : `node(s) didn't satisfy plugin(s) [${restricting.join(' ')}] simultaneously`;
      return { status: Status.unresolvable(msg).withPlugin(restricting[0]!), nodeNames, restricting };
    }
    return { status: Status.SUCCESS, nodeNames, restricting };
  }

  /** Filter plugins in order; the first failure decides the node's status. */
  runFilterPlugins(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status {
    for (const pl of this.filters) {
      if (state.skipFilterPlugins.has(pl.name)) continue;
      const s = pl.filter(state, pod, nodeInfo);
      if (!s.isSuccess()) return s.withPlugin(pl.name);
    }
    return Status.SUCCESS;
  }

  /**
   * Filters with the pods nominated to this node (of equal or higher priority) added, then,
   * if any were added, without them too: the pod must fit both ways (upstream).
   */
  runFilterPluginsWithNominatedPods(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status {
    const nominated = this.nominator.nominatedPodsForNode(nodeInfo.name);
    const prio = podPriority(pod);
    const uid = pod.metadata?.uid;
    const add = nominated.filter((p) => p.priority >= prio && p.pod.metadata?.uid !== uid);
    if (add.length > 0) {
      const s2 = state.clone();
      const n2 = nodeInfo.clone();
      for (const p of add) {
        n2.addPod(p);
        const st = this.runPreFilterExtensionAddPod(s2, pod, p, n2);
        if (!st.isSuccess()) return st;
      }
      const st = this.runFilterPlugins(s2, pod, n2);
      if (!st.isSuccess()) return st;
    }
    return this.runFilterPlugins(state, pod, nodeInfo);
  }

  runPreFilterExtensionAddPod(state: CycleState, podToSchedule: Pod, podInfoToAdd: PodInfo, nodeInfo: NodeInfo): Status {
    for (const pl of this.preFilter) {
      if (!pl.preFilterExtensions || state.skipFilterPlugins.has(pl.name)) continue;
      const s = pl.preFilterExtensions.addPod(state, podToSchedule, podInfoToAdd, nodeInfo);
      if (!s.isSuccess()) return s.withPlugin(pl.name);
    }
    return Status.SUCCESS;
  }

  runPreFilterExtensionRemovePod(state: CycleState, podToSchedule: Pod, podInfoToRemove: PodInfo, nodeInfo: NodeInfo): Status {
    for (const pl of this.preFilter) {
      if (!pl.preFilterExtensions || state.skipFilterPlugins.has(pl.name)) continue;
      const s = pl.preFilterExtensions.removePod(state, podToSchedule, podInfoToRemove, nodeInfo);
      if (!s.isSuccess()) return s.withPlugin(pl.name);
    }
    return Status.SUCCESS;
  }

  async runPostFilterPlugins(state: CycleState, pod: Pod, statuses: NodeToStatus): Promise<{ result?: PostFilterResult; status: Status }> {
    const reasons: string[] = [];
    let rejector: Status | undefined;
    let result: PostFilterResult | undefined;
    for (const pl of this.postFilters) {
      const out = await pl.postFilter(state, pod, statuses);
      const s = out.status.withPlugin(pl.name);
      if (s.isSuccess()) return { result: out.result, status: s };
      if (s.code === Code.UnschedulableAndUnresolvable) return { result: out.result, status: s };
      if (!s.isRejected()) return { result: out.result, status: s };
      rejector ??= s;
      reasons.push(...s.reasons);
      result ??= out.result;
    }
    if (!rejector) return { status: Status.unschedulable() };
    return { result, status: Status.of(rejector.code, ...reasons).withPlugin(rejector.plugin) };
  }

  runPreScorePlugins(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status {
    for (const pl of this.preScore) {
      const s = pl.preScore(state, pod, nodes);
      if (s.isSkip()) {
        state.skipScorePlugins.add(pl.name);
        continue;
      }
      if (!s.isSuccess()) return Status.error(`running PreScore plugin "${pl.name}": ${s.message()}`).withPlugin(pl.name);
    }
    return Status.SUCCESS;
  }

  /** Weighted total score per node, in the order of `nodes`. */
  runScorePlugins(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): { totals: number[]; status: Status } {
    const totals = new Array<number>(nodes.length).fill(0);
    for (const { plugin, weight } of this.scorers) {
      if (state.skipScorePlugins.has(plugin.name)) continue;
      const scores: NodeScore[] = [];
      for (const ni of nodes) {
        const r = plugin.score(state, pod, ni);
        if (typeof r !== 'number') {
          return { totals, status: Status.error(`running Score plugin "${plugin.name}": ${r.message()}`).withPlugin(plugin.name) };
        }
        scores.push({ name: ni.name, score: r });
      }
      if (plugin.normalizeScore) {
        const s = plugin.normalizeScore(state, pod, scores);
        if (!s.isSuccess()) return { totals, status: Status.error(`running Normalize on Score plugins: ${s.message()}`).withPlugin(plugin.name) };
      }
      for (let i = 0; i < scores.length; i++) {
        const sc = scores[i]!.score;
        if (sc > MAX_NODE_SCORE || sc < MIN_NODE_SCORE) {
          return {
            totals,
            status: Status.error(`plugin "${plugin.name}" returns an invalid score ${sc}, it should in the range of [${MIN_NODE_SCORE}, ${MAX_NODE_SCORE}] after normalizing`),
          };
        }
        totals[i]! += sc * weight;
      }
    }
    return { totals, status: Status.SUCCESS };
  }

  async runReservePluginsReserve(state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    for (const pl of this.reservers) {
      const s = await pl.reserve(state, pod, nodeName);
      if (!s.isSuccess()) return s.withPlugin(pl.name);
    }
    return Status.SUCCESS;
  }

  async runReservePluginsUnreserve(state: CycleState, pod: Pod, nodeName: string): Promise<void> {
    for (let i = this.reservers.length - 1; i >= 0; i--) {
      try {
        await this.reservers[i]!.unreserve(state, pod, nodeName);
      } catch {
        // unreserve must not fail; ignore a misbehaving plugin
      }
    }
  }

  runPermitPlugins(state: CycleState, pod: Pod, nodeName: string): Status {
    const waits = new Map<string, number>();
    for (const pl of this.permits) {
      const { status, timeoutMs } = pl.permit(state, pod, nodeName);
      if (status.isWait()) {
        waits.set(pl.name, Math.min(timeoutMs ?? DEFAULT_PERMIT_TIMEOUT_MS, DEFAULT_PERMIT_TIMEOUT_MS));
        continue;
      }
      if (!status.isSuccess()) return status.withPlugin(pl.name);
    }
    if (waits.size > 0) {
      const uid = pod.metadata?.uid ?? '';
      this.waiting.set(uid, new Waiting(pod, waits));
      return Status.wait();
    }
    return Status.SUCCESS;
  }

  async waitOnPermit(pod: Pod): Promise<Status> {
    const uid = pod.metadata?.uid ?? '';
    const w = this.waiting.get(uid);
    if (!w) return Status.SUCCESS;
    try {
      return await w.done;
    } finally {
      this.waiting.delete(uid);
    }
  }

  async runPreBindPlugins(state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    for (const pl of this.preBinders) {
      let s: Status;
      try {
        s = await pl.preBind(state, pod, nodeName);
      } catch (e) {
        s = Status.error(e);
      }
      if (!s.isSuccess()) return s.withPlugin(pl.name);
    }
    return Status.SUCCESS;
  }

  async runBindPlugins(state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    if (this.binders.length === 0) return Status.SKIP;
    for (const pl of this.binders) {
      let s: Status;
      try {
        s = await pl.bind(state, pod, nodeName);
      } catch (e) {
        s = Status.error(e);
      }
      if (s.isSkip()) continue;
      return s.withPlugin(pl.name);
    }
    return Status.SKIP;
  }

  // ---- the cycle ----

  /**
   * PreFilter, Filter, PreScore, Score and selection over `snapshot`. Returns the chosen node,
   * a FitError (nothing fits; PostFilter not yet run), or an error Status.
   */
  schedulePod(state: CycleState, pod: Pod, snapshot: Snapshot): ScheduleResult | FitError | Status {
    this.current = snapshot;
    const all = snapshot.nodes();
    if (all.length === 0) return Status.error(ERR_NO_NODES_AVAILABLE);
    const diagnosis = newDiagnosis();
    const feasible = this.findNodesThatFitPod(state, pod, snapshot, diagnosis);
    if (feasible instanceof Status) return feasible;
    if (feasible.nodes.length === 0) return new FitError(pod, all.length, diagnosis);
    if (feasible.nodes.length === 1) {
      return { nodeName: feasible.nodes[0]!.name, evaluatedNodes: feasible.evaluated, feasibleNodes: 1 };
    }
    const ps = this.runPreScorePlugins(state, pod, feasible.nodes);
    if (!ps.isSuccess()) return ps;
    const { totals, status } = this.runScorePlugins(state, pod, feasible.nodes);
    if (!status.isSuccess()) return status;
    return { nodeName: this.selectHost(feasible.nodes, totals), evaluatedNodes: feasible.evaluated, feasibleNodes: feasible.nodes.length };
  }

  private findNodesThatFitPod(state: CycleState, pod: Pod, snapshot: Snapshot, diagnosis: Diagnosis): { nodes: NodeInfo[]; evaluated: number } | Status {
    const all = snapshot.nodes();
    const pre = this.runPreFilterPlugins(state, pod, all);
    if (!pre.status.isSuccess()) {
      if (!pre.status.isRejected()) return pre.status;
      diagnosis.nodeToStatus.absentNodesStatus = pre.status;
      diagnosis.preFilterMsg = pre.status.message();
      addPluginStatus(diagnosis, pre.status);
      return { nodes: [], evaluated: 0 };
    }

    // A pod nominated by an earlier preemption tries its nominated node first.
    const nominated = pod.status?.nominatedNodeName;
    if (nominated) {
      const ni = snapshot.get(nominated);
      if (ni && (!pre.nodeNames || pre.nodeNames.has(nominated))) {
        const s = this.runFilterPluginsWithNominatedPods(state, pod, ni);
        if (s.isSuccess()) return { nodes: [ni], evaluated: 1 };
        if (s.isError()) return s;
      }
    }

    let candidates: readonly NodeInfo[] = all;
    if (pre.nodeNames) {
      candidates = all.filter((n) => pre.nodeNames!.has(n.name));
      diagnosis.nodeToStatus.absentNodesStatus = Status.unresolvable('node is filtered out by the prefilter result');
    }
    const total = candidates.length;
    const want = numFeasibleNodesToFind(total, this.percentageOfNodesToScore);
    const feasible: NodeInfo[] = [];
    if (this.filters.length === 0) {
      // Nothing to filter: the first `want` nodes from the rotating start are all feasible.
      for (let i = 0; i < Math.min(want, total); i++) feasible.push(candidates[(this.nextStartNodeIndex + i) % total]!);
      this.nextStartNodeIndex = (this.nextStartNodeIndex + feasible.length) % Math.max(total, 1);
      return { nodes: feasible, evaluated: feasible.length };
    }
    let processed = 0;
    const start = total > 0 ? this.nextStartNodeIndex % total : 0;
    for (let i = 0; i < total && feasible.length < want; i++) {
      const ni = candidates[(start + i) % total]!;
      processed++;
      const s = this.runFilterPluginsWithNominatedPods(state, pod, ni);
      if (s.isSuccess()) {
        feasible.push(ni);
      } else if (s.isError()) {
        return s;
      } else {
        diagnosis.nodeToStatus.set(ni.name, s);
        addPluginStatus(diagnosis, s);
      }
    }
    this.nextStartNodeIndex = total > 0 ? (start + processed) % total : 0;
    return { nodes: feasible, evaluated: processed };
  }

  /** The node with the highest total; ties are broken uniformly at random. */
  selectHost(nodes: readonly NodeInfo[], totals: readonly number[]): string {
    let best = -Infinity;
    let chosen = '';
    let ties = 0;
    for (let i = 0; i < nodes.length; i++) {
      const t = totals[i]!;
      if (t > best) {
        best = t;
        chosen = nodes[i]!.name;
        ties = 1;
      } else if (t === best) {
        ties++;
        if (this.rand() * ties < 1) chosen = nodes[i]!.name;
      }
    }
    return chosen;
  }

  /**
   * The whole scheduling cycle: schedulePod, PostFilter on a FitError, then assume (hook),
   * Reserve and Permit. A `scheduled` outcome continues with `runBindingCycle`.
   */
  async runSchedulingCycle(pod: Pod, snapshot: Snapshot, hooks: CycleHooks = {}, state = new CycleState()): Promise<CycleOutcome> {
    const r = this.schedulePod(state, pod, snapshot);
    if (r instanceof Status) return { kind: 'error', status: r };
    if (r instanceof FitError) {
      let nominatedNodeName: string | undefined;
      if (this.postFilters.length > 0) {
        const pf = await this.runPostFilterPlugins(state, pod, r.diagnosis.nodeToStatus);
        if (pf.status.isRejected()) r.diagnosis.postFilterMsg = pf.status.message();
        else if (pf.status.isError()) r.diagnosis.postFilterMsg = '';
        nominatedNodeName = pf.result?.nominatedNodeName;
      }
      return { kind: 'unschedulable', fitError: r, nominatedNodeName, unschedulablePlugins: r.diagnosis.unschedulablePlugins };
    }
    const nodeName = r.nodeName;
    hooks.assume?.(pod, nodeName);
    const rs = await this.runReservePluginsReserve(state, pod, nodeName);
    if (!rs.isSuccess()) {
      await this.runReservePluginsUnreserve(state, pod, nodeName);
      hooks.forget?.(pod, nodeName);
      return this.failOnNode(pod, nodeName, rs);
    }
    const ps = this.runPermitPlugins(state, pod, nodeName);
    if (!ps.isSuccess() && !ps.isWait()) {
      await this.runReservePluginsUnreserve(state, pod, nodeName);
      hooks.forget?.(pod, nodeName);
      return this.failOnNode(pod, nodeName, ps);
    }
    return { kind: 'scheduled', result: r, state };
  }

  private failOnNode(pod: Pod, nodeName: string, s: Status): CycleOutcome {
    if (!s.isRejected()) return { kind: 'error', status: s };
    const d = newDiagnosis();
    d.nodeToStatus.set(nodeName, s);
    addPluginStatus(d, s);
    return { kind: 'unschedulable', fitError: new FitError(pod, 1, d), unschedulablePlugins: d.unschedulablePlugins };
  }

  /** Wait on Permit, PreBind, Bind. On failure Unreserve runs and `hooks.forget` is called. */
  async runBindingCycle(state: CycleState, pod: Pod, nodeName: string, hooks: CycleHooks = {}): Promise<Status> {
    let s = await this.waitOnPermit(pod);
    if (s.isSuccess()) s = await this.runPreBindPlugins(state, pod, nodeName);
    if (s.isSuccess()) {
      s = await this.runBindPlugins(state, pod, nodeName);
      if (s.isSkip()) s = Status.error('all bind plugins skipped the pod');
    }
    if (!s.isSuccess()) {
      await this.runReservePluginsUnreserve(state, pod, nodeName);
      hooks.forget?.(pod, nodeName);
    }
    return s;
  }
}

function has<T extends Plugin>(p: Plugin, method: string): p is T {
  return typeof (p as unknown as Record<string, unknown>)[method] === 'function';
}
