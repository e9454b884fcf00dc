/**
 * Store benchmark: our Store.create against the raw backend limit measured in the same run.
 *
 *   npx tsx bench/store-bench.ts [--kind sqlite|etcd|all] [--n 10000] [--concurrency 16]
 *
 * Prints a table and a JSON line. Figures: writes/s, p50/p99 write latency (ms), ratio to raw,
 * time to list all keys (ms), watch delivery latency p99 (create resolved → watcher callback, ms).
 */

import Database from 'better-sqlite3';
import { Etcd3 } from 'etcd3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createSqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { createEtcdStore } from '../src/storage/etcd/etcd-store.js';
import type { Store } from '../src/storage/store.js';
import { startEtcd } from '../test/helpers/etcd.js';

export interface BenchOptions {
  /** Number of writes per phase (default 10,000). */
  n?: number;
  /** Concurrent writers (default 16). */
  concurrency?: number;
  /** Number of creates observed for watch latency (default 1,000). */
  watchSamples?: number;
  /** etcd client URL; without it a throw-away etcd is started. */
  etcdEndpoint?: string;
}

/** A ConfigMap of roughly 1 KiB, as the API server would store it. */
function configMapValue(i: number): string {
  const data: Record<string, string> = {};
  for (let k = 0; k < 8; k++) data[`key-${k}`] = `value-${i}-${k}-`.padEnd(64, 'x');
  return JSON.stringify({
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: {
      name: `cm-${i}`, namespace: 'bench', uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      creationTimestamp: '2026-01-01T00:00:00Z', labels: { app: 'bench', shard: String(i % 16) },
      annotations: { 'bench.skiff.dev/note': 'store benchmark payload' },
    },
    data,
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

function round(v: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** Runs `total` operations from `concurrency` async workers; returns ops/s and latencies. */
async function drive(total: number, concurrency: number, op: (i: number, worker: number) => Promise<unknown>) {
  const lat: number[] = new Array<number>(total);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async (_, w) => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      const s = performance.now();
      await op(i, w);
      lat[i] = performance.now() - s;
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { perSec: total / secs, p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

async function storePhases(store: Store, prefix: string, n: number, concurrency: number, watchSamples: number) {
  const values = Array.from({ length: n }, (_, i) => configMapValue(i));
  const writes = await drive(n, concurrency, (i) => store.create(`${prefix}items/cm-${String(i).padStart(6, '0')}`, values[i]));

  let listMs = Infinity;
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    const l = await store.list(`${prefix}items/`);
    listMs = Math.min(listMs, performance.now() - t);
    if (l.items.length !== n) throw new Error(`list returned ${l.items.length} items, expected ${n}`);
  }

  const received = new Map<string, number>();
  let wake: (() => void) | undefined;
  const watcher = store.watch(`${prefix}watch/`, { afterRevision: await store.currentRevision() }, {
    onEvents(evs) {
      const now = performance.now();
      for (const e of evs) received.set(e.kv.key, now);
      wake?.();
    },
    onError(err) { throw err; },
  });
  const resolvedAt = new Map<string, number>();
  for (let i = 0; i < watchSamples; i++) {
    const key = `${prefix}watch/w-${i}`;
    await store.create(key, values[i % n]);
    resolvedAt.set(key, performance.now());
  }
  const deadline = Date.now() + 30_000;
  while (received.size < watchSamples) {
    if (Date.now() > deadline) throw new Error(`watch delivered ${received.size}/${watchSamples} events`);
    await new Promise<void>((r) => { wake = r; setTimeout(r, 50); });
  }
  watcher.close();
  const delays = [...resolvedAt].map(([k, t]) => Math.max(0, (received.get(k) ?? t) - t)).sort((a, b) => a - b);
  return { writes, listMs, watchP50: percentile(delays, 50), watchP99: percentile(delays, 99) };
}

async function benchSqlite(n: number, concurrency: number, watchSamples: number): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-bench-'));
  try {
    const values = Array.from({ length: n }, (_, i) => configMapValue(i));
    // Raw limit: one autocommit INSERT per write, same journal settings as the store.
    const raw = new Database(join(dir, 'raw.db'));
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, value TEXT NOT NULL)');
    const ins = raw.prepare('INSERT INTO t (name, value) VALUES (?, ?)');
    const rawLat: number[] = new Array<number>(n);
    const r0 = performance.now();
    for (let i = 0; i < n; i++) {
      const s = performance.now();
      ins.run(`/bench/items/cm-${i}`, values[i]);
      rawLat[i] = performance.now() - s;
    }
    const rawSecs = (performance.now() - r0) / 1000;
    rawLat.sort((a, b) => a - b);
    const rawRes: Drive = { perSec: n / rawSecs, p50: percentile(rawLat, 50), p99: percentile(rawLat, 99) };
    raw.close();

    const store = createSqliteStore({ path: join(dir, 'state.db') });
    const res = await storePhases(store, '/bench/', n, concurrency, watchSamples);
    await store.close();
    return summarize(rawRes, res);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function benchEtcd(n: number, concurrency: number, watchSamples: number, endpoint?: string): Promise<Record<string, number>> {
  const owned = endpoint ? undefined : await startEtcd();
  const url = endpoint ?? `http://${owned?.endpoint ?? ''}`;
  try {
    const values = Array.from({ length: n }, (_, i) => configMapValue(i));
    const runId = Date.now().toString(36);
    const clients = Array.from({ length: concurrency }, () => new Etcd3({ hosts: [url] }));
    const rawRes = await drive(n, concurrency, (i, w) => clients[w].put(`/bench-raw/${runId}/cm-${i}`).value(values[i]).exec());
    for (const c of clients) c.close();

    const store = createEtcdStore({ endpoints: [url] });
    const res = await storePhases(store, `/bench/${runId}/`, n, concurrency, watchSamples);
    await store.close();
    return summarize(rawRes, res);
  } finally {
    await owned?.stop();
  }
}

type Drive = Awaited<ReturnType<typeof drive>>;

function summarize(rawRes: Drive, res: Awaited<ReturnType<typeof storePhases>>): Record<string, number> {
  return {
    rawWritesPerSec: Math.round(rawRes.perSec),
    rawP50Ms: round(rawRes.p50),
    rawP99Ms: round(rawRes.p99),
    createWritesPerSec: Math.round(res.writes.perSec),
    createP50Ms: round(res.writes.p50),
    createP99Ms: round(res.writes.p99),
    createToRawRatio: round(res.writes.perSec / rawRes.perSec),
    list10kMs: round(res.listMs),
    watchP50Ms: round(res.watchP50),
    watchP99Ms: round(res.watchP99),
  };
}

/** Measures one backend; every figure is in the returned record (see the file header). */
export async function benchStore(kind: 'sqlite' | 'etcd', opts: BenchOptions = {}): Promise<Record<string, number>> {
  const n = opts.n ?? 10_000;
  const concurrency = opts.concurrency ?? 16;
  const watchSamples = Math.min(opts.watchSamples ?? 1000, n);
  return kind === 'sqlite'
    ? benchSqlite(n, concurrency, watchSamples)
    : benchEtcd(n, concurrency, watchSamples, opts.etcdEndpoint);
}

function printTable(results: Record<string, Record<string, number>>): void {
  const kinds = Object.keys(results);
  const metrics = [...new Set(kinds.flatMap((k) => Object.keys(results[k])))];
  const w0 = Math.max(...metrics.map((m) => m.length), 6);
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w0) : c.padStart(12))).join('  ');
  console.log(line(['metric', ...kinds]));
  for (const m of metrics) console.log(line([m, ...kinds.map((k) => String(results[k][m] ?? ''))]));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string): string | undefined => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const kind = arg('kind') ?? 'all';
  const opts: BenchOptions = {
    n: arg('n') ? Number(arg('n')) : undefined,
    concurrency: arg('concurrency') ? Number(arg('concurrency')) : undefined,
    etcdEndpoint: arg('etcd'),
  };
  const results: Record<string, Record<string, number>> = {};
  if (kind === 'sqlite' || kind === 'all') results.sqlite = await benchStore('sqlite', opts);
  if (kind === 'etcd' || kind === 'all') results.etcd = await benchStore('etcd', opts);
  printTable(results);
  console.log(JSON.stringify({ bench: 'store', results }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
