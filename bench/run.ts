/**
 * `npm run bench`: API server and storage benchmarks, each figure beside a baseline measured in
 * the same run (bare Node, raw SQLite / etcd writes, store-level lists).
 *
 *   node --import tsx bench/run.ts [--quick] [--only sqlite|etcd|scheduling|workloads|pods] [--objects N] [--runs N] [--warmup N]
 *                                  [--nodes N] [--pods N] [--replicas N] [--workload-nodes N]
 *
 * --objects: ConfigMaps to create and list (10,000; 1,000 with --quick); --runs: cold starts
 * (5); --warmup: unmeasured creates in a namespace of their own before the measured ones (500).
 * --nodes / --pods: SchedulingBasic (bench/scheduling-bench.ts) size, 5,000 nodes and 10,000 pods
 * (500 / 1,000 with --quick); `--only scheduling` runs that alone, `--only sqlite|etcd` skips it.
 * `--only pods`: pod startup on the real node agent (bench/pod-startup-bench.ts; root, containerd), 50
 * busybox pods create → Running beside bare `ctr run -d` and a bare CRI pod (sandbox + create + start
 * straight to containerd), then server RSS/CPU with the pods idle.
 * --replicas / --workload-nodes: the workload benchmark (bench/workloads-bench.ts), a Deployment of
 * 1,000 replicas on 100 simulated nodes (100 / 10 with --quick); `--only workloads` runs it alone.
 *
 * Prints a table, then the JSON document it also writes to `.bench/results-<timestamp>.json`.
 * Every process and temp dir it starts is removed again, also on failure or Ctrl-C.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { ensurePki, PKI_FILES } from '../src/apiserver/auth/pki.js';
import { startEtcd } from '../test/helpers/etcd.js';
import { ApiClient } from './api-client.js';
import { benchCreates, benchLists, benchWatch, warmUp } from './api-bench.js';
import type { CreateResult, ListResult, WatchResult } from './api-bench.js';
import { onCleanup, runCleanups } from './cleanup.js';
import { makeTempDir, REPO_ROOT, startBareNode, startSkiff, treeRss } from './processes.js';
import { metric, renderTable } from './report.js';
import type { Metric } from './report.js';
import { measureStoreBaseline } from './store-baseline.js';
import { benchStore } from './store-bench.js';
import { benchScheduling, schedulingMetrics } from './scheduling-bench.js';
import { benchWorkloads, workloadsMetrics } from './workloads-bench.js';
import { benchPodStartup, podStartupMetrics } from './pod-startup-bench.js';
import type { Backend, StoreBaseline } from './store-baseline.js';
import { median, min, round, sleep } from './stats.js';

interface Options {
  quick: boolean;
  only?: Backend | 'scheduling' | 'workloads' | 'pods';
  replicas: number;
  workloadNodes: number;
  objects: number;
  nodes: number;
  pods: number;
  watchObjects: number;
  runs: number;
  concurrency: number;
  idleMs: number;
  warmup: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { quick: false, objects: 10_000, nodes: 5000, pods: 10_000, watchObjects: 1000, runs: 5, concurrency: 16, idleMs: 5000, warmup: 500, replicas: 1000, workloadNodes: 100 };
  let objectsSet = false;
  let replicasSet = false;
  let workloadNodesSet = false;
  let nodesSet = false;
  let podsSet = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = (): string => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = val();
      if (v !== 'sqlite' && v !== 'etcd' && v !== 'scheduling' && v !== 'workloads' && v !== 'pods') throw new Error(`--only takes sqlite, etcd, scheduling, workloads or pods, not ${v}`);
      o.only = v;
    } else if (a === '--objects' || a.startsWith('--objects=')) { o.objects = Number(val()); objectsSet = true; }
    else if (a === '--nodes' || a.startsWith('--nodes=')) { o.nodes = Number(val()); nodesSet = true; }
    else if (a === '--pods' || a.startsWith('--pods=')) { o.pods = Number(val()); podsSet = true; }
    else if (a === '--replicas' || a.startsWith('--replicas=')) { o.replicas = Number(val()); replicasSet = true; }
    else if (a === '--workload-nodes' || a.startsWith('--workload-nodes=')) { o.workloadNodes = Number(val()); workloadNodesSet = true; }
    else if (a === '--runs' || a.startsWith('--runs=')) o.runs = Number(val());
    else if (a === '--warmup' || a.startsWith('--warmup=')) o.warmup = Number(val());
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: npm run bench -- [--quick] [--only sqlite|etcd|scheduling|workloads|pods] [--objects N] [--runs N] [--warmup N] [--nodes N] [--pods N] [--replicas N] [--workload-nodes N]\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (o.quick && !objectsSet) o.objects = 1000;
  if (o.quick && !nodesSet) o.nodes = 500;
  if (o.quick && !podsSet) o.pods = 1000;
  if (o.quick && !replicasSet) o.replicas = 100;
  if (o.quick && !workloadNodesSet) o.workloadNodes = 10;
  if (!(o.replicas > 0) || !(o.workloadNodes > 0)) throw new Error('--replicas and --workload-nodes must be positive');
  if (!(o.nodes > 0) || !(o.pods > 0)) throw new Error('--nodes and --pods must be positive');
  if (o.quick) o.watchObjects = 300;
  if (!(o.objects > 0) || !(o.runs > 0)) throw new Error('--objects and --runs must be positive');
  return o;
}

const log = (msg: string): void => { process.stderr.write(`[bench] ${msg}\n`); };
const MB = 1024 * 1024;

/** Which code bin/skiff runs (same rule as the launcher): compiled dist/ or src/ through tsx. */
function launcherMode(): 'compiled' | 'source' {
  const compiled = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
  if (process.env.SKIFF_FROM_SOURCE === '1' || !existsSync(compiled)) return 'source';
  const newest = (dir: string): number => {
    let n = 0;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, e.name);
      if (e.isDirectory()) n = Math.max(n, newest(full));
      else if (e.name.endsWith('.ts') || e.name.endsWith('.json')) n = Math.max(n, statSync(full).mtimeMs);
    }
    return n;
  };
  return statSync(compiled).mtimeMs >= newest(join(REPO_ROOT, 'src')) ? 'compiled' : 'source';
}

function gitCommit(): string {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

interface StartupResult {
  skiff: { runsMs: number[]; medianMs: number; minMs: number; idleRssBytes: number; idleRssProcesses: number };
  bareNode: { runsMs: number[]; medianMs: number; minMs: number; idleRssBytes: number };
}

async function benchStartup(o: Options): Promise<StartupResult> {
  const pkiDir = makeTempDir('skiff-bench-pki-');
  try {
    await ensurePki({ dir: pkiDir.dir });
    const tls = { certFile: join(pkiDir.dir, 'tls', PKI_FILES.serverCert), keyFile: join(pkiDir.dir, 'tls', PKI_FILES.serverKey) };
    const bareRuns: number[] = [];
    let bareRss = 0;
    for (let i = 0; i < o.runs; i++) {
      const s = await startBareNode(tls);
      bareRuns.push(s.readyMs);
      if (i === o.runs - 1) {
        await sleep(o.idleMs);
        bareRss = treeRss(s.pid).bytes;
      }
      await s.stop();
    }
    log(`bare node https: ${bareRuns.map((r) => r.toFixed(0)).join(', ')} ms`);
    const runs: number[] = [];
    let rss = { bytes: 0, processes: 0, rootBytes: 0 };
    for (let i = 0; i < o.runs; i++) {
      const s = await startSkiff();
      runs.push(s.readyMs);
      log(`skiff cold start ${i + 1}/${o.runs}: ${s.readyMs.toFixed(0)} ms`);
      if (i === o.runs - 1) {
        await sleep(o.idleMs);
        rss = treeRss(s.pid);
      }
      await s.stop();
      await s.removeDataDir();
    }
    return {
      skiff: { runsMs: runs.map((r) => round(r)), medianMs: round(median(runs)), minMs: round(min(runs)), idleRssBytes: rss.bytes, idleRssProcesses: rss.processes },
      bareNode: { runsMs: bareRuns.map((r) => round(r)), medianMs: round(median(bareRuns)), minMs: round(min(bareRuns)), idleRssBytes: bareRss },
    };
  } finally {
    await pkiDir.remove();
  }
}

interface BackendResult {
  create: CreateResult;
  list: ListResult;
  watch: WatchResult;
  /** Unmeasured creates (another namespace) before the measured ones. */
  warmupCreates: number;
  /** bench/store-bench.ts: raw engine writes, Store.create, Store.list and Store watch (its ~1 KiB values). */
  storeBench?: Record<string, number>;
  storeBenchError?: string;
  /** bench/store-baseline.ts: the same with values the size of our stored ConfigMaps, plus paginated lists. */
  store?: StoreBaseline;
  storeError?: string;
}

async function benchBackend(kind: Backend, o: Options): Promise<BackendResult> {
  let stopEtcd: (() => Promise<void>) | undefined;
  let endpoint: string | undefined;
  if (kind === 'etcd') {
    const etcd = await startEtcd();
    stopEtcd = onCleanup(() => etcd.stop());
    endpoint = `etcd://${etcd.endpoint}`;
  }
  let api: Omit<BackendResult, 'store'>;
  try {
    const server = await startSkiff({ datastoreEndpoint: endpoint });
    const client = new ApiClient(server.port, server.dataDir, o.concurrency);
    try {
      const warmupCreates = await warmUp(client, o.warmup, o.concurrency);
      log(`${kind}: warm-up ${warmupCreates}/${o.warmup} creates in their own namespace`);
      log(`${kind}: creating ${o.objects} ConfigMaps with ${o.concurrency} clients`);
      const create = await benchCreates(client, o.objects, o.concurrency);
      log(`${kind}: ${create.writesPerSec.toFixed(0)} writes/s, p50 ${create.p50Ms.toFixed(1)} ms, p99 ${create.p99Ms.toFixed(1)} ms, ${create.errors} errors`);
      const list = await benchLists(client);
      log(`${kind}: list ${list.items} items: full ${list.fullMs.toFixed(0)} ms, paged ${list.pagedMs.toFixed(0)} ms (${list.pages} pages)`);
      const watch = await benchWatch(client, list.resourceVersion, o.watchObjects);
      log(`${kind}: watch p50 ${watch.p50Ms.toFixed(2)} ms, p99 ${watch.p99Ms.toFixed(2)} ms, missed ${watch.missed}`);
      api = { create, list, watch, warmupCreates };
    } finally {
      client.close();
      await server.stop();
      await server.removeDataDir();
    }
  } finally {
    await stopEtcd?.();
  }
  // The baselines run alone, after the server is gone, so they never share the CPU with it.
  const out: BackendResult = { ...api };
  try {
    log(`${kind}: bench/store-bench.ts benchStore('${kind}', n=${o.objects})`);
    out.storeBench = await benchStore(kind, { n: o.objects, concurrency: o.concurrency, watchSamples: o.watchObjects });
    log(`${kind}: store-bench ${JSON.stringify(out.storeBench)}`);
  } catch (err) {
    out.storeBenchError = errorText(err);
    log(`${kind}: store-bench failed: ${out.storeBenchError}`);
  }
  try {
    log(`${kind}: size-matched store baseline (${o.objects} keys of ${api.create.storedBytes} bytes)`);
    out.store = await measureStoreBaseline(kind, { count: o.objects, valueBytes: api.create.storedBytes || 300, concurrency: o.concurrency });
    log(`${kind}: raw ${out.store.rawWritesPerSec.toFixed(0)} writes/s, Store ${out.store.storeWritesPerSec.toFixed(0)} writes/s, list ${out.store.storeListMs.toFixed(0)} ms, pages ${out.store.storePagedListMs.toFixed(0)} ms`);
  } catch (err) {
    out.storeError = errorText(err);
    log(`${kind}: size-matched store baseline failed: ${out.storeError}`);
  }
  return out;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.stack ?? err.message : String(err);
}

function startupMetrics(s: StartupResult): Metric[] {
  return [
    metric({ id: 'cold-start-median', label: 'cold start to /readyz (median)', value: s.skiff.medianMs, unit: 'ms', baseline: s.bareNode.medianMs, baselineLabel: 'bare node https', better: 'lower', goal: '< 1000 ms', pass: s.skiff.medianMs < 1000 }),
    metric({ id: 'cold-start-min', label: 'cold start to /readyz (min)', value: s.skiff.minMs, unit: 'ms', baseline: s.bareNode.minMs, baselineLabel: 'bare node https', better: 'lower' }),
    metric({ id: 'idle-rss', label: 'idle RSS (readyz + idle)', value: s.skiff.idleRssBytes / MB, unit: 'MB', baseline: s.bareNode.idleRssBytes / MB, baselineLabel: 'bare node https', better: 'lower', goal: '< 100 MB', pass: s.skiff.idleRssBytes / MB < 100 }),
  ];
}

function num(rec: Record<string, number> | undefined, key: string): number | undefined {
  const v = rec?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function backendMetrics(kind: Backend, r: BackendResult): Metric[] {
  const sb = r.storeBench;
  const s = r.store;
  // Prefer store-bench.ts (the storage engineer's figures); fall back to the size-matched run.
  const rawWrites = num(sb, 'rawWritesPerSec') ?? s?.rawAutocommitWritesPerSec ?? s?.rawWritesPerSec;
  const rawLabel = kind === 'sqlite' ? 'raw SQLite inserts' : 'raw etcd puts';
  const storeWrites = num(sb, 'createWritesPerSec') ?? s?.storeWritesPerSec;
  const storeList = num(sb, 'list10kMs') ?? (s && Number.isFinite(s.storeListMs) ? s.storeListMs : undefined);
  const storePaged = s && Number.isFinite(s.storePagedListMs) ? s.storePagedListMs : undefined;
  const storeWatchP50 = num(sb, 'watchP50Ms');
  const storeWatchP99 = num(sb, 'watchP99Ms');
  const listNote = storeList === undefined ? `no Store.list baseline: ${r.storeBenchError?.split('\n')[0] ?? ''} ${s?.listError ?? r.storeError?.split('\n')[0] ?? ''}`.trim() : undefined;
  return [
    metric({ id: 'create-throughput', label: `create ${r.create.count} ConfigMaps, ${r.create.concurrency} clients`, backend: kind, value: r.create.writesPerSec, unit: 'writes/s', baseline: rawWrites, baselineLabel: rawLabel, better: 'higher', goal: '>= 0.5x raw', pass: rawWrites !== undefined ? r.create.writesPerSec >= 0.5 * rawWrites : undefined, note: r.create.errors ? `${r.create.errors} errors; first: ${r.create.firstError ?? ''}` : undefined }),
    metric({ id: 'store-create-throughput', label: '  Store.create alone (no API)', backend: kind, value: storeWrites ?? NaN, unit: 'writes/s', baseline: rawWrites, baselineLabel: rawLabel, better: 'higher' }),
    metric({ id: 'create-p50', label: 'create latency p50', backend: kind, value: r.create.p50Ms, unit: 'ms', baseline: num(sb, 'createP50Ms'), baselineLabel: 'Store.create', better: 'lower' }),
    metric({ id: 'create-p99', label: 'create latency p99', backend: kind, value: r.create.p99Ms, unit: 'ms', baseline: num(sb, 'createP99Ms'), baselineLabel: 'Store.create', better: 'lower' }),
    metric({ id: 'list-full', label: `list ${r.list.items} (no limit)`, backend: kind, value: r.list.fullMs, unit: 'ms', baseline: storeList, baselineLabel: 'Store.list', better: 'lower', note: listNote }),
    metric({ id: 'list-paged', label: `list ${r.list.items} (limit=500, ${r.list.pages} pages)`, backend: kind, value: r.list.pagedMs, unit: 'ms', baseline: storePaged, baselineLabel: 'Store.list pages', better: 'lower', note: s?.pagedListError ? `Store.list pages baseline failed: ${s.pagedListError}` : undefined }),
    metric({ id: 'watch-p50', label: `watch delivery p50 (${r.watch.count} creates)`, backend: kind, value: r.watch.p50Ms, unit: 'ms', baseline: storeWatchP50, baselineLabel: 'Store.watch', better: 'lower' }),
    metric({ id: 'watch-p99', label: `watch delivery p99 (${r.watch.count} creates)`, backend: kind, value: r.watch.p99Ms, unit: 'ms', baseline: storeWatchP99, baselineLabel: 'Store.watch', better: 'lower', goal: '< 10 ms', pass: r.watch.p99Ms < 10 && r.watch.missed === 0, note: r.watch.missed ? `${r.watch.missed} events missed` : undefined }),
  ];
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const started = new Date();
  const doc: Record<string, unknown> = {
    timestamp: started.toISOString(),
    command: ['node', '--import', 'tsx', 'bench/run.ts', ...process.argv.slice(2)].join(' '),
    options: o,
    env: {
      node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryMB: Math.round(totalmem() / MB), commit: gitCommit(), launcher: launcherMode(),
    },
  };
  const metrics: Metric[] = [];
  const errors: Record<string, string> = {};
  const backends: Partial<Record<Backend, BackendResult>> = {};

  if (o.only !== 'scheduling' && o.only !== 'workloads' && o.only !== 'pods') try {
    const s = await benchStartup(o);
    doc.startup = s;
    metrics.push(...startupMetrics(s));
  } catch (err) {
    errors.startup = errorText(err);
    log(`startup benchmark failed: ${errors.startup}`);
  }
  for (const kind of ['sqlite', 'etcd'] as const) {
    if (o.only && o.only !== kind) continue;
    try {
      const r = await benchBackend(kind, o);
      backends[kind] = r;
      metrics.push(...backendMetrics(kind, r));
      if (r.storeBenchError) errors[`${kind}-store-bench`] = r.storeBenchError;
      if (r.storeError) errors[`${kind}-store-matched`] = r.storeError;
    } catch (err) {
      errors[kind] = errorText(err);
      log(`${kind} benchmark failed: ${errors[kind]}`);
    }
  }
  doc.backends = backends;
  if (!o.only || o.only === 'scheduling') {
    try {
      const r = await benchScheduling({ quick: o.quick, nodes: o.nodes, pods: o.pods, concurrency: o.concurrency, warmup: o.warmup, capacity: 'cpu=32,memory=256Gi,pods=110', log });
      doc.scheduling = r;
      metrics.push(...schedulingMetrics(r));
    } catch (err) {
      errors.scheduling = errorText(err);
      log(`scheduling benchmark failed: ${errors.scheduling}`);
    }
  }
  if (!o.only || o.only === 'workloads') {
    try {
      const r = await benchWorkloads({ quick: o.quick, nodes: o.workloadNodes, replicas: o.replicas, concurrency: o.concurrency, capacity: 'cpu=32,memory=256Gi,pods=110', log });
      doc.workloads = r;
      metrics.push(...workloadsMetrics(r));
    } catch (err) {
      errors.workloads = errorText(err);
      log(`workloads benchmark failed: ${errors.workloads}`);
    }
  }
  if (o.only === 'pods') {
    // Real node agent (root, containerd): only on request, see bench/pod-startup-bench.ts.
    try {
      const r = await benchPodStartup({ pods: 50, concurrency: 1, bareRuns: 10, idleMs: 30_000, log });
      doc.podStartup = r;
      metrics.push(...podStartupMetrics(r));
      if (r.teardownProblems.length) errors['pods-teardown'] = r.teardownProblems.join('; ');
    } catch (err) {
      errors.pods = errorText(err);
      log(`pod startup benchmark failed: ${errors.pods}`);
    }
  }
  doc.metrics = metrics;
  doc.errors = errors;
  doc.durationSeconds = round((Date.now() - started.getTime()) / 1000, 1);

  const dir = join(REPO_ROOT, '.bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `results-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  const json = JSON.stringify(doc, (_k, v: unknown) => (typeof v === 'number' ? round(v, 3) : v), 2);
  writeFileSync(file, json + '\n');

  process.stdout.write(`\nSkiff benchmark (${o.quick ? 'quick, ' : ''}${o.objects} objects, launcher: ${String((doc.env as { launcher: string }).launcher)}); ratio = ours / baseline\n\n`);
  process.stdout.write(renderTable(metrics) + '\n');
  for (const m of metrics) if (m.note) process.stdout.write(`note (${m.backend ?? ''} ${m.id}): ${m.note}\n`);
  for (const [k, v] of Object.entries(errors)) process.stdout.write(`FAILED ${k}: ${v.split('\n')[0]}\n`);
  process.stdout.write(`\n${json}\n`);
  process.stderr.write(`[bench] results written to ${file}\n`);
  return Object.keys(errors).length ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
} finally {
  await runCleanups();
}
process.exit(code);
