/**
 * Informers as client-go builds them: a reflector lists a resource, then watches from the list's
 * resourceVersion (with bookmarks), keeping a local store keyed `namespace/name` with indexes and
 * calling event handlers in event order.
 *
 * - A watch that ends (server timeout, disconnect) is re-opened from the last resourceVersion seen.
 * - 410 Gone / "too old resource version" (as an answer or an ERROR event) triggers a fresh list;
 *   objects missing from it are reported to `onDelete` as `DeletedFinalStateUnknown` tombstones.
 * - Other failures back off (0.8 s doubling to 30 s) and list again.
 *
 * Objects in the store are shared with every handler: never modify them; clone first.
 */
import { setMaxListeners } from 'node:events';
import type { KubeObject } from '../apimachinery/object.js';
import type { GroupVersionResource, RestClient, WatchEvent } from './rest-client.js';
import { gvrKey, isResourceExpired, statusErrorFromStatus } from './rest-client.js';
import type { Logger } from './logger.js';
import { errorText, silentLogger } from './logger.js';

/** The last known state of an object deleted while the informer was not watching. */
export class DeletedFinalStateUnknown<T extends KubeObject = KubeObject> {
  constructor(readonly key: string, readonly obj: T) {}
}

export type IndexFunc<T extends KubeObject = KubeObject> = (obj: T) => string[];

export const NAMESPACE_INDEX = 'namespace';

export function namespaceIndexFunc(obj: KubeObject): string[] {
  return [obj.metadata.namespace ?? ''];
}

/** `namespace/name`, or `name` for cluster-scoped objects. */
export function metaNamespaceKey(obj: KubeObject | DeletedFinalStateUnknown): string {
  if (obj instanceof DeletedFinalStateUnknown) return obj.key;
  const ns = obj.metadata.namespace;
  return ns ? `${ns}/${obj.metadata.name ?? ''}` : (obj.metadata.name ?? '');
}

export function splitMetaNamespaceKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export interface EventHandlers<T extends KubeObject = KubeObject> {
  onAdd?(obj: T, isInInitialList: boolean): void;
  /** Also called on resync with `oldObj === newObj`'s resourceVersion unchanged. */
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T | DeletedFinalStateUnknown<T>): void;
}

export interface Indexer<T extends KubeObject = KubeObject> {
  get(key: string): T | undefined;
  list(): T[];
  listKeys(): string[];
  byIndex(indexName: string, value: string): T[];
  indexKeys(indexName: string, value: string): string[];
}

export interface Informer<T extends KubeObject = KubeObject> {
  readonly gvr: GroupVersionResource;
  readonly store: Indexer<T>;
  /**
   * Registers handlers; when the informer has already listed, `onAdd` is replayed for every
   * object in the store. Returns a function removing them.
   */
  addEventHandler(handlers: EventHandlers<T>): () => void;
  /** Adds indexers (before `run`, or re-indexes the current contents). */
  addIndexers(indexers: Record<string, IndexFunc<T>>): void;
  /** Starts the reflector (idempotent). */
  run(): void;
  hasSynced(): boolean;
  /** Resolves true once synced, false when stopped or the signal aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean>;
  lastSyncResourceVersion(): string;
  stop(): void;
  stopped(): boolean;
}

export interface InformerOptions<T extends KubeObject = KubeObject> {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Calls `onUpdate(obj, obj)` for every object this often; 0/undefined disables. */
  resyncMs?: number;
  indexers?: Record<string, IndexFunc<T>>;
  /** Watch PartialObjectMetadata only (the garbage collector's shape). */
  metadataOnly?: boolean;
  /** Page size for lists; default 500 (lists with resourceVersion "0" are served whole). */
  pageSize?: number;
  logger?: Logger;
}

const MIN_BACKOFF_MS = 800;
const MAX_BACKOFF_MS = 30_000;
const MIN_WATCH_TIMEOUT_S = 300;

function createIndexer<T extends KubeObject>(): Indexer<T> & {
  items: Map<string, T>;
  indexers: Map<string, IndexFunc<T>>;
  indices: Map<string, Map<string, Set<string>>>;
  put(key: string, obj: T): T | undefined;
  remove(key: string): T | undefined;
  addIndexers(ix: Record<string, IndexFunc<T>>): void;
} {
  const items = new Map<string, T>();
  const indexers = new Map<string, IndexFunc<T>>();
  const indices = new Map<string, Map<string, Set<string>>>();

  const unindex = (key: string, obj: T): void => {
    for (const [name, fn] of indexers) {
      const idx = indices.get(name);
      if (!idx) continue;
      for (const v of fn(obj)) {
        const set = idx.get(v);
        set?.delete(key);
        if (set && set.size === 0) idx.delete(v);
      }
    }
  };
  const index = (key: string, obj: T, only?: string): void => {
    for (const [name, fn] of indexers) {
      if (only && name !== only) continue;
      let idx = indices.get(name);
      if (!idx) indices.set(name, (idx = new Map()));
      for (const v of fn(obj)) {
        let set = idx.get(v);
        if (!set) idx.set(v, (set = new Set()));
        set.add(key);
      }
    }
  };
  const indexKeys = (indexName: string, value: string): string[] => {
    if (!indexers.has(indexName)) throw new Error(`index ${indexName} does not exist`);
    return [...(indices.get(indexName)?.get(value) ?? [])];
  };

  return {
    items, indexers, indices,
    get: (key) => items.get(key),
    list: () => [...items.values()],
    listKeys: () => [...items.keys()],
    indexKeys,
    byIndex(indexName, value) {
      const out: T[] = [];
      for (const k of indexKeys(indexName, value)) {
        const o = items.get(k);
        if (o) out.push(o);
      }
      return out;
    },
    put(key, obj) {
      const old = items.get(key);
      if (old) unindex(key, old);
      items.set(key, obj);
      index(key, obj);
      return old;
    },
    remove(key) {
      const old = items.get(key);
      if (!old) return undefined;
      unindex(key, old);
      items.delete(key);
      return old;
    },
    addIndexers(ix) {
      for (const [name, fn] of Object.entries(ix)) {
        if (indexers.has(name)) throw new Error(`indexer ${name} already exists`);
        indexers.set(name, fn);
        for (const [k, o] of items) index(k, o, name);
      }
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

class ExpiredError extends Error {}

export function createInformer<T extends KubeObject = KubeObject>(
  client: RestClient, gvr: GroupVersionResource, opts: InformerOptions<T> = {},
): Informer<T> {
  const logger = opts.logger ?? silentLogger;
  const store = createIndexer<T>();
  store.addIndexers({ [NAMESPACE_INDEX]: namespaceIndexFunc, ...(opts.indexers ?? {}) });
  const handlers = new Set<EventHandlers<T>>();
  const abort = new AbortController();
  // Every controller sharing this informer waits for its sync on this signal.
  setMaxListeners(0, abort.signal);
  let started = false;
  let synced = false;
  let lastRv = '';
  const syncWaiters = new Set<() => void>();
  let resyncTimer: ReturnType<typeof setInterval> | undefined;

  const dispatch = (fn: (h: EventHandlers<T>) => void): void => {
    for (const h of handlers) {
      try {
        fn(h);
      } catch (err) {
        logger.error({ resource: gvrKey(gvr), err: errorText(err) }, 'informer event handler failed');
      }
    }
  };

  const upsert = (obj: T, initial: boolean): void => {
    const key = metaNamespaceKey(obj);
    const old = store.put(key, obj);
    if (old) dispatch((h) => h.onUpdate?.(old, obj));
    else dispatch((h) => h.onAdd?.(obj, initial));
  };

  const remove = (obj: T): void => {
    const key = metaNamespaceKey(obj);
    store.remove(key);
    // Reported with the state the watch carried, even for an object never seen (as upstream).
    dispatch((h) => h.onDelete?.(obj));
  };

  /** Replaces the store with a fresh list: adds/updates, then tombstones for vanished keys. */
  const replace = (items: T[], initial: boolean): void => {
    const seen = new Set<string>();
    for (const obj of items) {
      seen.add(metaNamespaceKey(obj));
      upsert(obj, initial);
    }
    for (const key of store.listKeys()) {
      if (seen.has(key)) continue;
      const old = store.remove(key);
      if (old) dispatch((h) => h.onDelete?.(new DeletedFinalStateUnknown(key, old)));
    }
  };

  const markSynced = (): void => {
    if (synced) return;
    synced = true;
    for (const w of syncWaiters) w();
    syncWaiters.clear();
  };

  async function list(resourceVersion: string): Promise<{ items: T[]; resourceVersion: string }> {
    const items: T[] = [];
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await client.list<T>(gvr, {
        namespace: opts.namespace, labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector,
        metadataOnly: opts.metadataOnly, signal: abort.signal,
        // rv "0" is served from the watch cache whole; paging needs a consistent (rv "") list.
        resourceVersion: cont ? undefined : resourceVersion || undefined,
        limit: resourceVersion === '0' ? undefined : (opts.pageSize ?? 500), continue: cont,
      });
      for (const item of page.items ?? []) items.push(item);
      rv = page.metadata?.resourceVersion ?? rv;
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return { items, resourceVersion: rv };
  }

  /** Watches from `lastRv` until the stream ends; throws ExpiredError when a relist is needed. */
  async function watchOnce(): Promise<void> {
    const timeoutSeconds = Math.floor(MIN_WATCH_TIMEOUT_S * (1 + Math.random()));
    const events = client.watch<T>(gvr, {
      namespace: opts.namespace, labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector,
      resourceVersion: lastRv, allowWatchBookmarks: true, timeoutSeconds, metadataOnly: opts.metadataOnly,
      signal: abort.signal,
    });
    try {
      for await (const ev of events as AsyncIterable<WatchEvent<T>>) {
        if (abort.signal.aborted) return;
        if (ev.type === 'ERROR') {
          const err = statusErrorFromStatus(ev.object);
          if (isResourceExpired(err)) throw new ExpiredError(err.message);
          throw err;
        }
        const obj = ev.object;
        const rv = obj.metadata?.resourceVersion;
        if (ev.type === 'BOOKMARK') {
          if (rv) lastRv = rv;
          continue;
        }
        if (ev.type === 'DELETED') remove(obj);
        else upsert(obj, false);
        if (rv) lastRv = rv;
      }
    } catch (err) {
      if (isResourceExpired(err)) throw new ExpiredError(errorText(err));
      throw err;
    }
  }

  async function runReflector(): Promise<void> {
    let backoff = MIN_BACKOFF_MS;
    // First list from the cache (rv "0"); after 410 Gone, a consistent list (rv "").
    let listRv = '0';
    while (!abort.signal.aborted) {
      try {
        const listed = await list(listRv);
        if (abort.signal.aborted) return;
        replace(listed.items, !synced);
        lastRv = listed.resourceVersion;
        markSynced();
        backoff = MIN_BACKOFF_MS;
        for (;;) {
          if (abort.signal.aborted) return;
          const watchStart = Date.now();
          await watchOnce();
          // A stream closed right away (e.g. the server going down) should not spin.
          if (Date.now() - watchStart < 1000) await sleep(Math.min(backoff, 1000), abort.signal);
        }
      } catch (err) {
        if (abort.signal.aborted) return;
        if (err instanceof ExpiredError) {
          logger.debug({ resource: gvrKey(gvr), err: err.message }, 'watch expired; listing again');
          listRv = '';
          continue;
        }
        logger.debug({ resource: gvrKey(gvr), err: errorText(err) }, 'list/watch failed; retrying');
        listRv = lastRv || '0';
        await sleep(backoff * (1 + Math.random() * 0.2), abort.signal);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  const informer: Informer<T> = {
    gvr,
    store,
    addEventHandler(h) {
      handlers.add(h);
      if (synced) {
        for (const obj of store.list()) {
          try {
            h.onAdd?.(obj, false);
          } catch (err) {
            logger.error({ resource: gvrKey(gvr), err: errorText(err) }, 'informer event handler failed');
          }
        }
      }
      return () => {
        handlers.delete(h);
      };
    },
    addIndexers(ix) {
      store.addIndexers(ix);
    },
    run() {
      if (started || abort.signal.aborted) return;
      started = true;
      void runReflector();
      if (opts.resyncMs && opts.resyncMs > 0) {
        resyncTimer = setInterval(() => {
          if (!synced) return;
          for (const obj of store.list()) dispatch((h) => h.onUpdate?.(obj, obj));
        }, opts.resyncMs);
        resyncTimer.unref?.();
      }
    },
    hasSynced: () => synced,
    waitForSync(signal) {
      if (synced) return Promise.resolve(true);
      if (abort.signal.aborted || signal?.aborted) return Promise.resolve(false);
      return new Promise((resolve) => {
        const finish = (v: boolean): void => {
          syncWaiters.delete(ok);
          signal?.removeEventListener('abort', no);
          abort.signal.removeEventListener('abort', no);
          resolve(v);
        };
        const ok = (): void => finish(true);
        const no = (): void => finish(false);
        syncWaiters.add(ok);
        signal?.addEventListener('abort', no, { once: true });
        abort.signal.addEventListener('abort', no, { once: true });
      });
    },
    lastSyncResourceVersion: () => lastRv,
    stop() {
      abort.abort();
      if (resyncTimer) clearInterval(resyncTimer);
    },
    stopped: () => abort.signal.aborted,
  };
  return informer;
}

export interface SharedInformerFactory {
  /** The one informer for this resource (created on first use, started by `start()`). */
  informerFor<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, opts?: { metadataOnly?: boolean }): Informer<T>;
  /** Starts every informer not yet running (call again after adding informers). */
  start(): void;
  /** Resolves true once every started informer has synced. */
  waitForCacheSync(signal?: AbortSignal): Promise<boolean>;
  /** Stops one informer and forgets it (e.g. a resource that disappeared from discovery). */
  forget(gvr: GroupVersionResource, opts?: { metadataOnly?: boolean }): void;
  stop(): void;
}

export function createSharedInformerFactory(
  client: RestClient, opts: { namespace?: string; resyncMs?: number; logger?: Logger } = {},
): SharedInformerFactory {
  const informers = new Map<string, Informer>();
  let stopped = false;
  const keyOf = (gvr: GroupVersionResource, metadataOnly?: boolean): string => `${gvrKey(gvr)}${metadataOnly ? '#metadata' : ''}`;
  return {
    informerFor<T extends KubeObject>(gvr: GroupVersionResource, o: { metadataOnly?: boolean } = {}): Informer<T> {
      const key = keyOf(gvr, o.metadataOnly);
      let inf = informers.get(key);
      if (!inf) {
        inf = createInformer(client, gvr, {
          namespace: opts.namespace, resyncMs: opts.resyncMs, metadataOnly: o.metadataOnly, logger: opts.logger,
        });
        informers.set(key, inf);
      }
      return inf as unknown as Informer<T>;
    },
    start() {
      if (stopped) return;
      for (const inf of informers.values()) inf.run();
    },
    async waitForCacheSync(signal) {
      const results = await Promise.all([...informers.values()].map((i) => i.waitForSync(signal)));
      return results.every(Boolean);
    },
    forget(gvr, o = {}) {
      const key = keyOf(gvr, o.metadataOnly);
      informers.get(key)?.stop();
      informers.delete(key);
    },
    stop() {
      stopped = true;
      for (const inf of informers.values()) inf.stop();
    },
  };
}
