/**
 * Adapts the storage layer to the ResourceWatchCache the REST layer uses.
 * TEMPORARY: direct pass-through to the store until the shared watch cache is wired in.
 */
import type { Store } from '../../storage/store.js';
import type { ResourceWatchCache } from './cache.js';

export function createResourceCache(store: Store, prefix: string): ResourceWatchCache & { close(): void; ready: Promise<void> } {
  let rev = 0;
  return {
    ready: Promise.resolve(),
    async listAtLeast(minRevision) {
      const r = await store.list(prefix, {});
      rev = Math.max(rev, r.revision);
      void minRevision;
      return { items: r.items, revision: r.revision };
    },
    watch(afterRevision, handlers) {
      return store.watch(prefix, { afterRevision }, { onEvents: handlers.onEvents, onError: handlers.onError });
    },
    revision: () => rev,
    close() {},
  };
}
