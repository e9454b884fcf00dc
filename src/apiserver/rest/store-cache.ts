/** Adapts the storage layer's watch cache to the ResourceWatchCache the REST layer uses. */
import { StatusError } from '../../apimachinery/errors.js';
import type { Store } from '../../storage/store.js';
import { createWatchCache, TooLargeRevisionError } from '../../storage/watch-cache.js';
import type { ResourceWatchCache } from './cache.js';

export function createResourceCache(store: Store, prefix: string): ResourceWatchCache & { close(): void; ready: Promise<void> } {
  const cache = createWatchCache(store, prefix);
  return {
    ready: cache.ready,
    async listAtLeast(minRevision) {
      try {
        const r = await cache.list({ revision: minRevision });
        return { items: r.items, revision: r.revision };
      } catch (e) {
        if (e instanceof TooLargeRevisionError) {
          throw new StatusError(504, 'Timeout', `Too large resource version: ${e.requested}, current: ${e.current}`, {
            causes: [{ type: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1,
          });
        }
        throw e;
      }
    },
    watch(afterRevision, handlers) {
      // Older than the cache's buffer (e.g. a client resuming after a server restart): the store
      // still has that history until compaction, so serve it from there (410 once compacted).
      if (afterRevision > 0 && afterRevision < cache.oldestWatchableRevision()) {
        return store.watch(prefix, { afterRevision }, { onEvents: handlers.onEvents, onError: handlers.onError });
      }
      return cache.watch(afterRevision, handlers);
    },
    get: (key) => cache.get(key),
    revision: () => cache.currentRevision(),
    close: () => cache.close(),
  };
}
