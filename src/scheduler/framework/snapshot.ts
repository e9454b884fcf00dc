/**
 * The node infos one scheduling cycle works on (upstream cache.Snapshot): a consistent copy of
 * the cache, in a stable node order, plus the lists of nodes whose pods carry (anti-)affinity.
 */
import { NodeInfo } from './node-info.js';
import type { Node, Pod } from '../../apimachinery/generated/types.js';

export class Snapshot {
  private readonly byName = new Map<string, NodeInfo>();
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
    this.list = [];
    for (const ni of infos) {
      if (!ni.node) continue;
      this.byName.set(ni.name, ni);
      this.list.push(ni);
    }
    this.refreshAffinityLists();
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
