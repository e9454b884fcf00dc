/**
 * The API server's watch cache for one resource prefix (e.g. `/registry/pods/`): one store list +
 * watch feeds an in-memory copy of the current objects and a ring buffer of recent events, from
 * which any number of API watches and "recent state" lists are served.
 *
 * What it serves (the API server picks the path):
 * - list with revision 0/undefined: whatever the cache holds now (resourceVersion="0");
 * - list with revision R > 0: waits until the cache has seen R (resourceVersionMatch=NotOlderThan),
 *   falling back to a store read when the cache has nothing to wait for under its prefix;
 * - watch after revision R: replays buffered events newer than R, then continues live; R older
 *   than the buffer gives onError(CompactedError), which the API turns into 410 Gone.
 * Exact-revision lists and continue-token pagination are the store's job.
 */

import { CompactedError, StoreError } from './store.js';
import type { KeyValue, ListResult, Store, WatchEvent, WatchHandlers, Watcher } from './store.js';
import { createWatchQueue, prefixEnd } from './watch-queue.js';
import type { WatchQueue } from './watch-queue.js';

export interface WatchCacheOptions {
  /** Events kept for replay (default 10,000). */
  capacity?: number;
  /**
   * Events younger than this are kept even past `capacity` (up to 10 × capacity), so a burst does
   * not push out what a briefly disconnected client still needs (default 75 s, as upstream).
   */
  windowMs?: number;
  /** How long a list at a newer revision waits for the cache (default 3 s, as upstream). */
  waitTimeoutMs?: number;
  /** Once the store is known to be at the wanted revision, how long to wait before reading it from the store instead (default 100 ms). */
  catchUpGraceMs?: number;
  /** Default interval between bookmarks to idle watchers (default 1 s). */
  bookmarkIntervalMs?: number;
  /** Delay before re-watching / re-listing after a store watch failure (default 200 ms). */
  retryDelayMs?: number;
}

export interface CacheListOptions {
  /** A sub-prefix of the cache's prefix (e.g. one namespace); default the whole cache. */
  prefix?: string;
  /** 0/undefined: any recent state; R > 0: state at least as new as R. */
  revision?: number;
  startKey?: string;
  limit?: number;
  signal?: AbortSignal;
}

export interface CacheWatchOptions {
  /** A sub-prefix of the cache's prefix. */
  prefix?: string;
  signal?: AbortSignal;
  /** Interval between bookmarks when no event was sent (only with `onBookmark`). */
  bookmarkIntervalMs?: number;
}

export interface CacheWatchHandlers extends WatchHandlers {
  /** Called when idle: every event up to `revision` has been delivered. Enables bookmarks. */
  onBookmark?(revision: number): void;
}

export interface WatchCache {
  readonly prefix: string;
  /** Resolves once the initial list is loaded. */
  readonly ready: Promise<void>;
  /** Revision of the newest state the cache holds. */
  currentRevision(): number;
  /** Oldest `afterRevision` a watch may start from. */
  oldestWatchableRevision(): number;
  get(key: string, opts?: { revision?: number; signal?: AbortSignal }): Promise<KeyValue | undefined>;
  list(opts?: CacheListOptions): Promise<ListResult>;
  /**
   * Watch after `afterRevision`. 0 means "from any recent state": the current objects arrive first
   * as synthetic create events (each with its own modRevision), then live events.
   */
  watch(afterRevision: number, handlers: CacheWatchHandlers, opts?: CacheWatchOptions): Watcher;
  close(): void;
}

/** A list asked for a revision the store has not reached (API: 504 "Too large resource version"). */
export class TooLargeRevisionError extends StoreError {
  constructor(readonly requested: number, readonly current: number) {
    super(`Too large resource version: ${requested}, current: ${current}`);
  }
}

interface CacheWatcher {
  start: string;
  end: string;
  /** Events at or below this revision are not for this watcher. */
  minRev: number;
  queue: WatchQueue;
  sentSinceTick: boolean;
  timer?: ReturnType<typeof setInterval>;
}

interface Waiter {
  revision: number;
  resolve(): void;
}

const KEY_MAX = '\u{10FFFF}\u{10FFFF}';

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

/** Index of the first element of sorted `arr` that is >= `key`. */
function lowerBound(arr: string[], key: string): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid] < key) lo = mid + 1; else hi = mid;
  }
  return lo;
}

export function createWatchCache(store: Store, prefix: string, opts: WatchCacheOptions = {}): WatchCache {
  const capacity = opts.capacity ?? 10_000;
  const windowMs = opts.windowMs ?? 75_000;
  const waitTimeoutMs = opts.waitTimeoutMs ?? 3000;
  const graceMs = opts.catchUpGraceMs ?? 100;
  const defaultBookmarkMs = opts.bookmarkIntervalMs ?? 1000;
  const retryDelayMs = opts.retryDelayMs ?? 200;
  const end = prefixEnd(prefix) || KEY_MAX;

  const items = new Map<string, KeyValue>();
  let keys: string[] = [];
  let rev = 0;
  /** Buffer: events[head..] with their arrival times; startRev = oldest watchable afterRevision. */
  let events: WatchEvent[] = [];
  let times: number[] = [];
  let head = 0;
  let startRev = 0;
  const watchers = new Set<CacheWatcher>();
  let waiters: Waiter[] = [];
  let storeWatch: Watcher | undefined;
  let closed = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  let markReady: () => void = () => undefined;
  let failReady: (err: Error) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => { markReady = resolve; failReady = reject; });
  ready.catch(() => undefined);
  let isReady = false;

  function setItem(kv: KeyValue): void {
    if (!items.has(kv.key)) keys.splice(lowerBound(keys, kv.key), 0, kv.key);
    items.set(kv.key, kv);
  }
  function removeItem(key: string): void {
    if (!items.delete(key)) return;
    const i = lowerBound(keys, key);
    if (keys[i] === key) keys.splice(i, 1);
  }

  function evict(now: number): void {
    const hardMax = capacity * 10;
    while (events.length - head > capacity) {
      const oldestAge = now - times[head];
      if (oldestAge < windowMs && events.length - head <= hardMax) break;
      startRev = events[head].revision;
      head++;
    }
    if (head > 1024 && head * 2 > events.length) {
      events = events.slice(head);
      times = times.slice(head);
      head = 0;
    }
  }

  function applyEvents(batch: WatchEvent[]): void {
    if (closed) return;
    const now = Date.now();
    const fresh: WatchEvent[] = [];
    for (const e of batch) {
      if (e.revision <= rev) continue;
      if (e.type === 'delete') removeItem(e.kv.key); else setItem(e.kv);
      rev = e.revision;
      events.push(e);
      times.push(now);
      fresh.push(e);
    }
    if (fresh.length === 0) return;
    evict(now);
    for (const w of watchers) deliver(w, fresh);
    if (waiters.length > 0) {
      const still: Waiter[] = [];
      for (const wt of waiters) if (wt.revision <= rev) wt.resolve(); else still.push(wt);
      waiters = still;
    }
  }

  function deliver(w: CacheWatcher, batch: WatchEvent[]): void {
    let mine: WatchEvent[] | undefined;
    for (const e of batch) {
      if (e.revision > w.minRev && e.kv.key >= w.start && e.kv.key < w.end) (mine ??= []).push(e);
    }
    if (mine) {
      w.queue.push(mine);
      w.sentSinceTick = true;
    }
  }

  async function load(): Promise<void> {
    const res = await store.list(prefix);
    if (closed) return;
    items.clear();
    keys = [];
    for (const kv of res.items) {
      items.set(kv.key, kv);
      keys.push(kv.key);
    }
    keys.sort();
    rev = res.revision;
    events = [];
    times = [];
    head = 0;
    startRev = res.revision;
    startWatch();
    if (!isReady) {
      isReady = true;
      markReady();
    }
    const still: Waiter[] = [];
    for (const wt of waiters) if (wt.revision <= rev) wt.resolve(); else still.push(wt);
    waiters = still;
  }

  function startWatch(): void {
    storeWatch?.close();
    const w = store.watch(prefix, { afterRevision: rev }, {
      onEvents: (batch) => { if (storeWatch === w) applyEvents(batch); },
      onError: (err) => {
        if (closed || storeWatch !== w) return;
        storeWatch = undefined;
        w.close();
        if (err instanceof CompactedError) {
          // History we never saw is gone: every watcher may have missed events; they must re-list.
          for (const cw of [...watchers]) cw.queue.fail(new CompactedError(cw.minRev, err.compacted));
          schedule(relist);
        } else {
          schedule(startWatch);
        }
      },
    });
    storeWatch = w;
  }

  function relist(): void {
    // On failure keep trying; callers wait on `ready` (or keep being served the old state).
    load().catch(() => schedule(relist));
  }

  function schedule(fn: () => void): void {
    if (closed) return;
    clearTimeout(retryTimer);
    retryTimer = setTimeout(fn, retryDelayMs);
    retryTimer.unref?.();
  }

  load().catch((err: unknown) => {
    if (closed) {
      failReady(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    schedule(relist);
  });

  /** Resolves when the cache has reached `revision`, or false after `ms`. */
  function waitFor(revision: number, ms: number, signal?: AbortSignal): Promise<boolean> {
    if (rev >= revision) return Promise.resolve(true);
    return new Promise<boolean>((resolve, reject) => {
      const waiter: Waiter = {
        revision,
        resolve: () => { cleanup(); resolve(true); },
      };
      const timer = setTimeout(() => { cleanup(); resolve(false); }, ms);
      const onAbort = (): void => { cleanup(); reject(signal ? abortError(signal) : new Error('aborted')); };
      const cleanup = (): void => {
        clearTimeout(timer);
        waiters = waiters.filter((w) => w !== waiter);
        signal?.removeEventListener('abort', onAbort);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      waiters.push(waiter);
    });
  }

  /**
   * Makes sure the cache is at least at `revision`; returns false when the caller should read the
   * store instead (the store has reached `revision` but nothing under this prefix changed since
   * the cache's revision, so no event will ever bring the cache there).
   */
  async function ensureFresh(revision: number, signal?: AbortSignal): Promise<boolean> {
    await ready;
    if (rev >= revision) return true;
    const deadline = Date.now() + waitTimeoutMs;
    for (;;) {
      const storeRev = await store.currentRevision();
      if (rev >= revision) return true;
      if (storeRev >= revision) {
        return waitFor(revision, graceMs, signal);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new TooLargeRevisionError(revision, storeRev);
      if (await waitFor(revision, Math.min(left, 100), signal)) return true;
    }
  }

  function listFromMemory(o: CacheListOptions): ListResult {
    const lp = o.prefix && o.prefix > prefix ? o.prefix : prefix;
    const lend = o.prefix && o.prefix > prefix ? (prefixEnd(o.prefix) || KEY_MAX) : end;
    const from = o.startKey && o.startKey > lp ? o.startKey : lp;
    const i0 = lowerBound(keys, from);
    const i1 = lowerBound(keys, lend);
    const limit = o.limit && o.limit > 0 ? o.limit : 0;
    const stop = limit ? Math.min(i1, i0 + limit) : i1;
    const out: KeyValue[] = [];
    for (let i = i0; i < stop; i++) {
      const kv = items.get(keys[i]);
      if (kv) out.push(kv);
    }
    const res: ListResult = { items: out, revision: rev, more: stop < i1 };
    if (res.more) res.remaining = i1 - stop;
    return res;
  }

  const cache: WatchCache = {
    prefix,
    ready,

    currentRevision: () => rev,
    oldestWatchableRevision: () => startRev,

    async get(key, o) {
      if (o?.revision && !(await ensureFresh(o.revision, o.signal))) return store.get(key);
      await ready;
      return items.get(key);
    },

    async list(o = {}) {
      if (o.prefix !== undefined && !o.prefix.startsWith(prefix) && !prefix.startsWith(o.prefix)) {
        throw new StoreError(`prefix ${o.prefix} is outside the watch cache for ${prefix}`);
      }
      if (o.revision && !(await ensureFresh(o.revision, o.signal))) {
        const lp = o.prefix && o.prefix > prefix ? o.prefix : prefix;
        return store.list(lp, { startKey: o.startKey, limit: o.limit });
      }
      await ready;
      if (o.signal?.aborted) throw abortError(o.signal);
      return listFromMemory(o);
    },

    watch(afterRevision, handlers, o = {}) {
      const wp = o.prefix && o.prefix > prefix ? o.prefix : prefix;
      const w: CacheWatcher = {
        start: wp,
        end: wp === prefix ? end : (prefixEnd(wp) || KEY_MAX),
        minRev: afterRevision,
        queue: createWatchQueue(handlers, () => {
          watchers.delete(w);
          if (w.timer) clearInterval(w.timer);
        }),
        sentSinceTick: false,
      };
      const watcher: Watcher = { close: () => w.queue.close() };
      if (o.signal?.aborted) { w.queue.close(); return watcher; }
      o.signal?.addEventListener('abort', () => w.queue.close(), { once: true });

      const register = (): void => {
        if (w.queue.closed) return;
        if (closed) { w.queue.fail(new StoreError('watch cache is closed')); return; }
        if (afterRevision === 0) {
          const initial: WatchEvent[] = [];
          for (let i = lowerBound(keys, w.start); i < keys.length && keys[i] < w.end; i++) {
            const kv = items.get(keys[i]);
            if (kv) initial.push({ type: 'create', kv, revision: kv.modRevision });
          }
          w.queue.push(initial);
          w.minRev = rev;
        } else if (afterRevision < startRev) {
          w.queue.fail(new CompactedError(afterRevision, startRev));
          return;
        } else if (afterRevision < rev) {
          // binary search the first buffered event newer than afterRevision
          let lo = head;
          let hi = events.length;
          while (lo < hi) {
            const mid = (lo + hi) >>> 1;
            if (events[mid].revision <= afterRevision) lo = mid + 1; else hi = mid;
          }
          deliver(w, events.slice(lo));
        }
        watchers.add(w);
        if (handlers.onBookmark) {
          const onBookmark = handlers.onBookmark;
          w.timer = setInterval(() => {
            if (w.sentSinceTick) { w.sentSinceTick = false; return; }
            const at = Math.max(rev, w.minRev);
            w.queue.pushMarker(() => onBookmark(at));
          }, o.bookmarkIntervalMs ?? defaultBookmarkMs);
          w.timer.unref?.();
        }
      };
      if (isReady) register();
      else ready.then(register, (err: unknown) => w.queue.fail(err instanceof Error ? err : new Error(String(err))));
      return watcher;
    },

    close() {
      if (closed) return;
      closed = true;
      clearTimeout(retryTimer);
      storeWatch?.close();
      storeWatch = undefined;
      for (const w of [...watchers]) w.queue.close();
      for (const wt of waiters) wt.resolve();
      waiters = [];
      if (!isReady) failReady(new StoreError('watch cache closed before it was ready'));
    },
  };
  return cache;
}
