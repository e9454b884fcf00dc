/**
 * What the scheduler knows about one node (upstream framework.NodeInfo): the Node, its pods
 * (assumed ones included), the sum of their requests, used host ports and the pods that carry
 * (anti-)affinity. Every change bumps `generation` so snapshots copy only what changed.
 */
import type { Node, Pod } from '../../apimachinery/generated/types.js';
import type { HostPort } from './pod-info.js';
import { PodInfo, podKey } from './pod-info.js';
import { Resource } from './resource.js';

let generationCounter = 0;
export function nextGeneration(): number {
  return ++generationCounter;
}

/** Host ports in use: ip → "protocol/port" set. */
export class HostPortSet {
  private readonly byIP = new Map<string, Map<string, number>>();

  clone(): HostPortSet {
    const c = new HostPortSet();
    for (const [ip, m] of this.byIP) c.byIP.set(ip, new Map(m));
    return c;
  }

  add(p: HostPort): void {
    let m = this.byIP.get(p.hostIP);
    if (!m) this.byIP.set(p.hostIP, (m = new Map()));
    const k = `${p.protocol}/${p.port}`;
    m.set(k, (m.get(k) ?? 0) + 1);
  }

  remove(p: HostPort): void {
    const m = this.byIP.get(p.hostIP);
    if (!m) return;
    const k = `${p.protocol}/${p.port}`;
    const n = (m.get(k) ?? 0) - 1;
    if (n > 0) m.set(k, n);
    else m.delete(k);
    if (m.size === 0) this.byIP.delete(p.hostIP);
  }

  /** A wildcard address (0.0.0.0) conflicts with every address on the same protocol and port. */
  conflicts(p: HostPort): boolean {
    const k = `${p.protocol}/${p.port}`;
    if (p.hostIP === '0.0.0.0') {
      for (const m of this.byIP.values()) if (m.has(k)) return true;
      return false;
    }
    return !!(this.byIP.get(p.hostIP)?.has(k) || this.byIP.get('0.0.0.0')?.has(k));
  }

  get size(): number {
    let n = 0;
    for (const m of this.byIP.values()) n += m.size;
    return n;
  }
}

export class NodeInfo {
  node: Node | undefined;
  pods: PodInfo[] = [];
  podsWithAffinity: PodInfo[] = [];
  podsWithRequiredAntiAffinity: PodInfo[] = [];
  usedPorts = new HostPortSet();
  /** Sum of the pods' requests (assumed pods included). */
  requested = new Resource();
  /** Same with upstream's non-zero defaults, used by scoring. */
  nonZeroRequested = new Resource();
  allocatable = new Resource();
  /** "namespace/claim" → number of pods on this node using it. */
  pvcRefCounts = new Map<string, number>();
  generation = nextGeneration();

  constructor(node?: Node, pods: (Pod | PodInfo)[] = []) {
    if (node) this.setNode(node);
    for (const p of pods) this.addPod(p);
  }

  get name(): string {
    return this.node?.metadata?.name ?? '';
  }

  setNode(node: Node): void {
    this.node = node;
    this.allocatable = Resource.fromList(node.status?.allocatable);
    this.generation = nextGeneration();
  }

  removeNode(): void {
    this.node = undefined;
    this.generation = nextGeneration();
  }

  addPod(p: Pod | PodInfo): PodInfo {
    const info = p instanceof PodInfo ? p : new PodInfo(p);
    this.pods.push(info);
    if (info.hasAffinity()) this.podsWithAffinity.push(info);
    if (info.hasRequiredAntiAffinity()) this.podsWithRequiredAntiAffinity.push(info);
    this.update(info, 1);
    return info;
  }

  /** Removes the pod with the same key; returns false when it is not here. */
  removePod(p: Pod | PodInfo): boolean {
    const key = p instanceof PodInfo ? p.key : podKey(p);
    const i = this.pods.findIndex((x) => x.key === key);
    if (i < 0) return false;
    const info = this.pods[i]!;
    this.pods.splice(i, 1);
    this.podsWithAffinity = this.podsWithAffinity.filter((x) => x.key !== key);
    this.podsWithRequiredAntiAffinity = this.podsWithRequiredAntiAffinity.filter((x) => x.key !== key);
    this.update(info, -1);
    return true;
  }

  private update(info: PodInfo, sign: 1 | -1): void {
    this.requested.addResource(info.requests, sign);
    this.nonZeroRequested.addResource(info.nonZeroRequests, sign);
    for (const hp of info.hostPorts) {
      if (sign > 0) this.usedPorts.add(hp);
      else this.usedPorts.remove(hp);
    }
    const ns = info.namespace;
    for (const v of info.pod.spec?.volumes ?? []) {
      const claim = v.persistentVolumeClaim?.claimName;
      if (!claim) continue;
      const k = `${ns}/${claim}`;
      const n = (this.pvcRefCounts.get(k) ?? 0) + sign;
      if (n > 0) this.pvcRefCounts.set(k, n);
      else this.pvcRefCounts.delete(k);
    }
    this.generation = nextGeneration();
  }

  /** A copy whose pod lists and sums can change without touching this one. */
  clone(): NodeInfo {
    const c = new NodeInfo();
    c.node = this.node;
    c.pods = [...this.pods];
    c.podsWithAffinity = [...this.podsWithAffinity];
    c.podsWithRequiredAntiAffinity = [...this.podsWithRequiredAntiAffinity];
    c.usedPorts = this.usedPorts.clone();
    c.requested = this.requested.clone();
    c.nonZeroRequested = this.nonZeroRequested.clone();
    c.allocatable = this.allocatable.clone();
    c.pvcRefCounts = new Map(this.pvcRefCounts);
    c.generation = this.generation;
    return c;
  }
}
