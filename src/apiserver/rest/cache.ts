/** What the REST layer needs from the watch cache of one resource. */
import type { KeyValue, WatchEvent, Watcher } from '../../storage/store.js';

export interface CacheWatchHandlers {
  onEvents(events: WatchEvent[]): void;
  onError(err: Error): void;
  /** Progress notification: every event up to `revision` has been delivered. */
  onBookmark?(revision: number): void;
}

export interface ResourceWatchCache {
  /** The full current state, at a revision not older than `minRevision` (waits briefly to catch up). */
  listAtLeast(minRevision: number): Promise<{ items: KeyValue[]; revision: number }>;
  /** Events after `afterRevision`; onError(CompactedError) when that is older than the cache holds. */
  watch(afterRevision: number, handlers: CacheWatchHandlers): Watcher;
  /** The cached value of one key (undefined when absent from the cache). */
  get(key: string): Promise<KeyValue | undefined>;
  /** Revision the cache has caught up to. */
  revision(): number;
}
