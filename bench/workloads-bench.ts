/**
 * Workload controllers at scale against `skiff server --simulated-nodes N` (100 nodes and a
 * Deployment of 1,000 replicas; 10 and 100 with --quick):
 *
 * 1. baseline: the same number of bare pods (the Deployment's template, no controller) created by
 *    the bench with `concurrency` clients → all Ready, seen through a watch; the limit of API,
 *    scheduler and kubelets without the controllers in the path (the pods are deleted again);
 * 2. create: a Deployment of `replicas` → status shows all updated and available (observedGeneration
 *    current), seen through a watch of the Deployment;
 * 3. rolling update: a template change (default strategy, 25% / 25%) → all replicas updated and
 *    available and no old pod left (status.replicas == replicas).
 *
 * CPU and memory: the controller manager runs inside the server process (with the API server,
 * scheduler and simulated kubelets), so what is reported is that process's CPU time
 * (/proc/<pid>/stat utime + stime, worker threads included) spent during each phase and its VmRSS
 * (/proc/<pid>/status) before, after and at the peak of the phase (sampled every 250 ms). The
 * bare-pod baseline phase is measured the same way: the difference between the two is what the
 * Deployment and ReplicaSet controllers add.
 */
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { ApiClient } from './api-client.js';
import { CollectionWatcher, startSimulatedCluster } from './nodes-bench.js';
import type { NodesResult } from './nodes-bench.js';
import { metric } from './report.js';
import type { Metric } from './report.js';
import { sleep } from './stats.js';

export interface WorkloadsOptions {
  quick: boolean;
  nodes: number;
  replicas: number;
  concurrency: number;
  capacity: string;
  log: (msg: string) => void;
}

export interface ProcessUsage {
  /** utime + stime spent during the phase, seconds. */
  cpuSeconds: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  rssPeakBytes: number;
  /** rssAfter - rssBefore. */
  rssDeltaBytes: number;
}

export interface PhaseResult {
  /** Start of the phase (first create / the patch sent) → the condition seen. */
  seconds: number;
  usage: ProcessUsage;
}

export interface WorkloadsResult {
  nodes: NodesResult;
  replicas: number;
  /** `replicas` bare pods created by the bench → all Ready. */
  barePods: PhaseResult & { createErrors: number };
  /** Deployment create → all available. */
  create: PhaseResult;
  /** Template change → all updated, available, old pods gone. */
  rollingUpdate: PhaseResult;
  note: string;
}

const BARE_NS = 'bench-bare-pods';
const DEPLOY_NS = 'bench-workloads';
const NAME = 'bench';

function clockTicks(): number {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout.trim());
  return r.status === 0 && n > 0 ? n : 100;
}

const TICKS = clockTicks();

/** utime + stime of `pid` in seconds (fields 14 and 15 of /proc/<pid>/stat). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

function vmRss(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Samples the process from now until `stop()`. */
function meter(pid: number): { stop(): ProcessUsage } {
  const cpu0 = cpuSeconds(pid);
  const rss0 = vmRss(pid);
  let peak = rss0;
  const timer = setInterval(() => { peak = Math.max(peak, vmRss(pid)); }, 250);
  return {
    stop() {
      clearInterval(timer);
      const rss1 = vmRss(pid);
      peak = Math.max(peak, rss1);
      return { cpuSeconds: cpuSeconds(pid) - cpu0, rssBeforeBytes: rss0, rssAfterBytes: rss1, rssPeakBytes: peak, rssDeltaBytes: rss1 - rss0 };
    },
  };
}

function podTemplate(rev: string): Record<string, unknown> {
  return {
    metadata: { labels: { app: NAME }, annotations: { 'bench.skiff.io/revision': rev } },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [{
        name: 'pause', image: 'registry.k8s.io/pause:3.10',
        resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '10m', memory: '16Mi' } },
      }],
    },
  };
}

async function ensureNamespace(client: ApiClient, name: string): Promise<void> {
  const res = await client.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  if (res.status !== 201 && res.status !== 409) throw new Error(`create namespace ${name}: HTTP ${res.status}: ${res.body.toString().slice(0, 300)}`);
}

/** Resolves once `done()` holds (checked on every `poke` and each second); throws after `timeoutMs` or 2 minutes without progress. */
async function waitUntil(what: string, done: () => boolean, progress: () => string, timeoutMs: number, log: (m: string) => void, wakeRef: { wake: () => void }): Promise<void> {
  const t0 = performance.now();
  let last = progress();
  let lastChange = t0;
  let lastLog = t0;
  while (!done()) {
    await new Promise<void>((r) => { wakeRef.wake = r; setTimeout(r, 1000); });
    const now = performance.now();
    const p = progress();
    if (p !== last) { last = p; lastChange = now; }
    if (now - lastLog > 10_000) { lastLog = now; log(`${what}: ${p} after ${((now - t0) / 1000).toFixed(0)} s`); }
    if (now - t0 > timeoutMs || now - lastChange > 120_000) throw new Error(`${what}: gave up at ${p}`);
  }
}

interface PodLike { metadata?: { name?: string }; status?: { conditions?: { type?: string; status?: string }[] } }

interface DeploymentLike {
  metadata?: { name?: string; generation?: number };
  status?: { observedGeneration?: number; replicas?: number; updatedReplicas?: number; availableReplicas?: number; readyReplicas?: number };
}

async function barePods(client: ApiClient, pid: number, o: WorkloadsOptions): Promise<PhaseResult & { createErrors: number }> {
  await ensureNamespace(client, BARE_NS);
  const ready = new Set<string>();
  const wakeRef = { wake: (): void => {} };
  const watcher = new CollectionWatcher<PodLike>(client, `/api/v1/namespaces/${BARE_NS}/pods`, (p) => {
    const name = p.metadata?.name;
    if (name && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && !ready.has(name)) {
      ready.add(name);
      if (ready.size >= o.replicas) wakeRef.wake();
    }
  });
  try {
    await watcher.started;
    o.log(`baseline: ${o.replicas} bare pods with ${o.concurrency} clients`);
    const m = meter(pid);
    const t0 = performance.now();
    let next = 0;
    let errors = 0;
    const tpl = podTemplate('bare');
    await Promise.all(Array.from({ length: o.concurrency }, async () => {
      while (next < o.replicas) {
        const name = `bare-${next++}`;
        const res = await client.request('POST', `/api/v1/namespaces/${BARE_NS}/pods`, {
          apiVersion: 'v1', kind: 'Pod', metadata: { ...(tpl.metadata as object), name }, spec: tpl.spec,
        });
        if (res.status !== 201) errors++;
      }
    }));
    const expected = o.replicas - errors;
    await waitUntil('bare pods Ready', () => ready.size >= expected, () => `${ready.size}/${expected} Ready`, 900_000, o.log, wakeRef);
    const seconds = (performance.now() - t0) / 1000;
    const usage = m.stop();
    o.log(`baseline: ${expected} bare pods Ready in ${seconds.toFixed(1)} s, ${usage.cpuSeconds.toFixed(1)} s CPU`);
    return { seconds, usage, createErrors: errors };
  } finally {
    await watcher.close();
  }
}

async function emptyNamespace(client: ApiClient, ns: string, log: (m: string) => void): Promise<void> {
  const res = await client.request('DELETE', `/api/v1/namespaces/${ns}/pods`);
  if (res.status !== 200) throw new Error(`deletecollection pods in ${ns}: HTTP ${res.status}`);
  const deadline = performance.now() + 600_000;
  for (;;) {
    const list = await client.request('GET', `/api/v1/namespaces/${ns}/pods?limit=1`);
    const body = JSON.parse(list.body.toString()) as { items?: unknown[] };
    if ((body.items?.length ?? 0) === 0) break;
    if (performance.now() > deadline) throw new Error(`pods left in ${ns}`);
    await sleep(500);
  }
  log(`emptied ${ns}`);
}

export async function benchWorkloads(o: WorkloadsOptions): Promise<WorkloadsResult> {
  const { server, client, result: nodes } = await startSimulatedCluster({
    nodes: o.nodes, capacity: o.capacity, concurrency: o.concurrency, timeoutMs: o.quick ? 180_000 : 600_000, log: o.log,
  });
  try {
    const pid = server.pid;
    const bare = await barePods(client, pid, o);
    await emptyNamespace(client, BARE_NS, o.log);
    await sleep(3000);

    await ensureNamespace(client, DEPLOY_NS);
    let latest: DeploymentLike | undefined;
    const wakeRef = { wake: (): void => {} };
    const watcher = new CollectionWatcher<DeploymentLike>(client, `/apis/apps/v1/namespaces/${DEPLOY_NS}/deployments`, (d) => {
      if (d.metadata?.name === NAME) { latest = d; wakeRef.wake(); }
    });
    const complete = (generation: number) => (): boolean => {
      const s = latest?.status;
      return (latest?.metadata?.generation ?? 0) >= generation && (s?.observedGeneration ?? 0) >= generation
        && s?.updatedReplicas === o.replicas && s?.availableReplicas === o.replicas && s?.replicas === o.replicas;
    };
    const progress = (): string => {
      const s = latest?.status;
      return `updated ${s?.updatedReplicas ?? 0}, available ${s?.availableReplicas ?? 0}, total ${s?.replicas ?? 0} of ${o.replicas}`;
    };
    try {
      await watcher.started;
      o.log(`create: Deployment of ${o.replicas} on ${o.nodes} nodes`);
      let m = meter(pid);
      let t0 = performance.now();
      const created = await client.json('POST', `/apis/apps/v1/namespaces/${DEPLOY_NS}/deployments`, {
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: NAME },
        spec: { replicas: o.replicas, selector: { matchLabels: { app: NAME } }, template: podTemplate('1') },
      }) as DeploymentLike;
      await waitUntil('create', complete(created.metadata?.generation ?? 1), progress, 1_200_000, o.log, wakeRef);
      const create: PhaseResult = { seconds: (performance.now() - t0) / 1000, usage: m.stop() };
      o.log(`create: all ${o.replicas} available in ${create.seconds.toFixed(1)} s, ${create.usage.cpuSeconds.toFixed(1)} s CPU`);
      await sleep(3000);

      o.log(`rolling update of ${o.replicas}`);
      m = meter(pid);
      t0 = performance.now();
      const res = await updateTemplate(client, `/apis/apps/v1/namespaces/${DEPLOY_NS}/deployments/${NAME}`, podTemplate('2'));
      await waitUntil('rolling update', complete(res.metadata?.generation ?? 2), progress, 1_200_000, o.log, wakeRef);
      const rollingUpdate: PhaseResult = { seconds: (performance.now() - t0) / 1000, usage: m.stop() };
      o.log(`rolling update: all ${o.replicas} updated and available in ${rollingUpdate.seconds.toFixed(1)} s, ${rollingUpdate.usage.cpuSeconds.toFixed(1)} s CPU`);
      return {
        nodes, replicas: o.replicas, barePods: bare, create, rollingUpdate,
        note: 'CPU and RSS are the whole skiff server process (API server, scheduler, controller manager and simulated kubelets share it): /proc/<pid>/stat utime+stime and /proc/<pid>/status VmRSS',
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

/** GET + PUT of the Deployment with a new pod template (retried on conflict). */
async function updateTemplate(client: ApiClient, path: string, template: Record<string, unknown>): Promise<DeploymentLike> {
  for (let attempt = 0; ; attempt++) {
    const current = await client.json('GET', path) as { spec: Record<string, unknown> } & DeploymentLike;
    current.spec.template = template;
    const res = await client.request('PUT', path, current);
    if (res.status === 409 && attempt < 10) continue;
    if (res.status >= 300) throw new Error(`PUT ${path}: HTTP ${res.status}: ${res.body.toString().slice(0, 300)}`);
    return JSON.parse(res.body.toString()) as DeploymentLike;
  }
}

export function workloadsMetrics(r: WorkloadsResult): Metric[] {
  const MB = 1024 * 1024;
  const n = `${r.replicas} replicas, ${r.nodes.nodes} nodes`;
  const bare = 'bare pods → Ready';
  return [
    metric({ id: 'deployment-create-available', label: `Deployment create → all available (${n})`, value: r.create.seconds, unit: 's', baseline: r.barePods.seconds, baselineLabel: bare, better: 'lower' }),
    metric({ id: 'deployment-rolling-update', label: `rolling update of all ${r.replicas}`, value: r.rollingUpdate.seconds, unit: 's', baseline: r.barePods.seconds, baselineLabel: bare, better: 'lower' }),
    metric({ id: 'deployment-create-cpu', label: '  server CPU during create', value: r.create.usage.cpuSeconds, unit: 's', baseline: r.barePods.usage.cpuSeconds, baselineLabel: `${bare} CPU`, better: 'lower' }),
    metric({ id: 'deployment-rollout-cpu', label: '  server CPU during rolling update', value: r.rollingUpdate.usage.cpuSeconds, unit: 's', baseline: r.barePods.usage.cpuSeconds, baselineLabel: `${bare} CPU`, better: 'lower' }),
    metric({ id: 'deployment-create-rss-peak', label: '  server RSS peak during create', value: r.create.usage.rssPeakBytes / MB, unit: 'MB', baseline: r.barePods.usage.rssPeakBytes / MB, baselineLabel: `${bare} RSS peak`, better: 'lower',
      note: `RSS ${(r.create.usage.rssBeforeBytes / MB).toFixed(0)} → ${(r.create.usage.rssAfterBytes / MB).toFixed(0)} MB (delta ${(r.create.usage.rssDeltaBytes / MB).toFixed(0)} MB)` }),
    metric({ id: 'deployment-rollout-rss-peak', label: '  server RSS peak during rolling update', value: r.rollingUpdate.usage.rssPeakBytes / MB, unit: 'MB', baseline: r.barePods.usage.rssPeakBytes / MB, baselineLabel: `${bare} RSS peak`, better: 'lower',
      note: `RSS ${(r.rollingUpdate.usage.rssBeforeBytes / MB).toFixed(0)} → ${(r.rollingUpdate.usage.rssAfterBytes / MB).toFixed(0)} MB (delta ${(r.rollingUpdate.usage.rssDeltaBytes / MB).toFixed(0)} MB); ${r.note}` }),
  ];
}
