/**
 * ControllerRevisions as kube-controller-manager's controller history keeps them for StatefulSets
 * and DaemonSets: a revision stores the patch that turns any object of the owner's kind back into
 * the snapshotted template (`{"spec":{"template":{..., "$patch":"replace"}}}`), a revision
 * number, and a name `<owner>-<hash>`.
 *
 * Creating a revision is idempotent: an existing revision with the same name and the same data is
 * returned as is; one with different data is a hash collision and the caller's collision count is
 * bumped until a free name is found.
 */
import type { KubeObject } from '../../apimachinery/object.js';
import { deepCopy } from '../../apimachinery/object.js';
import type { PodTemplateSpec } from '../../apimachinery/generated/types.js';
import type { GroupVersionResource, RestClient } from '../../client/rest-client.js';
import { isAlreadyExists, isNotFound } from '../../client/rest-client.js';
import { jsonEqual, newControllerRef } from '../replicaset/controller-utils.js';

export const CONTROLLER_REVISIONS: GroupVersionResource = { group: 'apps', version: 'v1', resource: 'controllerrevisions' };
/** The hash label every revision created through `newControllerRevision` carries. */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller.kubernetes.io/hash';
/** The pod label naming the revision a StatefulSet/DaemonSet pod was made from. */
export const POD_REVISION_LABEL = 'controller-revision-hash';

export type RevisionObject = KubeObject & { data?: unknown; revision: number };

const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';
/** Revision names must leave room for the hash within 253 characters. */
const MAX_PREFIX_LENGTH = 223;

/** JSON with sorted keys (the byte form hashed; Go's map marshalling also sorts keys). */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** FNV-1 (32 bit) over UTF-8 bytes. */
function fnv1(bytes: Buffer, seed = 0x811c9dc5): number {
  let h = seed;
  for (const b of bytes) {
    h = Math.imul(h, 0x01000193) >>> 0;
    h = (h ^ b) >>> 0;
  }
  return h >>> 0;
}

/** Decimal digits mapped to characters that never spell words (upstream's SafeEncodeString). */
export function safeEncode(s: string): string {
  return [...s].map((c) => SAFE_ALPHANUMS[c.charCodeAt(0) % SAFE_ALPHANUMS.length]).join('');
}

/** The hash of a revision's data, salted with the collision count when there is one. */
export function hashRevisionData(data: unknown, collisionCount?: number): string {
  let h = fnv1(Buffer.from(canonicalJson(data ?? null), 'utf8'));
  if (collisionCount !== undefined && collisionCount !== null) h = fnv1(Buffer.from(String(collisionCount), 'utf8'), h);
  return safeEncode(String(h));
}

export function controllerRevisionName(prefix: string, hash: string): string {
  return `${prefix.length > MAX_PREFIX_LENGTH ? prefix.slice(0, MAX_PREFIX_LENGTH) : prefix}-${hash}`;
}

/** The patch stored in a revision: the whole template, replacing whatever is there. */
export function templatePatch(template: PodTemplateSpec | undefined): Record<string, unknown> {
  return { spec: { template: { ...deepCopy(template ?? {}), $patch: 'replace' } } };
}

/** The template a revision's data restores. */
export function templateFromRevision(rev: RevisionObject | undefined): PodTemplateSpec | undefined {
  const data = rev?.data as { spec?: { template?: Record<string, unknown> } } | undefined;
  const t = data?.spec?.template;
  if (!t) return undefined;
  const copy = deepCopy(t);
  delete copy.$patch;
  return copy as PodTemplateSpec;
}

export interface NewRevisionOptions {
  owner: KubeObject;
  ownerApiVersion: string;
  ownerKind: string;
  /** Labels copied onto the revision (the template's labels, as upstream). */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  data: unknown;
  revision: number;
  collisionCount?: number;
  /** Name the revision `<owner>-<hash>` with this hash instead of the data hash (DaemonSets). */
  hash?: string;
  /** Label carrying the hash; default `controller.kubernetes.io/hash`. */
  hashLabel?: string;
}

export function newControllerRevision(o: NewRevisionOptions): RevisionObject {
  const hash = o.hash ?? hashRevisionData(o.data, o.collisionCount);
  return {
    apiVersion: 'apps/v1', kind: 'ControllerRevision',
    metadata: {
      name: controllerRevisionName(o.owner.metadata.name ?? '', hash),
      namespace: o.owner.metadata.namespace,
      labels: { ...(o.labels ?? {}), [o.hashLabel ?? CONTROLLER_REVISION_HASH_LABEL]: hash },
      ...(o.annotations && Object.keys(o.annotations).length > 0 ? { annotations: { ...o.annotations } } : {}),
      ownerReferences: [newControllerRef(o.owner, o.ownerApiVersion, o.ownerKind)],
    },
    data: deepCopy(o.data),
    revision: o.revision,
  };
}

/** Same data (the hash label is not compared: a collision-salted name may differ). */
export function equalRevision(a: RevisionObject | undefined, b: RevisionObject | undefined): boolean {
  if (!a || !b) return a === b;
  return jsonEqual(a.data ?? null, b.data ?? null);
}

export function findEqualRevisions(revisions: RevisionObject[], needle: RevisionObject): RevisionObject[] {
  return revisions.filter((r) => equalRevision(r, needle));
}

/** Oldest first: by revision number, then creation time, then name. */
export function sortRevisions(revisions: RevisionObject[]): RevisionObject[] {
  return [...revisions].sort((a, b) => {
    if (a.revision !== b.revision) return a.revision - b.revision;
    const ta = a.metadata.creationTimestamp ?? '';
    const tb = b.metadata.creationTimestamp ?? '';
    if (ta !== tb) return ta < tb ? -1 : 1;
    const na = a.metadata.name ?? '';
    const nb = b.metadata.name ?? '';
    return na < nb ? -1 : na > nb ? 1 : 0;
  });
}

/** One more than the highest revision number (1 for none). */
export function nextRevisionNumber(revisions: RevisionObject[]): number {
  let max = 0;
  for (const r of revisions) max = Math.max(max, r.revision);
  return max + 1;
}

export interface CreateRevisionOptions {
  client: RestClient;
  signal?: AbortSignal;
  /** Builds the revision for a collision count (the name's hash depends on it). */
  build: (collisionCount: number) => RevisionObject;
  collisionCount: number;
}

/**
 * Creates the revision, or returns the existing one with equal data under the same name. A name
 * taken by different data raises the collision count and tries again; the caller stores the
 * returned count in the owner's status.
 */
export async function createControllerRevision(o: CreateRevisionOptions): Promise<{ revision: RevisionObject; collisionCount: number }> {
  let collisionCount = o.collisionCount;
  for (let attempt = 0; attempt < 100; attempt++) {
    const rev = o.build(collisionCount);
    try {
      const created = await o.client.create<RevisionObject>(CONTROLLER_REVISIONS, rev, { namespace: rev.metadata.namespace, signal: o.signal });
      return { revision: created, collisionCount };
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await o.client.get<RevisionObject>(CONTROLLER_REVISIONS, rev.metadata.name ?? '', { namespace: rev.metadata.namespace, signal: o.signal });
      if (equalRevision(existing, rev)) return { revision: existing, collisionCount };
      collisionCount++;
    }
  }
  throw new Error('could not find a free ControllerRevision name after 100 collisions');
}

/** Gives an existing revision a new number (a rollback to an old template makes it newest). */
export async function updateRevisionNumber(client: RestClient, rev: RevisionObject, revision: number, signal?: AbortSignal): Promise<RevisionObject> {
  if (rev.revision === revision) return rev;
  return client.patch<RevisionObject>(CONTROLLER_REVISIONS, rev.metadata.name ?? '', {
    namespace: rev.metadata.namespace, type: 'merge', signal, patch: { revision },
  });
}

export async function deleteControllerRevision(client: RestClient, rev: RevisionObject, signal?: AbortSignal): Promise<void> {
  await client.delete(CONTROLLER_REVISIONS, rev.metadata.name ?? '', {
    namespace: rev.metadata.namespace, signal, preconditions: rev.metadata.uid ? { uid: rev.metadata.uid } : undefined,
  });
}

/**
 * The revisions to delete so that at most `limit` revisions not in `live` remain (oldest go
 * first). `live` holds the names of revisions still in use (current, update, or running pods).
 */
export function revisionsToPrune(revisions: RevisionObject[], live: Set<string>, limit: number): RevisionObject[] {
  const history = sortRevisions(revisions).filter((r) => !live.has(r.metadata.name ?? ''));
  const excess = history.length - Math.max(0, limit);
  return excess > 0 ? history.slice(0, excess) : [];
}

/**
 * Deletes the revisions beyond the history limit (see revisionsToPrune). `current` counts as known
 * even when the informer has not delivered it yet; revisions already gone are fine.
 */
export async function pruneRevisions(o: {
  client: RestClient; revisions: RevisionObject[]; current: RevisionObject; live: Set<string>; limit: number; signal?: AbortSignal;
}): Promise<void> {
  const known = o.revisions.some((r) => r.metadata.uid === o.current.metadata.uid) ? o.revisions : [...o.revisions, o.current];
  for (const rev of revisionsToPrune(known, o.live, o.limit)) {
    await deleteControllerRevision(o.client, rev, o.signal).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }
}
