/**
 * Pod startup on the real node agent (`skiff server` without `--disable-agent`), issue 5's
 * Benchmarks: create → phase Running as seen by a watch, over N busybox:1.35 pods (image present,
 * IfNotPresent, `sleep 3600`), beside two baselines against the same private containerd in the
 * same run, taken in turns: bare `ctr run -d` of the same image (no sandbox, no CNI) and a bare CRI
 * pod (RunPodSandbox + CreateContainer + StartContainer through our CRI client, bench/bare-cri-pod.ts:
 * the part of a pod's start containerd, the pause sandbox and the CNI plugins take). The watch also
 * gives a breakdown per pod: create → bound (scheduler), → first kubelet status (the kubelet has
 * the pod), → Running. Then, with the pods idle, the server's VmRSS and CPU time
 * (utime+stime) over an idle window. The agent runs inside the server process, so those are the
 * server's figures (containerd and the shims are separate processes, reported apart).
 *
 * Uses test/e2e/node-agent-support.ts's AgentCluster for start and teardown (own bridge
 * `skbench<pid%1000>`, CIDR 10.2xx.0.0/16, node name, kubelet port; teardown deletes the pods,
 * stops server and containerd by pid and removes containers, netns, chains, mounts, bridge, dir).
 * Needs root.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AgentCluster } from '../test/e2e/node-agent-support.js';
import type { AgentNetwork } from '../test/e2e/node-agent-support.js';
import { ApiClient } from './api-client.js';
import { bareCriPods } from './bare-cri-pod.js';
import type { BareCriPodTiming } from './bare-cri-pod.js';
import { onCleanup } from './cleanup.js';
import { metric } from './report.js';
import type { Metric } from './report.js';
import { median, percentile, round, sleep } from './stats.js';

const IMAGE = 'docker.io/library/busybox:1.35';
const MB = 1024 * 1024;

export interface PodStartupOptions {
  pods: number;
  concurrency: number;
  bareRuns: number;
  idleMs: number;
  log: (msg: string) => void;
}

export interface PodStartupResult {
  pods: number;
  concurrency: number;
  podMs: number[];
  podP50Ms: number;
  podP99Ms: number;
  podMaxMs: number;
  bareMs: number[];
  bareP50Ms: number;
  bareP99Ms: number;
  /** Bare CRI pods (sandbox + create + start), totals and per-call medians. */
  bareCriMs: number[];
  bareCriP50Ms: number;
  bareCriP99Ms: number;
  bareCriStepsP50Ms: { sandbox: number; create: number; start: number };
  /** Medians from the watch, ms after the create request was sent. */
  phasesP50Ms: { bound: number; kubeletStatus: number; running: number };
  /** Server process (API server + embedded agent) with the pods idle. */
  serverRssBytes: number;
  serverCpuMs: number;
  idleMs: number;
  containerdRssBytes: number;
  teardownProblems: string[];
}

function procStatus(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** utime+stime in ms (/proc/<pid>/stat fields 14 and 15, clock ticks). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ((Number(rest[11]) + Number(rest[12])) * 1000) / ticks;
}

function ctr(sock: string, args: string[]): void {
  const r = spawnSync('ctr', ['-a', sock, '-n', 'k8s.io', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ctr ${args.join(' ')}: ${r.stderr}`);
}

function removeBare(sock: string, id: string): void {
  spawnSync('ctr', ['-a', sock, '-n', 'k8s.io', 'task', 'kill', '-s', 'SIGKILL', id]);
  for (let i = 0; i < 50; i++) {
    const r = spawnSync('ctr', ['-a', sock, '-n', 'k8s.io', 'task', 'rm', '-f', id], { encoding: 'utf8' });
    if (r.status === 0 || /not found/.test(r.stderr)) break;
    spawnSync('sleep', ['0.1']);
  }
  spawnSync('ctr', ['-a', sock, '-n', 'k8s.io', 'container', 'rm', id]);
}

/** Bare runtime: `ctr run -d` returns once the task has started; timed spawn → return. */
function bareCtrRun(sock: string, id: string): number {
  const t0 = performance.now();
  try {
    ctr(sock, ['run', '-d', IMAGE, id, 'sleep', '3600']);
    return performance.now() - t0;
  } finally {
    removeBare(sock, id);
  }
}

/** Both baselines, in turns (ctr, CRI pod, ctr, ...), after one unmeasured warm-up of each. */
async function baselines(sock: string, n: number): Promise<{ ctr: number[]; cri: BareCriPodTiming[] }> {
  const cri = bareCriPods(sock, IMAGE);
  const out = { ctr: [] as number[], cri: [] as BareCriPodTiming[] };
  try {
    for (let i = -1; i < n; i++) {
      const ms = bareCtrRun(sock, `bench-${process.pid}-${i + 1}`);
      const t = await cri.run();
      if (i < 0) continue;
      out.ctr.push(ms);
      out.cri.push(t);
    }
  } finally {
    cri.close();
  }
  return out;
}

function podManifest(name: string): unknown {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { app: 'skiff-bench' } },
    spec: {
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }],
    },
  };
}

export async function benchPodStartup(o: PodStartupOptions): Promise<PodStartupResult> {
  const secondOctet = 200 + (process.pid % 50);
  const net: AgentNetwork = {
    bridge: `skbench${process.pid % 1000}`, secondOctet, clusterCidr: `10.${secondOctet}.0.0/16`,
    podPrefix: `10.${secondOctet}.0.`, node: `bench-${process.pid}`,
  };
  const cluster = new AgentCluster(net);
  const podDirs: string[] = [];
  let tornDown = false;
  let teardownProblems: string[] = [];
  const teardown = async (): Promise<void> => {
    if (tornDown) return;
    tornDown = true;
    o.log('pods: teardown (delete pods, stop server and containerd, clean host)');
    teardownProblems = await cluster.teardown();
    for (const d of podDirs) if (existsSync(d)) rmSync(d, { recursive: true, force: true });
    if (teardownProblems.length) o.log(`pods: teardown problems: ${teardownProblems.join('; ')}`);
  };
  const runTeardown = onCleanup(teardown);
  try {
    o.log(`pods: starting agent server (bridge ${net.bridge}, CIDR ${net.clusterCidr})`);
    await cluster.start();
    const srv = cluster.srv();
    const sock = cluster.containerdSocket;
    const client = new ApiClient(srv.port, srv.dataDir, o.concurrency + 2);
    try {
      // Node Ready first, so the first pod does not pay for node registration.
      const end = Date.now() + 90_000;
      for (;;) {
        const node = await client.json('GET', `/api/v1/nodes/${net.node}`).catch(() => undefined) as { status?: { conditions?: { type: string; status: string }[] } } | undefined;
        if (node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) break;
        if (Date.now() > end) throw new Error(`node ${net.node} not Ready within 90 s`);
        await sleep(200);
      }
      o.log(`pods: bare ctr run -d and bare CRI pod ×${o.bareRuns} each, in turns (+1 warm-up)`);
      const base = await baselines(sock, o.bareRuns);
      const bare = base.ctr;
      const bareCri = base.cri.map((t) => t.totalMs);
      o.log(`pods: bare ctr ${bare.map((b) => b.toFixed(0)).join(', ')} ms`);
      o.log(`pods: bare CRI pod ${base.cri.map((t) => `${t.totalMs.toFixed(0)} (${t.sandboxMs.toFixed(0)}+${t.createMs.toFixed(0)}+${t.startMs.toFixed(0)})`).join(', ')} ms`);

      const createdAt = new Map<string, number>();
      const runningAt = new Map<string, number>();
      const boundAt = new Map<string, number>();
      const kubeletAt = new Map<string, number>();
      const waiters = new Map<string, () => void>();
      const watch = await client.watch('/api/v1/namespaces/default/pods?watch=true', (line, at) => {
        const obj = line.object as { metadata?: { name?: string }; spec?: { nodeName?: string }; status?: { phase?: string; containerStatuses?: unknown[] } };
        const name = obj.metadata?.name;
        if (!name) return;
        if (obj.spec?.nodeName && !boundAt.has(name)) boundAt.set(name, at);
        if (obj.status?.containerStatuses && !kubeletAt.has(name)) kubeletAt.set(name, at);
        if (obj.status?.phase !== 'Running' || runningAt.has(name)) return;
        runningAt.set(name, at);
        waiters.get(name)?.();
      });
      try {
        const names = Array.from({ length: o.pods }, (_, i) => `bench-pod-${i}`);
        let next = 0;
        const worker = async (): Promise<void> => {
          while (next < names.length) {
            const name = names[next++];
            const running = new Promise<void>((r) => waiters.set(name, r));
            createdAt.set(name, performance.now());
            const created = await client.json('POST', '/api/v1/namespaces/default/pods', podManifest(name)) as { metadata: { uid: string } };
            podDirs.push(join('/var/log/pods', `default_${name}_${created.metadata.uid}`));
            let timer: NodeJS.Timeout | undefined;
            const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`pod ${name} not Running within 120 s`)), 120_000); });
            try {
              await Promise.race([running, timeout]);
            } finally {
              clearTimeout(timer);
            }
          }
        };
        o.log(`pods: creating ${o.pods} pods, ${o.concurrency} at a time`);
        await Promise.all(Array.from({ length: o.concurrency }, worker));
        const since = (at: Map<string, number>): number[] => names.map((n) => (at.get(n) ?? NaN) - (createdAt.get(n) ?? NaN));
        const podMs = since(runningAt);
        const phasesP50Ms = { bound: median(since(boundAt)), kubeletStatus: median(since(kubeletAt)), running: median(podMs) };
        o.log(`pods: p50 ${percentile(podMs, 50).toFixed(0)} ms, p99 ${percentile(podMs, 99).toFixed(0)} ms`);
        o.log(`pods: medians after create: bound ${phasesP50Ms.bound.toFixed(1)} ms, first kubelet status ${phasesP50Ms.kubeletStatus.toFixed(1)} ms, Running ${phasesP50Ms.running.toFixed(1)} ms`);

        o.log(`pods: ${o.pods} pods idle; measuring server RSS and CPU over ${o.idleMs / 1000} s`);
        await sleep(2000);
        const cpu0 = cpuMs(srv.pid);
        const t0 = performance.now();
        await sleep(o.idleMs);
        const cpu1 = cpuMs(srv.pid);
        const idleMs = performance.now() - t0;
        const serverRssBytes = procStatus(srv.pid, 'VmRSS');
        const pidFile = join(srv.dataDir, 'containerd', 'containerd.pid');
        const containerdRssBytes = existsSync(pidFile) ? procStatus(Number(readFileSync(pidFile, 'utf8').trim()), 'VmRSS') : NaN;
        o.log(`pods: server VmRSS ${(serverRssBytes / MB).toFixed(1)} MB, CPU ${(cpu1 - cpu0).toFixed(0)} ms in ${(idleMs / 1000).toFixed(1)} s`);
        const result: PodStartupResult = {
          pods: o.pods, concurrency: o.concurrency,
          podMs: podMs.map((m) => round(m, 1)), podP50Ms: percentile(podMs, 50), podP99Ms: percentile(podMs, 99), podMaxMs: Math.max(...podMs),
          bareMs: bare.map((m) => round(m, 1)), bareP50Ms: median(bare), bareP99Ms: percentile(bare, 99),
          bareCriMs: bareCri.map((m) => round(m, 1)), bareCriP50Ms: median(bareCri), bareCriP99Ms: percentile(bareCri, 99),
          bareCriStepsP50Ms: {
            sandbox: round(median(base.cri.map((t) => t.sandboxMs)), 1), create: round(median(base.cri.map((t) => t.createMs)), 1),
            start: round(median(base.cri.map((t) => t.startMs)), 1),
          },
          phasesP50Ms: { bound: round(phasesP50Ms.bound, 1), kubeletStatus: round(phasesP50Ms.kubeletStatus, 1), running: round(phasesP50Ms.running, 1) },
          serverRssBytes, serverCpuMs: cpu1 - cpu0, idleMs, containerdRssBytes, teardownProblems: [],
        };
        watch.close();
        client.close();
        await runTeardown();
        result.teardownProblems = teardownProblems;
        return result;
      } finally {
        watch.close();
      }
    } finally {
      client.close();
    }
  } finally {
    await runTeardown();
  }
}

export function podStartupMetrics(r: PodStartupResult): Metric[] {
  const goalP99 = r.podP99Ms < 1000 && r.podP99Ms < 1.5 * r.bareP99Ms;
  const idleS = r.idleMs / 1000;
  return [
    metric({ id: 'pod-startup-p50', label: `pod create → Running (watch) p50, ${r.pods} pods, ${r.concurrency} at a time`, value: r.podP50Ms, unit: 'ms', baseline: r.bareP50Ms, baselineLabel: `ctr run -d ×${r.bareMs.length}`, better: 'lower' }),
    metric({ id: 'pod-startup-p99', label: `pod create → Running (watch) p99, ${r.pods} pods`, value: r.podP99Ms, unit: 'ms', baseline: r.bareP99Ms, baselineLabel: `ctr run -d ×${r.bareMs.length}`, better: 'lower', goal: '< 1000 ms and < 1.5x', pass: goalP99 }),
    metric({
      id: 'pod-startup-p50-vs-cri', label: 'pod create → Running (watch) p50 vs bare CRI pod', value: r.podP50Ms, unit: 'ms', baseline: r.bareCriP50Ms,
      baselineLabel: `CRI sandbox+create+start ×${r.bareCriMs.length}`, better: 'lower',
      note: `bare CRI pod medians: RunPodSandbox ${r.bareCriStepsP50Ms.sandbox} ms, CreateContainer ${r.bareCriStepsP50Ms.create} ms, StartContainer ${r.bareCriStepsP50Ms.start} ms; `
        + `pods, medians after create: bound ${r.phasesP50Ms.bound} ms, first kubelet status ${r.phasesP50Ms.kubeletStatus} ms, Running ${r.phasesP50Ms.running} ms`,
    }),
    metric({ id: 'pod-startup-p99-vs-cri', label: `pod create → Running (watch) p99 vs bare CRI pod`, value: r.podP99Ms, unit: 'ms', baseline: r.bareCriP99Ms, baselineLabel: `CRI sandbox+create+start ×${r.bareCriMs.length}`, better: 'lower' }),
    metric({ id: 'agent-rss', label: `server+agent VmRSS, ${r.pods} idle pods`, value: r.serverRssBytes / MB, unit: 'MB', better: 'lower', note: `one process (API server with the embedded agent); containerd separately ${(r.containerdRssBytes / MB).toFixed(1)} MB` }),
    metric({ id: 'agent-cpu', label: `server+agent CPU over ${idleS.toFixed(0)} s idle, ${r.pods} pods`, value: (r.serverCpuMs / r.idleMs) * 100, unit: '% of a core', better: 'lower', note: `utime+stime ${r.serverCpuMs.toFixed(0)} ms in ${idleS.toFixed(1)} s` }),
  ];
}
