/**
 * The storage contract every backend (SQLite, etcd) implements.
 *
 * Keys are strings such as `/registry/pods/default/web-1`; values are opaque strings (JSON of the
 * stored object). Every write produces a new, strictly increasing store-wide revision, which the
 * API server exposes as `metadata.resourceVersion`.
 */

export interface KeyValue {
  key: string;
  value: string;
  /** Revision at which this key was (last) created. */
  createRevision: number;
  /** Revision of the last write to this key. */
  modRevision: number;
}

export interface ListOptions {
  /** Return at most this many items (0 or undefined: no limit). */
  limit?: number;
  /** Start listing at this key (inclusive); used to continue a paginated list. */
  startKey?: string;
  /** Read the state as of this revision (0 or undefined: current). Throws CompactedError if compacted. */
  revision?: number;
}

export interface ListResult {
  items: KeyValue[];
  /** The revision the list was read at. */
  revision: number;
  /** True when more keys under the prefix follow the last returned item. */
  more: boolean;
  /** Number of keys remaining after the returned items (only when `more`). */
  remaining?: number;
}

export type WatchEventType = 'create' | 'update' | 'delete';

export interface WatchEvent {
  type: WatchEventType;
  /** The new value (for delete: the value before deletion, with modRevision = deletion revision). */
  kv: KeyValue;
  /** The value before this event (for update and delete). */
  prevKv?: KeyValue;
  /** Revision of this event. */
  revision: number;
}

export interface WatchOptions {
  /** Deliver every event with revision > afterRevision. Throws CompactedError (via onError) if compacted. */
  afterRevision: number;
  signal?: AbortSignal;
}

export interface Watcher {
  /** Stop the watch; idempotent. */
  close(): void;
}

export interface WatchHandlers {
  /** Called in revision order; batches keep order across calls. */
  onEvents(events: WatchEvent[]): void;
  /** Called once when the watch ends with an error (CompactedError when the start is too old). */
  onError?(err: Error): void;
}

export interface Store {
  /** Create `key`; throws KeyExistsError if it exists. Returns the new revision. */
  create(key: string, value: string): Promise<KeyValue>;
  /** Read a key, optionally at an older revision. */
  get(key: string, opts?: { revision?: number }): Promise<KeyValue | undefined>;
  /** List keys with the given prefix in key order. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Count keys with the prefix. */
  count(prefix: string): Promise<{ count: number; revision: number }>;
  /**
   * Replace the value if the key's current modRevision equals `expectedModRevision`.
   * Throws ConflictError when it differs, NotFoundError when the key is gone.
   */
  update(key: string, value: string, expectedModRevision: number): Promise<KeyValue>;
  /**
   * Delete the key; with `expectedModRevision` only if it still matches (ConflictError otherwise).
   * Returns the deleted value with modRevision set to the deletion revision. NotFoundError when absent.
   */
  delete(key: string, expectedModRevision?: number): Promise<KeyValue>;
  /** Watch every key under the prefix. */
  watch(prefix: string, opts: WatchOptions, handlers: WatchHandlers): Watcher;
  /** Forget history before `revision` (current values are kept). */
  compact(revision: number): Promise<void>;
  /** The latest revision written. */
  currentRevision(): Promise<number>;
  /** The oldest revision still readable / watchable. */
  compactedRevision(): Promise<number>;
  close(): Promise<void>;
}

export class StoreError extends Error {}
export class KeyExistsError extends StoreError {
  constructor(readonly key: string) { super(`key exists: ${key}`); }
}
export class NotFoundError extends StoreError {
  constructor(readonly key: string) { super(`key not found: ${key}`); }
}
export class ConflictError extends StoreError {
  constructor(readonly key: string, readonly current?: KeyValue) { super(`revision conflict on ${key}`); }
}
export class CompactedError extends StoreError {
  constructor(readonly requested: number, readonly compacted: number) {
    super(`required revision ${requested} has been compacted (oldest available ${compacted})`);
  }
}
