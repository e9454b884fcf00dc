/** API-level measurements against a running server: concurrent creates, lists, watch latency. */
import { performance } from 'node:perf_hooks';
import type { ApiClient, WatchLine } from './api-client.js';
import { median, percentile } from './stats.js';

const NS = 'default';
const COLLECTION = `/api/v1/namespaces/${NS}/configmaps`;
const WARMUP_NS = 'skiff-bench-warmup';

/** A small ConfigMap: 5 data keys, ~300 bytes of JSON. */
export function configMap(name: string, i: number): Record<string, unknown> {
  const data: Record<string, string> = {};
  for (let k = 0; k < 5; k++) data[`key-${k}`] = `value-${i}-${k}-`.padEnd(32, 'x');
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { app: 'skiff-bench' } }, data };
}

export interface CreateResult {
  count: number;
  concurrency: number;
  errors: number;
  firstError?: string;
  seconds: number;
  writesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requestBytes: number;
  /** Size of one created object as the server returns (≈ stores) it. */
  storedBytes: number;
}

/**
 * Warms the server's JIT on the create path with `count` creates in a namespace of their own, so
 * they stay out of the measured collection. Returns how many succeeded.
 */
export async function warmUp(client: ApiClient, count: number, concurrency: number): Promise<number> {
  const ns = await client.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: WARMUP_NS } });
  if (ns.status !== 201 && ns.status !== 409) return 0;
  let next = 0;
  let ok = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++;
      const res = await client.request('POST', `/api/v1/namespaces/${WARMUP_NS}/configmaps`, configMap(`warmup-${i}`, i));
      if (res.status === 201) ok++;
    }
  }));
  await client.request('GET', `/api/v1/namespaces/${WARMUP_NS}/configmaps`);
  return ok;
}

export async function benchCreates(client: ApiClient, count: number, concurrency: number, namePrefix = 'bench'): Promise<CreateResult> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  let storedBytes = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const res = await client.request('POST', COLLECTION, configMap(`${namePrefix}-${i}`, i));
      latencies.push(res.ms);
      if (res.status !== 201) {
        errors++;
        firstError ??= `HTTP ${res.status}: ${res.body.toString().slice(0, 300)}`;
        if (errors > 50 && errors > count / 10) throw new Error(`too many create errors; first: ${firstError}`);
      } else if (storedBytes === 0) {
        storedBytes = res.body.length;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  const seconds = (performance.now() - t0) / 1000;
  return {
    count, concurrency, errors, firstError, seconds,
    writesPerSec: (count - errors) / seconds,
    p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99),
    requestBytes: JSON.stringify(configMap(`${namePrefix}-0`, 0)).length,
    storedBytes,
  };
}

export interface ListResult {
  items: number;
  fullMs: number;
  fullBytes: number;
  pagedMs: number;
  pages: number;
  resourceVersion: string;
}

interface ListBody { metadata?: { continue?: string; resourceVersion?: string }; items?: unknown[] }

function parseList(body: Buffer): ListBody {
  return JSON.parse(body.toString()) as ListBody;
}

/** Median of `repeats` full lists and of `repeats` paginated walks (limit=500, like kubectl). */
export async function benchLists(client: ApiClient, repeats = 3, pageSize = 500): Promise<ListResult> {
  const full: number[] = [];
  const paged: number[] = [];
  let items = 0;
  let fullBytes = 0;
  let pages = 0;
  let resourceVersion = '';
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    const res = await client.request('GET', COLLECTION);
    const list = parseList(res.body);
    full.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`list: HTTP ${res.status}: ${res.body.toString().slice(0, 300)}`);
    items = list.items?.length ?? 0;
    fullBytes = res.body.length;
    resourceVersion = list.metadata?.resourceVersion ?? '';
  }
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    let cont = '';
    let n = 0;
    let seen = 0;
    do {
      const q = new URLSearchParams({ limit: String(pageSize) });
      if (cont) q.set('continue', cont);
      const res = await client.request('GET', `${COLLECTION}?${q}`);
      if (res.status !== 200) throw new Error(`paged list: HTTP ${res.status}: ${res.body.toString().slice(0, 300)}`);
      const list = parseList(res.body);
      seen += list.items?.length ?? 0;
      cont = list.metadata?.continue ?? '';
      n++;
    } while (cont);
    paged.push(performance.now() - t0);
    pages = n;
    if (seen !== items) throw new Error(`paginated list returned ${seen} items, full list ${items}`);
  }
  return { items, fullMs: median(full), fullBytes, pagedMs: median(paged), pages, resourceVersion };
}

export interface WatchResult {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Events that arrived before the create response did (counted as 0 ms). */
  eventBeforeResponse: number;
  missed: number;
}

/**
 * Opens a watch from `resourceVersion`, then creates `count` objects one at a time; for each,
 * measures create-response-received → watch-event-received (waiting for both before the next).
 */
export async function benchWatch(client: ApiClient, resourceVersion: string, count: number, namePrefix = 'watch'): Promise<WatchResult> {
  const waiting = new Map<string, (at: number) => void>();
  const early = new Map<string, number>();
  const onLine = (line: WatchLine, at: number): void => {
    if (line.type !== 'ADDED') return;
    const name = line.object.metadata?.name;
    if (!name?.startsWith(`${namePrefix}-`)) return;
    const w = waiting.get(name);
    if (w) { waiting.delete(name); w(at); } else early.set(name, at);
  };
  const q = new URLSearchParams({ watch: 'true', resourceVersion, allowWatchBookmarks: 'true' });
  const stream = await client.watch(`${COLLECTION}?${q}`, onLine);
  const latencies: number[] = [];
  let before = 0;
  let missed = 0;
  try {
    for (let i = 0; i < count; i++) {
      const name = `${namePrefix}-${i}`;
      const eventAt = new Promise<number | undefined>((resolve) => {
        const timer = setTimeout(() => { waiting.delete(name); resolve(undefined); }, 5000);
        waiting.set(name, (at) => { clearTimeout(timer); resolve(at); });
      });
      const res = await client.request('POST', COLLECTION, configMap(name, i));
      const responseAt = performance.now();
      if (res.status !== 201) throw new Error(`watch create ${name}: HTTP ${res.status}: ${res.body.toString().slice(0, 300)}`);
      const earlyAt = early.get(name);
      let at: number | undefined;
      if (earlyAt !== undefined) {
        early.delete(name);
        const w = waiting.get(name);
        waiting.delete(name);
        w?.(earlyAt);
        at = earlyAt;
      } else {
        at = await eventAt;
      }
      if (at === undefined) { missed++; continue; }
      const lat = at - responseAt;
      if (lat < 0) before++;
      latencies.push(Math.max(0, lat));
    }
  } finally {
    stream.close();
  }
  return {
    count, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: percentile(latencies, 100),
    eventBeforeResponse: before, missed,
  };
}
