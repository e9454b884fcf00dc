/**
 * The ownership graph the garbage collector keeps (kube-controller-manager's GraphBuilder): one
 * node per uid, edges from owner to dependents. An owner named by an ownerReference but not yet
 * observed through any informer is a "virtual" node whose existence the collector verifies with
 * a live GET. The graph is changed only by `processChange` (informer events and virtual deletes)
 * and tells its caller which uids to look at next through the `attemptToDelete` /
 * `attemptToOrphan` callbacks.
 */
import type { GroupVersionResource } from '../../client/rest-client.js';
import type { ObjectMeta, OwnerReference } from '../../apimachinery/object.js';

export const FINALIZER_ORPHAN = 'orphan';
export const FINALIZER_DELETE_DEPENDENTS = 'foregroundDeletion';

export interface ObjectIdentity {
  apiVersion: string;
  kind: string;
  /** '' for cluster-scoped objects (and for virtual owners, the dependent's namespace). */
  namespace: string;
  name: string;
  uid: string;
}

export function identityText(id: ObjectIdentity): string {
  return `${id.apiVersion}/${id.kind}, namespace: ${id.namespace}, name: ${id.name}, uid: ${id.uid}`;
}

export interface GraphNode {
  identity: ObjectIdentity;
  /** Known once observed through an informer. */
  gvr?: GroupVersionResource;
  owners: OwnerReference[];
  dependents: Set<GraphNode>;
  /** Observed through an informer (false for virtual nodes). */
  observed: boolean;
  /** Has a deletionTimestamp. */
  beingDeleted: boolean;
  /** Has a deletionTimestamp and the foregroundDeletion finalizer. */
  deletingDependents: boolean;
}

export interface GraphChange {
  type: 'add' | 'update' | 'delete';
  /** Where the object was observed; undefined for virtual deletes. */
  gvr?: GroupVersionResource;
  identity: ObjectIdentity;
  /** The object's metadata (undefined for virtual deletes). */
  metadata?: ObjectMeta;
  /** A delete raised by the collector after a live GET found the object gone. */
  virtual?: boolean;
}

export interface GraphCallbacks {
  attemptToDelete(node: GraphNode): void;
  attemptToOrphan(node: GraphNode): void;
  /** An owner verified absent: later lookups may skip the live GET. */
  ownerAbsent?(uid: string): void;
}

export function hasFinalizer(meta: ObjectMeta | undefined, finalizer: string): boolean {
  return (meta?.finalizers ?? []).includes(finalizer);
}

/** Dependents whose reference to `owner` blocks its foreground deletion. */
export function blockingDependents(owner: GraphNode): GraphNode[] {
  const out: GraphNode[] = [];
  for (const dep of owner.dependents) {
    if (dep.owners.some((r) => r.uid === owner.identity.uid && r.blockOwnerDeletion === true)) out.push(dep);
  }
  return out;
}

function refsEqual(a: OwnerReference, b: OwnerReference): boolean {
  return a.uid === b.uid && a.apiVersion === b.apiVersion && a.kind === b.kind && a.name === b.name
    && (a.controller ?? false) === (b.controller ?? false) && (a.blockOwnerDeletion ?? false) === (b.blockOwnerDeletion ?? false);
}

export class Graph {
  private readonly nodes = new Map<string, GraphNode>();

  constructor(private readonly cb: GraphCallbacks) {}

  get(uid: string): GraphNode | undefined {
    return this.nodes.get(uid);
  }

  size(): number {
    return this.nodes.size;
  }

  processChange(change: GraphChange): void {
    const uid = change.identity.uid;
    const existing = this.nodes.get(uid);
    if (change.type === 'delete') {
      this.processDelete(change, existing);
      return;
    }
    const meta = change.metadata ?? {};
    const owners = meta.ownerReferences ?? [];
    const beingDeleted = !!meta.deletionTimestamp;
    if (!existing) {
      const node: GraphNode = {
        identity: change.identity, gvr: change.gvr, owners: [...owners], dependents: new Set(), observed: true,
        beingDeleted, deletingDependents: beingDeleted && hasFinalizer(meta, FINALIZER_DELETE_DEPENDENTS),
      };
      this.nodes.set(uid, node);
      for (const ref of owners) this.link(node, ref);
      this.processTransitions(meta, node);
      return;
    }
    if (!existing.observed) {
      // A virtual owner showed up for real: adopt the observed identity.
      existing.observed = true;
      existing.identity = change.identity;
    }
    existing.gvr = change.gvr ?? existing.gvr;
    const before = existing.owners;
    const added = owners.filter((r) => !before.some((b) => b.uid === r.uid));
    const removed = before.filter((b) => !owners.some((r) => r.uid === b.uid));
    const changed = owners.filter((r) => before.some((b) => b.uid === r.uid && !refsEqual(b, r)));
    existing.owners = [...owners];
    for (const ref of added) this.link(existing, ref);
    for (const ref of removed) {
      const owner = this.nodes.get(ref.uid);
      owner?.dependents.delete(existing);
      // A dependent no longer blocking lets its owner's foreground deletion go on.
      if (owner?.deletingDependents) this.cb.attemptToDelete(owner);
    }
    for (const ref of changed) {
      const owner = this.nodes.get(ref.uid);
      if (owner?.deletingDependents) this.cb.attemptToDelete(owner);
    }
    if (beingDeleted) existing.beingDeleted = true;
    this.processTransitions(meta, existing);
  }

  private link(node: GraphNode, ref: OwnerReference): void {
    let owner = this.nodes.get(ref.uid);
    if (!owner) {
      owner = {
        identity: { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, uid: ref.uid, namespace: node.identity.namespace },
        owners: [], dependents: new Set(), observed: false, beingDeleted: false, deletingDependents: false,
      };
      this.nodes.set(ref.uid, owner);
      // Verify the owner exists; if not, its dependents are garbage.
      this.cb.attemptToDelete(owner);
    }
    owner.dependents.add(node);
  }

  /** Level-triggered: an object being deleted with orphan/foreground finalizers gets its work queued. */
  private processTransitions(meta: ObjectMeta, node: GraphNode): void {
    if (!meta.deletionTimestamp) return;
    if (hasFinalizer(meta, FINALIZER_ORPHAN)) this.cb.attemptToOrphan(node);
    if (hasFinalizer(meta, FINALIZER_DELETE_DEPENDENTS)) {
      node.deletingDependents = true;
      for (const dep of node.dependents) this.cb.attemptToDelete(dep);
      this.cb.attemptToDelete(node);
    } else {
      node.deletingDependents = false;
    }
  }

  private processDelete(change: GraphChange, existing: GraphNode | undefined): void {
    if (!existing) return;
    if (change.virtual && existing.observed) {
      // A live GET found nothing at the coordinates an ownerReference gave, yet the uid is
      // observed (e.g. wrong kind in the reference): dependents re-check their own references.
      for (const dep of existing.dependents) this.cb.attemptToDelete(dep);
      return;
    }
    this.nodes.delete(existing.identity.uid);
    this.cb.ownerAbsent?.(existing.identity.uid);
    for (const ref of existing.owners) {
      const owner = this.nodes.get(ref.uid);
      if (!owner) continue;
      owner.dependents.delete(existing);
      if (owner.deletingDependents) this.cb.attemptToDelete(owner);
      // A virtual owner left without dependents is dropped.
      if (!owner.observed && owner.dependents.size === 0) this.nodes.delete(owner.identity.uid);
    }
    for (const dep of existing.dependents) this.cb.attemptToDelete(dep);
  }
}
