/**
 * The node infos one scheduling cycle works on (upstream cache.Snapshot): a consistent copy of
 * the cache, in a stable node order, plus the lists of nodes whose pods carry (anti-)affinity.
 */
import { NodeInfo } from './node-info.js';
import type { Node, Pod } from '../../apimachinery/generated/types.js';

export class Snapshot {
  private readonly byName = new Map<string, NodeInfo>();
  private readonly index = new Map<string, number>();
  private list: NodeInfo[] = [];
  private withAffinity: NodeInfo[] = [];
  private withRequiredAntiAffinity: NodeInfo[] = [];

  /** Builds a snapshot from node infos (each used as is, not copied). */
  constructor(infos: Iterable<NodeInfo> = []) {
    this.replace(infos);
  }

  /** Convenience for tests: nodes and the pods bound to them (by spec.nodeName). */
  static fromObjects(nodes: Node[], pods: Pod[] = []): Snapshot {
    const infos = new Map<string, NodeInfo>();
    for (const n of nodes) infos.set(n.metadata?.name ?? '', new NodeInfo(n));
    for (const p of pods) infos.get(p.spec?.nodeName ?? '')?.addPod(p);
    return new Snapshot(infos.values());
  }

  replace(infos: Iterable<NodeInfo>): void {
    this.byName.clear();
    this.index.clear();
    this.list = [];
    for (const ni of infos) {
      if (!ni.node) continue;
      this.byName.set(ni.name, ni);
      this.index.set(ni.name, this.list.length);
      this.list.push(ni);
    }
    this.refreshAffinityLists();
  }

  /**
   * Swaps in new infos for nodes already in the snapshot, keeping the node order; returns false
   * (and changes nothing) if one of them is not there, so the caller must `replace` instead.
   */
  update(infos: readonly NodeInfo[]): boolean {
    if (infos.some((ni) => !ni.node || !this.index.has(ni.name))) return false;
    let affinity = false;
    for (const ni of infos) {
      const i = this.index.get(ni.name) as number;
      const old = this.list[i];
      if (old.podsWithAffinity.length || old.podsWithRequiredAntiAffinity.length || ni.podsWithAffinity.length || ni.podsWithRequiredAntiAffinity.length) affinity = true;
      this.list[i] = ni;
      this.byName.set(ni.name, ni);
    }
    if (affinity) this.refreshAffinityLists();
    return true;
  }

  refreshAffinityLists(): void {
    this.withAffinity = this.list.filter((n) => n.podsWithAffinity.length > 0);
    this.withRequiredAntiAffinity = this.list.filter((n) => n.podsWithRequiredAntiAffinity.length > 0);
  }

  get(name: string): NodeInfo | undefined {
    return this.byName.get(name);
  }

  nodes(): readonly NodeInfo[] {
    return this.list;
  }

  havePodsWithAffinity(): readonly NodeInfo[] {
    return this.withAffinity;
  }

  havePodsWithRequiredAntiAffinity(): readonly NodeInfo[] {
    return this.withRequiredAntiAffinity;
  }

  get size(): number {
    return this.list.length;
  }
}
