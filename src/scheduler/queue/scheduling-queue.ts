/**
 * The scheduling queue (upstream internal/queue PriorityQueue): activeQ ordered by priority
 * then arrival, backoffQ for pods waiting out their back-off (1 s doubling to 10 s), and the
 * unschedulable pods that wait for a cluster event that may help (or 5 minutes). Also the
 * nominator: pods nominated to nodes by preemption.
 */
import type { Pod } from '../../apimachinery/generated/types.js';
import type { ClusterEvent, Nominator } from '../framework/interfaces.js';
import { PodInfo, podKey } from '../framework/pod-info.js';
import { KeyedHeap } from './heap.js';

export const DEFAULT_INITIAL_BACKOFF_MS = 1000;
export const DEFAULT_MAX_BACKOFF_MS = 10_000;
export const DEFAULT_MAX_IN_UNSCHEDULABLE_MS = 5 * 60_000;
/** Events that move every unschedulable pod (upstream's UnschedulableTimeout / ForceActivate). */
export const EVENT_UNSCHEDULABLE_TIMEOUT = 'UnschedulableTimeout';

export interface QueuedPodInfo {
  podInfo: PodInfo;
  /** When it (re-)entered the queue: the tie-breaker after priority. */
  timestamp: number;
  attempts: number;
  unschedulableCount: number;
  consecutiveErrors: number;
  /** Plugins that rejected it in the last attempt: only their events re-activate it. */
  unschedulablePlugins: Set<string>;
  initialAttemptTimestamp?: number;
}

export interface QueueOptions {
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  maxInUnschedulableMs?: number;
  now?: () => number;
  /** Events each plugin registered (plugin name → events). */
  pluginEvents?: Map<string, readonly ClusterEvent[]>;
}

/** Does a registered event cover an incoming one (`Node/Update` covers `Node/UpdateLabel`)? */
export function eventMatches(registered: ClusterEvent, incoming: ClusterEvent): boolean {
  const [rr, ra] = registered.split('/') as [string, string];
  const [ir, ia] = incoming.split('/') as [string, string];
  if (rr !== '*' && rr !== ir) return false;
  return ra === '*' || ra === ia || (ra === 'Update' && ia.startsWith('Update'));
}

export class SchedulingQueue implements Nominator {
  private readonly activeQ: KeyedHeap<QueuedPodInfo>;
  private readonly backoffQ: KeyedHeap<QueuedPodInfo>;
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  private readonly inFlight = new Set<string>();
  private readonly nominated = new Map<string, Map<string, PodInfo>>();
  private readonly nominatedNodeOf = new Map<string, string>();
  private readonly waiters: (() => void)[] = [];
  private cycle = 0;
  private moveRequestCycle = -1;
  private timers: ReturnType<typeof setInterval>[] = [];
  private closed = false;
  private readonly initialBackoff: number;
  private readonly maxBackoff: number;
  private readonly maxInUnschedulable: number;
  private readonly now: () => number;
  private readonly pluginEvents: Map<string, readonly ClusterEvent[]>;

  constructor(opts: QueueOptions = {}) {
    this.initialBackoff = opts.initialBackoffMs ?? DEFAULT_INITIAL_BACKOFF_MS;
    this.maxBackoff = opts.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS;
    this.maxInUnschedulable = opts.maxInUnschedulableMs ?? DEFAULT_MAX_IN_UNSCHEDULABLE_MS;
    this.now = opts.now ?? Date.now;
    this.pluginEvents = opts.pluginEvents ?? new Map();
    const key = (q: QueuedPodInfo) => q.podInfo.key;
    this.activeQ = new KeyedHeap(key, (a, b) => a.podInfo.priority > b.podInfo.priority || (a.podInfo.priority === b.podInfo.priority && a.timestamp < b.timestamp));
    this.backoffQ = new KeyedHeap(key, (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b));
  }

  /** Starts the periodic flushes (backoffQ every second, unschedulable pods every 30 s). */
  run(): void {
    this.timers.push(setInterval(() => this.flushBackoffCompleted(), 1000));
    this.timers.push(setInterval(() => this.flushUnschedulableLeftover(), 30_000));
    for (const t of this.timers) t.unref?.();
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    for (const w of this.waiters.splice(0)) w();
  }

  /** Scheduling cycles started so far. */
  get schedulingCycle(): number {
    return this.cycle;
  }

  backoffDuration(q: QueuedPodInfo): number {
    const n = q.consecutiveErrors > 0 ? q.consecutiveErrors : q.unschedulableCount;
    if (n <= 0) return 0;
    let d = this.initialBackoff;
    for (let i = 1; i < n; i++) {
      d *= 2;
      if (d > this.maxBackoff) return this.maxBackoff;
    }
    return d;
  }

  backoffExpiry(q: QueuedPodInfo): number {
    return q.timestamp + this.backoffDuration(q);
  }

  private isBackingOff(q: QueuedPodInfo): boolean {
    return this.backoffExpiry(q) > this.now();
  }

  private newQueued(pod: Pod): QueuedPodInfo {
    return { podInfo: new PodInfo(pod), timestamp: this.now(), attempts: 0, unschedulableCount: 0, consecutiveErrors: 0, unschedulablePlugins: new Set() };
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private pushActive(q: QueuedPodInfo): void {
    this.activeQ.push(q);
    this.notify();
  }

  /** A new unscheduled pod. */
  add(pod: Pod): void {
    const key = podKey(pod);
    if (this.activeQ.has(key) || this.backoffQ.has(key) || this.unschedulable.has(key)) {
      this.update(pod);
      return;
    }
    this.pushActive(this.newQueued(pod));
    this.syncNomination(pod);
  }

  /** The pod changed: refresh it where it waits; an unschedulable pod gets another chance. */
  update(pod: Pod): void {
    const key = podKey(pod);
    this.syncNomination(pod);
    for (const q of [this.activeQ, this.backoffQ]) {
      const cur = q.get(key);
      if (cur) {
        q.push({ ...cur, podInfo: new PodInfo(pod) });
        return;
      }
    }
    const u = this.unschedulable.get(key);
    if (u) {
      this.unschedulable.delete(key);
      const next = { ...u, podInfo: new PodInfo(pod) };
      if (this.isBackingOff(next)) this.backoffQ.push(next);
      else this.pushActive(next);
      return;
    }
    if (!this.inFlight.has(key)) this.pushActive(this.newQueued(pod));
  }

  delete(pod: Pod): void {
    const key = podKey(pod);
    this.activeQ.delete(key);
    this.backoffQ.delete(key);
    this.unschedulable.delete(key);
    this.deleteNominatedPod(pod);
  }

  /** Waits for the next pod (highest priority first); undefined once closed or aborted. */
  async pop(signal?: AbortSignal): Promise<QueuedPodInfo | undefined> {
    for (;;) {
      if (this.closed || signal?.aborted) return undefined;
      const q = this.activeQ.pop();
      if (q) {
        this.cycle++;
        q.attempts++;
        q.initialAttemptTimestamp ??= this.now();
        this.inFlight.add(q.podInfo.key);
        return q;
      }
      // One abort listener per wait, removed when the wait ends (a long-lived signal must not
      // collect one per scheduling attempt).
      let onAbort: (() => void) | undefined;
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        onAbort = () => resolve();
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The attempt on this pod is over (scheduled, requeued or dropped). */
  done(key: string): void {
    this.inFlight.delete(key);
  }

  /**
   * Requeues a pod that failed: to backoffQ when a move request came during its cycle (or it
   * failed with an error), else into the unschedulable pods.
   */
  addUnschedulable(q: QueuedPodInfo, podSchedulingCycle: number, opts: { error?: boolean } = {}): void {
    const key = q.podInfo.key;
    this.inFlight.delete(key);
    if (this.activeQ.has(key) || this.backoffQ.has(key) || this.unschedulable.has(key)) return;
    const next: QueuedPodInfo = { ...q, timestamp: this.now() };
    if (opts.error) {
      next.consecutiveErrors++;
      this.backoffQ.push(next);
      return;
    }
    next.consecutiveErrors = 0;
    next.unschedulableCount++;
    if (this.moveRequestCycle >= podSchedulingCycle) this.backoffQ.push(next);
    else this.unschedulable.set(key, next);
  }

  /** A cluster event: unschedulable pods whose rejecting plugins care move to active/backoff. */
  moveAllToActiveOrBackoff(event: ClusterEvent | typeof EVENT_UNSCHEDULABLE_TIMEOUT, filter?: (q: QueuedPodInfo) => boolean): void {
    this.moveRequestCycle = this.cycle;
    for (const [key, q] of this.unschedulable) {
      if (filter && !filter(q)) continue;
      if (event !== EVENT_UNSCHEDULABLE_TIMEOUT && !this.interested(q, event)) continue;
      this.unschedulable.delete(key);
      if (this.isBackingOff(q)) this.backoffQ.push(q);
      else this.pushActive(q);
    }
  }

  private interested(q: QueuedPodInfo, event: ClusterEvent): boolean {
    if (q.unschedulablePlugins.size === 0) return true;
    for (const p of q.unschedulablePlugins) {
      const evs = this.pluginEvents.get(p);
      if (!evs) return true;
      if (evs.some((r) => eventMatches(r, event))) return true;
    }
    return false;
  }

  flushBackoffCompleted(): void {
    const now = this.now();
    for (;;) {
      const q = this.backoffQ.peek();
      if (!q || this.backoffExpiry(q) > now) return;
      this.backoffQ.pop();
      this.pushActive(q);
    }
  }

  flushUnschedulableLeftover(): void {
    const now = this.now();
    this.moveAllToActiveOrBackoff(EVENT_UNSCHEDULABLE_TIMEOUT, (q) => now - q.timestamp > this.maxInUnschedulable);
  }

  /** Counts for tests and metrics. */
  stats(): { active: number; backoff: number; unschedulable: number; inFlight: number } {
    return { active: this.activeQ.size, backoff: this.backoffQ.size, unschedulable: this.unschedulable.size, inFlight: this.inFlight.size };
  }

  pendingPods(): Pod[] {
    return [...this.activeQ.values(), ...this.backoffQ.values(), ...this.unschedulable.values()].map((q) => q.podInfo.pod);
  }

  // ---- nominator ----

  private syncNomination(pod: Pod): void {
    const n = pod.status?.nominatedNodeName;
    if (n) this.addNominatedPod(pod, n);
    else this.deleteNominatedPod(pod);
  }

  addNominatedPod(pod: Pod, nodeName: string): void {
    this.deleteNominatedPod(pod);
    const key = podKey(pod);
    let m = this.nominated.get(nodeName);
    if (!m) this.nominated.set(nodeName, (m = new Map()));
    m.set(key, new PodInfo(pod));
    this.nominatedNodeOf.set(key, nodeName);
  }

  deleteNominatedPod(pod: Pod): void {
    const key = podKey(pod);
    const node = this.nominatedNodeOf.get(key);
    if (node === undefined) return;
    this.nominatedNodeOf.delete(key);
    const m = this.nominated.get(node);
    m?.delete(key);
    if (m && m.size === 0) this.nominated.delete(node);
  }

  nominatedPodsForNode(nodeName: string): readonly PodInfo[] {
    const m = this.nominated.get(nodeName);
    return m ? [...m.values()] : [];
  }
}
