/**
 * SchedulingBasic, as upstream's scheduler_perf (5,000 nodes, 10,000 pods from the pod-default
 * template), against `skiff server --simulated-nodes N`:
 *
 * 1. nodes: spawn → all N Node objects Ready=True (bench/nodes-bench.ts);
 * 2. baseline: the API's own pod-create rate, same server, same clients: `pods` creates in a
 *    namespace of their own with `schedulerName: none-such`, so nobody schedules them (deleted
 *    again afterwards);
 * 3. SchedulingBasic: `pods` creates with `concurrency` clients in a fresh namespace; a watch on
 *    that namespace sees each pod get spec.nodeName and then phase Running. Throughput is pods /
 *    (first create sent → last pod seen bound); steady state is the 10%→90% part of it;
 * 4. server RSS once all those pods are Running, beside the RSS with the nodes alone.
 */
import { performance } from 'node:perf_hooks';
import type { ApiClient } from './api-client.js';
import { CollectionWatcher, startSimulatedCluster } from './nodes-bench.js';
import type { NodesResult } from './nodes-bench.js';
import { treeRss } from './processes.js';
import { metric } from './report.js';
import type { Metric } from './report.js';
import { percentile, round, sleep } from './stats.js';

export interface SchedulingOptions {
  quick: boolean;
  nodes: number;
  pods: number;
  concurrency: number;
  /** Unmeasured pod creates (in the baseline namespace) before the measured ones. */
  warmup: number;
  capacity: string;
  log: (msg: string) => void;
}

export interface PodCreateResult {
  count: number;
  concurrency: number;
  errors: number;
  firstError?: string;
  seconds: number;
  createsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

export interface SchedulingResult {
  nodes: NodesResult;
  /** Pods created with nobody to schedule them. */
  baseline: PodCreateResult;
  /** The creates of the scheduled run (scheduler and kubelets busy meanwhile). */
  create: PodCreateResult;
  scheduled: number;
  /** First create sent → last pod bound. */
  scheduleSeconds: number;
  podsScheduledPerSec: number;
  /** 10% → 90% of the pods bound. */
  steadyPodsScheduledPerSec: number;
  /** Create response → pod seen bound. */
  bindLatencyP50Ms: number;
  bindLatencyP99Ms: number;
  /** Peak of one-second buckets of bindings. */
  peakPodsScheduledPerSec: number;
  running: number;
  /** First create sent → last pod seen Running. */
  allRunningSeconds: number;
  rssNodesOnlyBytes: number;
  rssWithPodsBytes: number;
}

const BASELINE_NS = 'bench-unscheduled';
const SCHED_NS = 'bench-scheduling';

/** scheduler_perf's config/templates/pod-default.yaml. */
function pod(name: string, schedulerName?: string): Record<string, unknown> {
  const resources = { cpu: '100m', memory: '500Mi' };
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, labels: { app: 'skiff-bench-scheduling' } },
    spec: {
      ...(schedulerName ? { schedulerName } : {}),
      containers: [{
        name: 'pause', image: 'registry.k8s.io/pause:3.10', ports: [{ containerPort: 80 }],
        resources: { requests: resources, limits: resources },
      }],
    },
  };
}

async function ensureNamespace(client: ApiClient, name: string): Promise<void> {
  const res = await client.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  if (res.status !== 201 && res.status !== 409) throw new Error(`create namespace ${name}: HTTP ${res.status}: ${res.body.toString().slice(0, 300)}`);
}

async function createPods(client: ApiClient, ns: string, prefix: string, count: number, concurrency: number, schedulerName?: string, onSent?: (name: string, at: number) => void): Promise<PodCreateResult> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const name = `${prefix}-${next++}`;
      onSent?.(name, performance.now());
      const res = await client.request('POST', `/api/v1/namespaces/${ns}/pods`, pod(name, schedulerName));
      latencies.push(res.ms);
      if (res.status !== 201) {
        errors++;
        firstError ??= `HTTP ${res.status}: ${res.body.toString().slice(0, 300)}`;
        if (errors > 50 && errors > count / 10) throw new Error(`too many pod create errors; first: ${firstError}`);
      }
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  return { count, concurrency, errors, firstError, seconds, createsPerSec: (count - errors) / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

interface PodLike {
  metadata?: { name?: string };
  spec?: { nodeName?: string };
  status?: { phase?: string };
}

/** Deletes every pod of `ns` (deletecollection) and waits until the namespace holds none. */
async function emptyNamespace(client: ApiClient, ns: string, timeoutMs: number): Promise<void> {
  const res = await client.request('DELETE', `/api/v1/namespaces/${ns}/pods`);
  if (res.status !== 200) throw new Error(`deletecollection pods in ${ns}: HTTP ${res.status}: ${res.body.toString().slice(0, 300)}`);
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const list = await client.request('GET', `/api/v1/namespaces/${ns}/pods?limit=1`);
    const body = JSON.parse(list.body.toString()) as { items?: unknown[] };
    if ((body.items?.length ?? 0) === 0) return;
    if (performance.now() > deadline) throw new Error(`pods left in ${ns} after deletecollection`);
    await sleep(500);
  }
}

export async function benchScheduling(o: SchedulingOptions): Promise<SchedulingResult> {
  const { server, client, result: nodes } = await startSimulatedCluster({
    nodes: o.nodes, capacity: o.capacity, concurrency: o.concurrency, timeoutMs: o.quick ? 180_000 : 900_000, log: o.log,
  });
  try {
    const rssNodesOnlyBytes = nodes.rssBytes;
    o.log(`RSS with ${o.nodes} nodes: ${(rssNodesOnlyBytes / 1024 / 1024).toFixed(0)} MB`);

    // Baseline: the API's pod-create rate with nobody scheduling (same server, nodes heartbeating).
    await ensureNamespace(client, BASELINE_NS);
    if (o.warmup > 0) await createPods(client, BASELINE_NS, 'warmup', o.warmup, o.concurrency, 'none-such');
    o.log(`baseline: creating ${o.pods} pods (schedulerName none-such) with ${o.concurrency} clients`);
    const baseline = await createPods(client, BASELINE_NS, 'unscheduled', o.pods, o.concurrency, 'none-such');
    o.log(`baseline: ${baseline.createsPerSec.toFixed(0)} creates/s, p50 ${baseline.p50Ms.toFixed(1)} ms, p99 ${baseline.p99Ms.toFixed(1)} ms, ${baseline.errors} errors`);
    await emptyNamespace(client, BASELINE_NS, 300_000);
    await sleep(2000);

    // SchedulingBasic.
    await ensureNamespace(client, SCHED_NS);
    const sentAt = new Map<string, number>();
    const boundAt = new Map<string, number>();
    const runningAt = new Map<string, number>();
    let wake: () => void = () => {};
    const watcher = new CollectionWatcher<PodLike>(client, `/api/v1/namespaces/${SCHED_NS}/pods`, (p, at) => {
      const name = p.metadata?.name;
      if (!name) return;
      if (p.spec?.nodeName && !boundAt.has(name)) {
        boundAt.set(name, at);
        if (boundAt.size >= o.pods) wake();
      }
      if (p.status?.phase === 'Running' && !runningAt.has(name)) {
        runningAt.set(name, at);
        if (runningAt.size >= o.pods) wake();
      }
    });
    try {
      await watcher.started;
      o.log(`SchedulingBasic: creating ${o.pods} pods with ${o.concurrency} clients on ${o.nodes} nodes`);
      const t0 = performance.now();
      const create = await createPods(client, SCHED_NS, 'pod', o.pods, o.concurrency, undefined, (name, at) => sentAt.set(name, at));
      o.log(`created ${o.pods} pods in ${create.seconds.toFixed(1)} s (${create.createsPerSec.toFixed(0)}/s, ${create.errors} errors); ${boundAt.size} bound so far`);
      const expected = o.pods - create.errors;
      const waitFor = async (m: Map<string, number>, what: string, timeoutMs: number): Promise<void> => {
        const deadline = performance.now() + timeoutMs;
        let lastLog = performance.now();
        let lastSize = -1;
        let stalledSince = performance.now();
        while (m.size < expected && performance.now() < deadline) {
          await new Promise<void>((r) => { wake = r; setTimeout(r, 1000); });
          if (m.size !== lastSize) { lastSize = m.size; stalledSince = performance.now(); }
          if (performance.now() - stalledSince > 120_000) break; // no progress for 2 minutes
          if (performance.now() - lastLog > 10_000) {
            lastLog = performance.now();
            o.log(`${m.size}/${expected} pods ${what} after ${((lastLog - t0) / 1000).toFixed(0)} s`);
          }
        }
      };
      await waitFor(boundAt, 'bound', o.quick ? 300_000 : 1_200_000);
      const bound = [...boundAt.values()].sort((a, b) => a - b);
      const last = bound[bound.length - 1] ?? performance.now();
      const scheduleSeconds = (last - t0) / 1000;
      const at = (q: number): number => bound[Math.min(bound.length - 1, Math.max(0, Math.floor(q * bound.length) - 1))] ?? t0;
      const steady = bound.length >= 10 ? (0.8 * bound.length) / ((at(0.9) - at(0.1)) / 1000) : NaN;
      const buckets = new Map<number, number>();
      for (const b of bound) buckets.set(Math.floor((b - t0) / 1000), (buckets.get(Math.floor((b - t0) / 1000)) ?? 0) + 1);
      const latencies: number[] = [];
      for (const [name, b] of boundAt) { const s = sentAt.get(name); if (s !== undefined) latencies.push(b - s); }
      o.log(`${bound.length} pods bound in ${scheduleSeconds.toFixed(1)} s: ${(bound.length / scheduleSeconds).toFixed(0)} pods/s, steady ${steady.toFixed(0)} pods/s`);

      await waitFor(runningAt, 'Running', o.quick ? 300_000 : 1_200_000);
      const running = [...runningAt.values()];
      const allRunningSeconds = ((running.length ? Math.max(...running) : performance.now()) - t0) / 1000;
      o.log(`${running.length} pods Running ${allRunningSeconds.toFixed(1)} s after the first create`);
      await sleep(5000);
      const rssWithPodsBytes = treeRss(server.pid).bytes;
      o.log(`RSS with ${o.nodes} nodes and ${running.length} running pods: ${(rssWithPodsBytes / 1024 / 1024).toFixed(0)} MB`);
      return {
        nodes, baseline, create, scheduled: bound.length, scheduleSeconds,
        podsScheduledPerSec: bound.length / scheduleSeconds, steadyPodsScheduledPerSec: steady,
        bindLatencyP50Ms: percentile(latencies, 50), bindLatencyP99Ms: percentile(latencies, 99),
        peakPodsScheduledPerSec: Math.max(0, ...buckets.values()),
        running: running.length, allRunningSeconds, rssNodesOnlyBytes, rssWithPodsBytes,
      };
    } finally {
      await watcher.close();
    }
  } finally {
    client.close();
    await server.stop();
    await server.removeDataDir();
  }
}

const MB = 1024 * 1024;

export function schedulingMetrics(r: SchedulingResult): Metric[] {
  const n = r.nodes;
  const pods = r.create.count;
  // The least an API needs to bring a node up: create the Node, create its Lease, write its status.
  const apiFloorSeconds = (3 * n.nodes) / r.baseline.createsPerSec;
  const kwokSeconds = (n.nodes / 2000) * 120;
  return [
    metric({ id: 'nodes-ready', label: `${n.nodes} simulated nodes Ready (from spawn)`, backend: 'sqlite', value: n.allReadyFromSpawnMs / 1000, unit: 's', baseline: apiFloorSeconds, baselineLabel: '3 writes/node at API create rate', better: 'lower', goal: `< ${round(kwokSeconds, 0)} s (KWOK 2,000/120 s)`, pass: n.allReadyFromSpawnMs / 1000 < kwokSeconds }),
    metric({ id: 'nodes-ready-from-readyz', label: '  from /readyz', backend: 'sqlite', value: n.allReadyFromReadyzMs / 1000, unit: 's', baseline: apiFloorSeconds, baselineLabel: '3 writes/node at API create rate', better: 'lower' }),
    metric({ id: 'pod-create-baseline', label: `create ${r.baseline.count} pods, nobody scheduling`, backend: 'sqlite', value: r.baseline.createsPerSec, unit: 'pods/s', better: 'higher', note: r.baseline.errors ? `${r.baseline.errors} errors; first: ${r.baseline.firstError ?? ''}` : undefined }),
    metric({ id: 'scheduling-throughput', label: `SchedulingBasic ${n.nodes} nodes / ${pods} pods`, backend: 'sqlite', value: r.podsScheduledPerSec, unit: 'pods/s', baseline: r.baseline.createsPerSec, baselineLabel: 'pod creates/s', better: 'higher', goal: '>= 1000/s (CI floor 270)', pass: r.podsScheduledPerSec >= 1000 && r.scheduled === pods - r.create.errors, note: r.scheduled < pods ? `only ${r.scheduled}/${pods} pods bound` : undefined }),
    metric({ id: 'scheduling-throughput-steady', label: '  steady state (10%..90% bound)', backend: 'sqlite', value: r.steadyPodsScheduledPerSec, unit: 'pods/s', baseline: r.baseline.createsPerSec, baselineLabel: 'pod creates/s', better: 'higher', goal: '>= 1000/s', pass: r.steadyPodsScheduledPerSec >= 1000 }),
    metric({ id: 'scheduling-create-rate', label: '  pod creates meanwhile', backend: 'sqlite', value: r.create.createsPerSec, unit: 'pods/s', baseline: r.baseline.createsPerSec, baselineLabel: 'pod creates/s', better: 'higher' }),
    metric({ id: 'bind-latency-p99', label: '  create → bound p99', backend: 'sqlite', value: r.bindLatencyP99Ms, unit: 'ms', better: 'lower' }),
    metric({ id: 'all-running', label: `  first create → ${r.running} pods Running`, backend: 'sqlite', value: r.allRunningSeconds, unit: 's', baseline: r.scheduleSeconds, baselineLabel: 'all bound', better: 'lower', note: r.running < pods ? `only ${r.running}/${pods} pods Running` : undefined }),
    metric({ id: 'rss-nodes-pods', label: `server RSS, ${n.nodes} nodes + ${r.running} running pods`, backend: 'sqlite', value: r.rssWithPodsBytes / MB, unit: 'MB', baseline: r.rssNodesOnlyBytes / MB, baselineLabel: 'nodes only', better: 'lower' }),
  ];
}
