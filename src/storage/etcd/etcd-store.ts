/**
 * etcd v3 backend. Revisions are etcd's own; guarded writes are single transactions comparing
 * create_revision (create) or mod_revision (update, guarded delete), so they are safe against
 * any number of API servers sharing the cluster.
 */

import { Etcd3, Range } from 'etcd3';
import type { IKeyValue, IRangeResponse, IResponseOp, IWatchResponse, Watcher as EtcdWatcher } from 'etcd3';
import {
  CompactedError, ConflictError, KeyExistsError, NotFoundError, StoreError,
} from '../store.js';
import type {
  KeyValue, ListOptions, ListResult, Store, WatchEvent, WatchHandlers, WatchOptions, Watcher,
} from '../store.js';
import { createWatchQueue } from '../watch-queue.js';

export interface EtcdStoreOptions {
  /** Client URLs such as `http://127.0.0.1:2379`. */
  endpoints: string[];
}

const ALL = Buffer.from([0]);

/** The etcd range covering every key that starts with `prefix`. */
function prefixRange(prefix: string): { key: Buffer; end: Buffer } {
  const key = Buffer.from(prefix);
  if (key.length === 0) return { key: ALL, end: ALL };
  const end = Buffer.from(key);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return { key, end: end.subarray(0, i + 1) };
    }
  }
  return { key, end: ALL };
}

function toKv(kv: IKeyValue): KeyValue {
  return {
    key: kv.key.toString(),
    value: kv.value.toString(),
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
  };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isCompacted(err: unknown): boolean {
  return /required revision has been compacted/.test(message(err));
}

function isFuture(err: unknown): boolean {
  return /required revision is a future revision/.test(message(err));
}

function firstRange(responses: IResponseOp[]): IRangeResponse | undefined {
  return responses[0]?.response_range;
}

export function createEtcdStore(opts: EtcdStoreOptions): Store {
  const client = new Etcd3({
    hosts: opts.endpoints,
    // A full list of a large resource easily exceeds gRPC's 4 MiB default (kube-apiserver lifts it too).
    grpcOptions: { 'grpc.max_receive_message_length': 2 ** 31 - 1 },
  });
  /** Compacted revision as far as this process knows (raised by our compactions and by lookups). */
  let knownCompacted = 0;
  const open = new Set<Watcher>();

  async function compactedRevision(): Promise<number> {
    try {
      const res = await client.maintenance.hashKV({ revision: 0 });
      knownCompacted = Math.max(knownCompacted, Number(res.compact_revision));
    } catch {
      // keep the last known value
    }
    return knownCompacted;
  }

  /** Translates etcd read errors; returns the error to throw. */
  async function readError(err: unknown, requested: number): Promise<Error> {
    if (isCompacted(err)) return new CompactedError(requested, await compactedRevision());
    if (isFuture(err)) return new StoreError(`required revision ${requested} is a future revision`, { cause: err });
    return err instanceof Error ? err : new StoreError(message(err));
  }

  async function range(req: Parameters<typeof client.kv.range>[0], requested: number): Promise<IRangeResponse> {
    try {
      return await client.kv.range(req);
    } catch (err) {
      throw await readError(err, requested);
    }
  }

  const store: Store = {
    async create(key, value) {
      const k = Buffer.from(key);
      const res = await client.kv.txn({
        compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }],
        success: [{ request_put: { key: k, value: Buffer.from(value) } }],
        failure: [],
      });
      if (!res.succeeded) throw new KeyExistsError(key);
      const rev = Number(res.header.revision);
      return { key, value, createRevision: rev, modRevision: rev };
    },

    async update(key, value, expectedModRevision) {
      const k = Buffer.from(key);
      const res = await client.kv.txn({
        compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expectedModRevision }],
        success: [{ request_put: { key: k, value: Buffer.from(value), prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      });
      if (!res.succeeded) {
        const cur = firstRange(res.responses)?.kvs[0];
        if (!cur) throw new NotFoundError(key);
        throw new ConflictError(key, toKv(cur));
      }
      const prev = res.responses[0]?.response_put?.prev_kv;
      const rev = Number(res.header.revision);
      if (!prev) {
        // The guard matched a key that existed; prev_kv is always present then.
        throw new StoreError(`update of ${key} returned no previous value`);
      }
      return { key, value, createRevision: Number(prev.create_revision), modRevision: rev };
    },

    async delete(key, expectedModRevision) {
      const k = Buffer.from(key);
      const compare = expectedModRevision === undefined
        ? [{ key: k, target: 'Create' as const, result: 'NotEqual' as const, create_revision: 0 }]
        : [{ key: k, target: 'Mod' as const, result: 'Equal' as const, mod_revision: expectedModRevision }];
      const res = await client.kv.txn({
        compare,
        success: [{ request_delete_range: { key: k, prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      });
      if (!res.succeeded) {
        const cur = firstRange(res.responses)?.kvs[0];
        if (!cur) throw new NotFoundError(key);
        throw new ConflictError(key, toKv(cur));
      }
      const prev = res.responses[0]?.response_delete_range?.prev_kvs[0];
      if (!prev) throw new NotFoundError(key);
      return { ...toKv(prev), modRevision: Number(res.header.revision) };
    },

    async get(key, o) {
      const res = await range({ key: Buffer.from(key), revision: o?.revision || 0 }, o?.revision ?? 0);
      const kv = res.kvs[0];
      return kv ? toKv(kv) : undefined;
    },

    async list(prefix: string, o?: ListOptions): Promise<ListResult> {
      const { key, end } = prefixRange(prefix);
      const start = o?.startKey && o.startKey > prefix ? Buffer.from(o.startKey) : key;
      const limit = o?.limit && o.limit > 0 ? o.limit : 0;
      const res = await range({ key: start, range_end: end, limit, revision: o?.revision || 0 }, o?.revision ?? 0);
      const items = res.kvs.map(toKv);
      const more = limit > 0 && res.more;
      const out: ListResult = { items, revision: o?.revision || Number(res.header.revision), more };
      if (more) out.remaining = Number(res.count) - items.length;
      return out;
    },

    async count(prefix) {
      const { key, end } = prefixRange(prefix);
      const res = await range({ key, range_end: end, count_only: true }, 0);
      return { count: Number(res.count), revision: Number(res.header.revision) };
    },

    watch(prefix: string, o: WatchOptions, handlers: WatchHandlers): Watcher {
      let ew: EtcdWatcher | undefined;
      // Cancelling a watch etcd already cancelled makes the client throw on the stray reply.
      let ended = false;
      const queue = createWatchQueue(handlers, () => {
        open.delete(watcher);
        if (!ended) void ew?.cancel().catch(() => undefined);
        ended = true;
      });
      const watcher: Watcher = { close: () => queue.close() };
      open.add(watcher);
      if (o.signal?.aborted) { queue.close(); return watcher; }
      o.signal?.addEventListener('abort', () => queue.close(), { once: true });

      let last = Math.max(0, o.afterRevision);
      const { key, end } = prefixRange(prefix);
      ew = client.watch().inRange(new Range(key, end)).withPreviousKV().startRevision(String(last + 1)).watcher();
      const self = ew;
      ew.on('data', (res: IWatchResponse) => {
        const out: WatchEvent[] = [];
        for (const e of res.events) {
          const rev = Number(e.kv.mod_revision);
          if (rev <= last) continue; // already delivered before a reconnect
          const prevKv = e.prev_kv ? toKv(e.prev_kv) : undefined;
          if (e.type === 'Delete') {
            const kv: KeyValue = prevKv
              ? { ...prevKv, modRevision: rev }
              : { key: e.kv.key.toString(), value: '', createRevision: 0, modRevision: rev };
            out.push(prevKv ? { type: 'delete', kv, prevKv, revision: rev } : { type: 'delete', kv, revision: rev });
          } else {
            const kv = toKv(e.kv);
            const created = kv.createRevision === kv.modRevision;
            const ev: WatchEvent = { type: created ? 'create' : 'update', kv, revision: rev };
            if (!created && prevKv) ev.prevKv = prevKv;
            out.push(ev);
          }
          last = rev;
        }
        queue.push(out);
      });
      // The client resumes after a broken stream from the last header revision it saw, which can
      // skip events of a replay that was cut off; resume from what we actually delivered instead.
      ew.on('disconnected', () => { self.request.start_revision = String(last + 1); });
      ew.on('end', () => { ended = true; });
      ew.on('error', (err: Error) => {
        ended = true;
        // etcd 3.4 cancels a watch whose start is compacted with an empty reason (the compact
        // revision is in the response, which the client does not pass on): ask for it.
        void compactedRevision().then((c) => {
          queue.fail(isCompacted(err) || last + 1 < c ? new CompactedError(last, c) : err);
        });
      });
      return watcher;
    },

    async compact(revision) {
      try {
        await client.kv.compact({ revision, physical: false });
        knownCompacted = Math.max(knownCompacted, revision);
      } catch (err) {
        if (isCompacted(err)) return; // already compacted at or beyond revision
        if (isFuture(err)) throw new StoreError(`required revision ${revision} is a future revision`, { cause: err });
        throw err;
      }
    },

    async currentRevision() {
      const res = await client.kv.range({ key: ALL, limit: 1, count_only: true });
      return Number(res.header.revision);
    },

    compactedRevision,

    async close() {
      for (const w of [...open]) w.close();
      client.close();
    },
  };
  return store;
}
