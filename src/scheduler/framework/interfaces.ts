/**
 * The extension points of a scheduling profile (upstream framework/interface.go). Each one is a
 * small interface; a plugin implements only those it needs and is built by a factory that gets
 * the framework `Handle`.
 */
import type { LabelSelector } from '../../apimachinery/labels.js';
import type { PersistentVolumeClaim, Pod, StorageClass } from '../../apimachinery/generated/types.js';
import type { CycleState } from './cycle-state.js';
import type { NodeInfo } from './node-info.js';
import type { NamespaceLabels, PodInfo } from './pod-info.js';
import type { Snapshot } from './snapshot.js';
import type { Status } from './status.js';

/** Highest score a Score plugin may give after normalization. */
export const MAX_NODE_SCORE = 100;
export const MIN_NODE_SCORE = 0;

export interface Plugin {
  readonly name: string;
  /** Cluster events that may make a pod this plugin rejected schedulable (queueing hints). */
  readonly events?: readonly ClusterEvent[];
}

/** `<resource>/<action>`, e.g. `Node/Add`, `AssignedPod/Delete`, `Node/UpdateTaint`. */
export type ClusterEvent = `${EventResource}/${EventAction}`;
export type EventResource = 'Node' | 'AssignedPod' | 'UnscheduledPod' | 'PersistentVolumeClaim' | 'PersistentVolume' | 'StorageClass' | 'Namespace' | '*';
export type EventAction = 'Add' | 'Update' | 'Delete' | 'UpdateLabel' | 'UpdateTaint' | 'UpdateAllocatable' | 'UpdateCondition' | '*';

/** Restricts the nodes Filter looks at (upstream PreFilterResult); undefined means all nodes. */
export class PreFilterResult {
  constructor(readonly nodeNames: ReadonlySet<string> | undefined) {}
}

/** Keeps PreFilter state right when preemption adds or removes pods on a node copy. */
export interface PreFilterExtensions {
  addPod(state: CycleState, podToSchedule: Pod, podInfoToAdd: PodInfo, nodeInfo: NodeInfo): Status;
  removePod(state: CycleState, podToSchedule: Pod, podInfoToRemove: PodInfo, nodeInfo: NodeInfo): Status;
}

export interface PreFilterPlugin extends Plugin {
  /** Success, Skip (its Filter is not run), a rejection, or a result narrowing the nodes. */
  preFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status | PreFilterResult;
  readonly preFilterExtensions?: PreFilterExtensions;
}

export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status;
}

export interface PostFilterResult {
  /** The node the pod is nominated to after preemption ('' clears a nomination). */
  nominatedNodeName?: string;
}

export interface PostFilterPlugin extends Plugin {
  postFilter(state: CycleState, pod: Pod, statuses: NodeToStatusReader): Promise<{ result?: PostFilterResult; status: Status }>;
}

export interface PreScorePlugin extends Plugin {
  /** Success, Skip (its Score is not run) or an error. */
  preScore(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status;
}

export interface NodeScore {
  readonly name: string;
  score: number;
}

export interface ScorePlugin extends Plugin {
  /** A raw score, or a Status on error. */
  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): number | Status;
  /** Rewrites the raw scores into [0, MAX_NODE_SCORE] in place. */
  normalizeScore?(state: CycleState, pod: Pod, scores: NodeScore[]): Status;
}

export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: Pod, nodeName: string): Status | Promise<Status>;
  unreserve(state: CycleState, pod: Pod, nodeName: string): void | Promise<void>;
}

export interface PermitPlugin extends Plugin {
  /** Success, a rejection, or Wait with a timeout (the pod waits for allow/reject). */
  permit(state: CycleState, pod: Pod, nodeName: string): { status: Status; timeoutMs?: number };
}

export interface PreBindPlugin extends Plugin {
  preBind(state: CycleState, pod: Pod, nodeName: string): Promise<Status>;
}

export interface BindPlugin extends Plugin {
  /** Skip hands the pod to the next binder. */
  bind(state: CycleState, pod: Pod, nodeName: string): Promise<Status>;
}

/** Read access to the per-node results of Filter (upstream NodeToStatusReader). */
export interface NodeToStatusReader {
  get(nodeName: string): Status;
  readonly size: number;
}

/** The API calls plugins make (binding, preemption, volume hooks); the scheduler supplies them. */
export interface SchedulerApi {
  bindPod(pod: Pod, nodeName: string): Promise<void>;
  /** Graceful deletion of a preemption victim, `preemptor` being the pod that evicts it. */
  deletePod(victim: Pod, preemptor: Pod): Promise<void>;
  /** Clears `status.nominatedNodeName` of a lower-priority pod displaced by a preemption. */
  clearNominatedNodeName?(pod: Pod): Promise<void>;
  /** Records the node chosen for a WaitForFirstConsumer claim. */
  setSelectedNode?(namespace: string, claimName: string, nodeName: string): Promise<void>;
}

export interface VolumeLister {
  getClaim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  getStorageClass(name: string): StorageClass | undefined;
}

/** Pods nominated to nodes by earlier preemptions (upstream PodNominator). */
export interface Nominator {
  nominatedPodsForNode(nodeName: string): readonly PodInfo[];
}

/** Permit waits: a plugin (or anyone with the handle) can allow or reject a waiting pod. */
export interface WaitingPod {
  readonly pod: Pod;
  pendingPlugins(): string[];
  allow(plugin: string): void;
  reject(plugin: string, message: string): void;
}

export interface Handle {
  readonly api: SchedulerApi;
  /** The snapshot of the cycle being run. */
  snapshot(): Snapshot;
  readonly namespaceLabels: NamespaceLabels;
  readonly nominator: Nominator;
  readonly volumes: VolumeLister | undefined;
  /** The selector of services/controllers owning the pod, for default spreading; undefined if none. */
  defaultSpreadSelector(pod: Pod): LabelSelector | undefined;
  runFilterPluginsWithNominatedPods(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status;
  runPreFilterExtensionAddPod(state: CycleState, podToSchedule: Pod, podInfoToAdd: PodInfo, nodeInfo: NodeInfo): Status;
  runPreFilterExtensionRemovePod(state: CycleState, podToSchedule: Pod, podInfoToRemove: PodInfo, nodeInfo: NodeInfo): Status;
  getWaitingPod(uid: string): WaitingPod | undefined;
  random(): number;
}

export type PluginFactory = (handle: Handle) => Plugin;
