/** Periodic compaction of any Store, as kine and kube-apiserver do (every 5 minutes by default). */

import type { Store } from './store.js';

export interface CompactorOptions {
  /** How often to compact (default 5 minutes). */
  intervalMs?: number;
  /** How many recent revisions to keep (default 1000). */
  retainRevisions?: number;
  /** Called when a compaction fails (default: logged). */
  onError?(err: Error): void;
}

/**
 * Periodically compacts `store`, keeping the newest `retainRevisions` revisions. Live watchers are
 * unaffected: they are fed from memory, past the compacted revision. Works with any Store.
 */
export function startCompactor(store: Store, opts: CompactorOptions = {}): { stop(): void } {
  const interval = opts.intervalMs ?? 5 * 60_000;
  const retain = opts.retainRevisions ?? 1000;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void (async () => {
      try {
        const target = (await store.currentRevision()) - retain;
        if (target > (await store.compactedRevision())) await store.compact(target);
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        if (opts.onError) opts.onError(e);
        else console.error('storage: compaction failed', e);
      } finally {
        running = false;
      }
    })();
  }, interval);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
