/**
 * The scheduler's view of nodes and their pods (upstream internal/cache): bound pods from the
 * informers plus "assumed" pods the scheduler has placed but not yet seen bound, so a burst of
 * pods does not overcommit a node. An assumed pod is confirmed when the informer reports it
 * bound, forgotten when its binding fails, and expires `ttlMs` after binding finished if it
 * is never confirmed (0 = never).
 */
import type { Node, Pod } from '../../apimachinery/generated/types.js';
import { NodeInfo } from '../framework/node-info.js';
import { PodInfo, podKey } from '../framework/pod-info.js';
import { Snapshot } from '../framework/snapshot.js';

interface PodState {
  pod: Pod;
  nodeName: string;
  assumed: boolean;
  bindingFinished: boolean;
  deadline?: number;
}

export interface CacheOptions {
  ttlMs?: number;
  now?: () => number;
}

export class SchedulerCache {
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly pods = new Map<string, PodState>();
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly snapCopies = new Map<string, NodeInfo>();
  private readonly snapshot = new Snapshot();
  /** Nodes whose info changed (or appeared, or went) since the last snapshot. */
  private readonly dirty = new Set<string>();
  /** Set when the snapshot must be rebuilt in full (first call, nodes removed). */
  private rebuild = true;

  constructor(opts: CacheOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 0;
    this.now = opts.now ?? Date.now;
  }

  private nodeInfo(name: string): NodeInfo {
    this.dirty.add(name);
    let ni = this.nodes.get(name);
    if (!ni) this.nodes.set(name, (ni = new NodeInfo()));
    return ni;
  }

  private dropIfEmpty(name: string): void {
    const ni = this.nodes.get(name);
    if (ni && !ni.node && ni.pods.length === 0) {
      this.nodes.delete(name);
      this.rebuild = true;
    }
  }

  // ---- nodes ----

  addNode(node: Node): void {
    this.nodeInfo(node.metadata?.name ?? '').setNode(node);
  }

  updateNode(node: Node): void {
    this.addNode(node);
  }

  removeNode(node: Node): void {
    const name = node.metadata?.name ?? '';
    const ni = this.nodes.get(name);
    if (!ni) return;
    ni.removeNode();
    this.rebuild = true;
    this.dropIfEmpty(name);
  }

  // ---- pods ----

  isAssumed(pod: Pod): boolean {
    return this.pods.get(podKey(pod))?.assumed ?? false;
  }

  /** Places a pod on `nodeName` before it is bound. */
  assumePod(pod: Pod, nodeName: string): void {
    const key = podKey(pod);
    if (this.pods.has(key)) throw new Error(`pod ${key} is in the cache, so can't be assumed`);
    const placed: Pod = { ...pod, spec: { ...(pod.spec ?? { containers: [] }), nodeName } };
    this.nodeInfo(nodeName).addPod(new PodInfo(placed));
    this.pods.set(key, { pod: placed, nodeName, assumed: true, bindingFinished: false });
  }

  /** Binding returned: start the expiry clock of the assumed pod. */
  finishBinding(pod: Pod): void {
    const st = this.pods.get(podKey(pod));
    if (!st || !st.assumed) return;
    st.bindingFinished = true;
    if (this.ttlMs > 0) st.deadline = this.now() + this.ttlMs;
  }

  /** Binding failed: take the assumed pod off its node. */
  forgetPod(pod: Pod): void {
    const key = podKey(pod);
    const st = this.pods.get(key);
    if (!st || !st.assumed) return;
    this.removeFromNode(st);
    this.pods.delete(key);
  }

  private removeFromNode(st: PodState): void {
    this.dirty.add(st.nodeName);
    this.nodes.get(st.nodeName)?.removePod(st.pod);
    this.dropIfEmpty(st.nodeName);
  }

  /** An assigned pod reported by the informer (confirms an assumed one). */
  addPod(pod: Pod): void {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return;
    const key = podKey(pod);
    const st = this.pods.get(key);
    if (st) this.removeFromNode(st);
    this.nodeInfo(nodeName).addPod(new PodInfo(pod));
    this.pods.set(key, { pod, nodeName, assumed: false, bindingFinished: true });
  }

  updatePod(pod: Pod): void {
    this.addPod(pod);
  }

  removePod(pod: Pod): void {
    const key = podKey(pod);
    const st = this.pods.get(key);
    if (!st) return;
    this.removeFromNode(st);
    this.pods.delete(key);
  }

  /** Drops assumed pods whose binding finished more than ttl ago without confirmation. */
  cleanupExpiredAssumedPods(): string[] {
    const now = this.now();
    const expired: string[] = [];
    for (const [key, st] of this.pods) {
      if (st.assumed && st.bindingFinished && st.deadline !== undefined && st.deadline <= now) {
        this.removeFromNode(st);
        this.pods.delete(key);
        expired.push(key);
      }
    }
    return expired;
  }

  getPod(pod: Pod): Pod | undefined {
    return this.pods.get(podKey(pod))?.pod;
  }

  get nodeCount(): number {
    let n = 0;
    for (const ni of this.nodes.values()) if (ni.node) n++;
    return n;
  }

  get podCount(): number {
    return this.pods.size;
  }

  /**
   * A snapshot for the next cycle; node infos changed since the last call are copied. Only the
   * nodes touched since then are looked at (5,000 nodes must not cost 5,000 steps per pod), unless
   * a node came or went, which rebuilds the list in the cache's node order.
   */
  updateSnapshot(): Snapshot {
    if (!this.rebuild) {
      const changed: NodeInfo[] = [];
      for (const name of this.dirty) {
        const ni = this.nodes.get(name);
        if (!ni?.node) {
          if (this.snapCopies.has(name)) { this.rebuild = true; break; }
          continue;
        }
        const old = this.snapCopies.get(name);
        if (!old) { this.rebuild = true; break; }
        if (old.generation === ni.generation) continue;
        changed.push(ni.clone());
      }
      if (!this.rebuild && this.snapshot.update(changed)) {
        for (const c of changed) this.snapCopies.set(c.name, c);
        this.dirty.clear();
        return this.snapshot;
      }
    }
    this.rebuild = false;
    this.dirty.clear();
    for (const name of [...this.snapCopies.keys()]) if (!this.nodes.has(name)) this.snapCopies.delete(name);
    const list: NodeInfo[] = [];
    for (const [name, ni] of this.nodes) {
      if (!ni.node) {
        this.snapCopies.delete(name);
        continue;
      }
      let copy = this.snapCopies.get(name);
      if (!copy || copy.generation !== ni.generation) {
        copy = ni.clone();
        this.snapCopies.set(name, copy);
      }
      list.push(copy);
    }
    this.snapshot.replace(list);
    return this.snapshot;
  }
}
