/**
 * The storage-level baselines each API figure is compared with, measured in the same run:
 * raw engine writes (better-sqlite3 inserts / etcd3 puts) and our Store's writes and lists of the
 * same number of keys with the same value size.
 */
import Database from 'better-sqlite3';
import { Etcd3 } from 'etcd3';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createEtcdStore } from '../src/storage/etcd/etcd-store.js';
import { createSqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import type { Store } from '../src/storage/store.js';
import { startEtcd } from '../test/helpers/etcd.js';
import { onCleanup } from './cleanup.js';
import { makeTempDir } from './processes.js';
import { median } from './stats.js';

export type Backend = 'sqlite' | 'etcd';

export interface StoreBaseline {
  kind: Backend;
  count: number;
  valueBytes: number;
  concurrency: number;
  /**
   * Raw engine writes per second: etcd puts with `concurrency` in flight; SQLite inserts committed
   * `concurrency` rows per transaction (what `concurrency` writers in flight allow at best, since the
   * engine is in-process and synchronous).
   */
  rawWritesPerSec: number;
  /** SQLite only: inserts with one autocommit transaction each. */
  rawAutocommitWritesPerSec?: number;
  /** Our Store's create() per second with `concurrency` writers in flight. */
  storeWritesPerSec: number;
  /** Store.list of all keys under the prefix, median ms (NaN when it failed: see listError). */
  storeListMs: number;
  /** Store.list in pages of 500 (startKey continuation), median ms. */
  storePagedListMs: number;
  listError?: string;
  pagedListError?: string;
}

const PREFIX = '/registry/configmaps/default/';

function value(i: number, size: number): string {
  const head = JSON.stringify({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: `bench-${i}`, namespace: 'default' }, data: {} });
  return head.length >= size ? head : head + ' '.repeat(size - head.length);
}

async function parallel(count: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await op(next++);
  }));
  return count / ((performance.now() - t0) / 1000);
}

/** Inserts `count` rows into a fresh WAL database (synchronous=NORMAL, as our store), `batch` rows per transaction. */
function rawSqlite(file: string, count: number, size: number, batch: number): number {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE kv (name TEXT PRIMARY KEY, value TEXT NOT NULL)');
    const insert = db.prepare<[string, string]>('INSERT INTO kv (name, value) VALUES (?, ?)');
    const values = Array.from({ length: count }, (_, i) => value(i, size));
    const insertBatch = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) insert.run(`${PREFIX}bench-${i}`, values[i]);
    });
    const t0 = performance.now();
    for (let i = 0; i < count; i += batch) {
      if (batch === 1) insert.run(`${PREFIX}bench-${i}`, values[i]);
      else insertBatch(i, Math.min(count, i + batch));
    }
    return count / ((performance.now() - t0) / 1000);
  } finally {
    db.close();
  }
}

async function rawEtcd(endpoint: string, count: number, size: number, concurrency: number): Promise<number> {
  const client = new Etcd3({ hosts: [`http://${endpoint}`] });
  try {
    await parallel(200, concurrency, (i) => client.put(`/warmup/${i}`).value(value(i, size)).exec());
    return await parallel(count, concurrency, (i) => client.put(`/raw${PREFIX}bench-${i}`).value(value(i, size)).exec());
  } finally {
    client.close();
  }
}

type StoreFigures = Pick<StoreBaseline, 'storeWritesPerSec' | 'storeListMs' | 'storePagedListMs' | 'listError' | 'pagedListError'>;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function storeFigures(store: Store, count: number, size: number, concurrency: number): Promise<StoreFigures> {
  const storeWritesPerSec = await parallel(count, concurrency, (i) => store.create(`${PREFIX}bench-${i}`, value(i, size)));
  const full: number[] = [];
  const paged: number[] = [];
  let listError: string | undefined;
  let pagedListError: string | undefined;
  // Pages first: on etcd a full list above gRPC's 4 MiB message limit fails and opens the client's
  // circuit breaker, which would fail everything after it.
  for (let r = 0; r < 3; r++) {
    try {
      const t0 = performance.now();
      const revision = await store.currentRevision();
      let startKey: string | undefined;
      let seen = 0;
      for (;;) {
        const page = await store.list(PREFIX, { limit: 500, startKey, revision });
        seen += page.items.length;
        if (!page.more) break;
        startKey = page.items[page.items.length - 1].key + '\0';
      }
      paged.push(performance.now() - t0);
      if (seen !== count) throw new Error(`store paged list returned ${seen} of ${count}`);
    } catch (err) {
      pagedListError = errorText(err);
    }
  }
  for (let r = 0; r < 3 && !listError; r++) {
    try {
      const t0 = performance.now();
      const all = await store.list(PREFIX);
      full.push(performance.now() - t0);
      if (all.items.length !== count) throw new Error(`store list returned ${all.items.length} of ${count}`);
    } catch (err) {
      listError = errorText(err);
    }
  }
  return { storeWritesPerSec, storeListMs: median(full), storePagedListMs: median(paged), listError, pagedListError };
}

export async function measureStoreBaseline(kind: Backend, opts: { count: number; valueBytes: number; concurrency: number }): Promise<StoreBaseline> {
  const { count, valueBytes, concurrency } = opts;
  if (kind === 'sqlite') {
    const tmp = makeTempDir('skiff-bench-store-');
    try {
      const rawWritesPerSec = rawSqlite(join(tmp.dir, 'raw-batched.db'), count, valueBytes, concurrency);
      const rawAutocommitWritesPerSec = rawSqlite(join(tmp.dir, 'raw-autocommit.db'), count, valueBytes, 1);
      const store = createSqliteStore({ path: join(tmp.dir, 'store.db') });
      try {
        return { kind, count, valueBytes, concurrency, rawWritesPerSec, rawAutocommitWritesPerSec, ...(await storeFigures(store, count, valueBytes, concurrency)) };
      } finally {
        await store.close();
      }
    } finally {
      await tmp.remove();
    }
  }
  const etcd = await startEtcd();
  const stopEtcd = onCleanup(() => etcd.stop());
  try {
    const rawWritesPerSec = await rawEtcd(etcd.endpoint, count, valueBytes, concurrency);
    const store = createEtcdStore({ endpoints: [`http://${etcd.endpoint}`] });
    try {
      return { kind, count, valueBytes, concurrency, rawWritesPerSec, ...(await storeFigures(store, count, valueBytes, concurrency)) };
    } finally {
      await store.close();
    }
  } finally {
    await stopEtcd();
  }
}
