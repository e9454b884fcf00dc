/**
 * Shared setup and teardown for end-to-end tests that run real pods on the embedded node agent
 * (`skiff server` without `--disable-agent`): preflight (root and the Debian packages), a server
 * with the test's own bridge, cluster CIDR, node name and kubelet port, kubectl helpers that poll
 * with deadlines, and a teardown that deletes every pod, stops the server and containerd by pid
 * and checks (and removes) every container, sandbox, network namespace, iptables chain, mount,
 * the bridge and the data dir the test made.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { freePort, startServer } from '../helpers/cluster.js';
import { startAgentProcess } from './agent-process.js';
import type { AgentProcess } from './agent-process.js';
import type { TestServer } from '../helpers/cluster.js';
import { kubectl } from '../helpers/kubectl.js';
import type { KubectlResult } from '../helpers/kubectl.js';
import { BUSYBOX_REQUIREMENT, CONTAINERD_REQUIREMENTS, checkRequirements, cniRequirements } from '../../src/node/containerd/prerequisites.js';
import { createCriClient } from '../../src/kubelet/runtime/cri/cri-client.js';
import type { HostSnapshot } from '../../src/node/containerd/host-state.js';
import {
  cleanupHost, iptablesRulesMentioning, linkExists, listIptablesChains, listMounts, listNetns, pidsWithCmdline, snapshotHost,
} from '../../src/node/containerd/host-state.js';

export interface AgentNetwork {
  bridge: string;
  secondOctet: number;
  clusterCidr: string;
  podPrefix: string;
  node: string;
}

/** A network of the test's own: `tag` keeps bridges and CIDRs of different suites apart. */
export function agentNetwork(tag: string, octetBase: number): AgentNetwork {
  const secondOctet = octetBase + (process.pid % 50);
  return {
    bridge: `sk${tag}${process.pid % 100000}`,
    secondOctet,
    clusterCidr: `10.${secondOctet}.0.0/16`,
    podPrefix: `10.${secondOctet}.0.`,
    node: `e2e-${tag}-${process.pid}`,
  };
}

export function preflight(): void {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('this end-to-end test must run as root (containerd, runc and CNI need it)');
  try {
    checkRequirements([
      ...CONTAINERD_REQUIREMENTS, ...cniRequirements('/usr/lib/cni'), BUSYBOX_REQUIREMENT,
      { program: 'iptables', debianPackage: 'iptables', what: 'iptables (CNI bridge masquerade and portmap)' },
      { program: 'ip', debianPackage: 'iproute2', what: 'the ip command' },
    ]);
  } catch (e) {
    problems.push(e instanceof Error ? e.message : String(e));
  }
  if (problems.length) assert.fail(`cannot run the node agent end-to-end test: ${problems.join('; ')}`);
}

export interface PodJson {
  metadata: { uid: string; deletionTimestamp?: string; annotations?: Record<string, string> };
  status?: {
    phase?: string; podIP?: string;
    conditions?: { type: string; status: string }[];
    initContainerStatuses?: ContainerStatusJson[];
    containerStatuses?: ContainerStatusJson[];
  };
}

export interface ContainerStatusJson {
  name: string;
  ready?: boolean;
  restartCount?: number;
  state?: { running?: object; waiting?: { reason?: string }; terminated?: { exitCode: number; reason?: string } };
  containerID?: string;
  lastState?: { terminated?: { exitCode: number; reason?: string } };
}

/** A pod with one local busybox container (`main`) running `sh -c script`, 1 s grace period. */
export function busyboxPodYaml(name: string, script: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox:1.35
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", ${JSON.stringify(script)}]
`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function chainMentions(tableChain: string, text: string): boolean {
  const [table = 'filter', chain = ''] = tableChain.split('/');
  try {
    return execFileSync('iptables', ['-w', '-t', table, '-S', chain], { encoding: 'utf8' }).includes(text);
  } catch {
    return false;
  }
}

/** Removes chains (jumps to them first). */
export function removeChains(tableChains: string[]): void {
  for (const tc of tableChains) {
    const [table = 'filter', chain = ''] = tc.split('/');
    const ipt = (args: string[]): string => execFileSync('iptables', ['-w', '-t', table, ...args], { encoding: 'utf8' });
    for (const rule of ipt(['-S']).split('\n').filter((l) => l.startsWith('-A ') && l.includes(`-j ${chain}`))) {
      try {
        ipt(['-D', ...rule.slice(3).split(' ')]);
      } catch {
        // already gone
      }
    }
    try {
      ipt(['-F', chain]);
      ipt(['-X', chain]);
    } catch {
      // already gone
    }
  }
}

/** One agent server for a test file, with kubectl helpers and a thorough teardown. */
export class AgentCluster {
  server: TestServer | undefined;
  /** A `skiff agent` joined to a `--disable-agent` server (startJoined), with its own data dir. */
  agent: AgentProcess | undefined;
  agentArgs: string[] = [];
  containerdSocket = '';
  private hostBefore: HostSnapshot | undefined;
  private readonly podUids = new Set<string>();
  /** Network namespaces of this test's sandboxes (asked from its containerd), never another suite's. */
  private readonly ourNetns = new Set<string>();

  constructor(readonly net: AgentNetwork) {}

  srv(): TestServer {
    assert.ok(this.server, 'server not started');
    return this.server;
  }

  async start(extraArgs: string[] = []): Promise<void> {
    preflight();
    assert.equal(linkExists(this.net.bridge), false, `bridge ${this.net.bridge} exists before the test`);
    this.hostBefore = snapshotHost();
    const kubeletPort = await freePort();
    this.server = await startServer({
      agent: true, timeoutMs: 90_000,
      args: [
        '--node-name', this.net.node, '--cluster-cidr', this.net.clusterCidr, '--cni-bridge', this.net.bridge,
        '--kubelet-port', String(kubeletPort), ...extraArgs,
      ],
    });
    this.containerdSocket = join(this.server.dataDir, 'containerd', 'containerd.sock');
  }

  /**
   * A control-plane-only server plus `skiff agent --server … --token …` as a separate process with
   * its own data dir, node name, bridge and kubelet port; the node IP is loopback.
   */
  async startJoined(serverArgs: string[] = [], agentArgs: string[] = []): Promise<void> {
    preflight();
    assert.equal(linkExists(this.net.bridge), false, `bridge ${this.net.bridge} exists before the test`);
    this.hostBefore = snapshotHost();
    this.server = await startServer({ args: ['--cluster-cidr', this.net.clusterCidr, ...serverArgs] });
    const dataDir = await mkdtemp(join(tmpdir(), 'skiff-e2e-agent-'));
    this.agentArgs = [
      '--server', this.server.url, '--token-file', join(this.server.dataDir, 'server', 'node-token'), '--node-name', this.net.node,
      '--node-ip', '127.0.0.1', '--cni-bridge', this.net.bridge, '--kubelet-port', String(await freePort()), ...agentArgs,
    ];
    this.containerdSocket = join(dataDir, 'containerd', 'containerd.sock');
    try {
      this.agent = await startAgentProcess(dataDir, this.agentArgs);
    } catch (err) {
      await rm(dataDir, { recursive: true, force: true }).catch(() => undefined);
      throw err;
    }
  }

  /** Stops the joined agent (SIGTERM) and starts it again with the same arguments and data dir. */
  async restartAgent(): Promise<void> {
    assert.ok(this.agent, 'no joined agent');
    const exit = await this.agent.stop('SIGTERM');
    assert.equal(exit.code, 0, `agent exited with ${JSON.stringify(exit)}:\n${this.agent.logs().slice(-3000)}`);
    this.agent = await startAgentProcess(this.agent.dataDir, this.agentArgs);
  }

  /** The data dir of the node's containerd and kubelet. */
  nodeDataDir(): string {
    return this.agent?.dataDir ?? this.srv().dataDir;
  }

  k(args: string[], timeoutMs = 60_000, input?: string): Promise<KubectlResult> {
    return kubectl(this.srv(), args, { timeoutMs, input });
  }

  async ok(args: string[], timeoutMs?: number, input?: string): Promise<string> {
    const r = await this.k(args, timeoutMs, input);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  }

  apply(manifest: string): Promise<string> {
    return this.ok(['apply', '-f', '-'], 60_000, manifest);
  }

  async pod(name: string): Promise<PodJson | undefined> {
    const r = await this.k(['get', 'pod', name, '-o', 'json']);
    if (r.code !== 0) return undefined;
    const p = JSON.parse(r.stdout) as PodJson;
    this.podUids.add(p.metadata.uid);
    return p;
  }

  async waitPod(name: string, pred: (p: PodJson) => boolean, timeoutMs = 60_000): Promise<PodJson> {
    const end = Date.now() + timeoutMs;
    let last: PodJson | undefined;
    while (Date.now() < end) {
      last = await this.pod(name);
      if (last && pred(last)) return last;
      await sleep(250);
    }
    assert.fail(`pod ${name} did not reach the expected state; last: ${JSON.stringify(last?.status)}\n${this.srv().logs().slice(-3000)}`);
  }

  /** Polls `kubectl args` until its stdout matches `re`; returns that stdout. */
  async waitOutput(args: string[], re: RegExp, timeoutMs = 60_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < end) {
      const r = await this.k(args);
      last = `${r.stdout}${r.stderr}`;
      if (r.code === 0 && re.test(r.stdout)) return r.stdout;
      await sleep(500);
    }
    assert.fail(`kubectl ${args.join(' ')} never matched ${re}; last:\n${last}\n${this.srv().logs().slice(-3000)}`);
  }

  /** The events of the object `name` (in `namespace`, default the current one), one `<type> <reason> <message>` a line. */
  async eventLines(name: string, namespace?: string): Promise<string> {
    return this.ok([...(namespace ? ['-n', namespace] : []), 'get', 'events', '--field-selector', `involvedObject.name=${name}`,
      '-o', 'jsonpath={range .items[*]}{.type} {.reason} {.message}{"\\n"}{end}']);
  }

  /** Polls the events of `name` until one line matches `re`; returns them all. */
  async waitEvent(name: string, re: RegExp, opts: { namespace?: string; timeoutMs?: number } = {}): Promise<string> {
    const end = Date.now() + (opts.timeoutMs ?? 60_000);
    let last = '';
    while (Date.now() < end) {
      last = await this.eventLines(name, opts.namespace);
      if (re.test(last)) return last;
      await sleep(500);
    }
    assert.fail(`no event matching ${re} for ${name}; events:\n${last}`);
  }

  ctrContainers(): string[] {
    if (!this.containerdSocket || !existsSync(this.containerdSocket)) return [];
    return execFileSync('ctr', ['-a', this.containerdSocket, '-n', 'k8s.io', 'containers', 'ls', '-q'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  }

  async recordNetns(): Promise<void> {
    const client = createCriClient({ endpoint: this.containerdSocket, defaultTimeoutMs: 5_000 });
    try {
      const { items } = await client.runtime('ListPodSandbox', {});
      for (const sb of items) {
        const res = await client.runtime('PodSandboxStatus', { podSandboxId: sb.id, verbose: true });
        for (const m of JSON.stringify(res.info).matchAll(/\/var\/run\/netns\/([\w-]+)/g)) if (m[1]) this.ourNetns.add(m[1]);
      }
    } finally {
      client.close();
    }
  }

  /** Deletes every pod and job, stops server and containerd, checks and cleans the host; returns problems. */
  async teardown(): Promise<string[]> {
    const problems: string[] = [];
    const server = this.server;
    if (server) {
      await this.recordNetns().catch(() => undefined);
      await this.k(['delete', 'jobs', '--all', '--wait=false'], 30_000).catch(() => undefined);
      const r = await this.k(['delete', 'pod', '--all', '--wait=true', '--timeout=90s'], 120_000)
        .catch((e: unknown) => ({ code: 1, stdout: '', stderr: String(e) }));
      if (r.code !== 0) problems.push(`deleting pods: ${r.stderr}\n${server.logs().slice(-6000)}`);
      const end = Date.now() + 30_000;
      let left: string[] = [];
      try {
        while (Date.now() < end && (left = this.ctrContainers()).length > 0) await sleep(250);
      } catch (e) {
        problems.push(`listing containers: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (left.length) problems.push(`containers left: ${left.join(', ')}`);
      let containerdPid = 0;
      const pidFile = join(this.nodeDataDir(), 'containerd', 'containerd.pid');
      if (existsSync(pidFile)) containerdPid = Number(readFileSync(pidFile, 'utf8').trim());
      if (this.agent) {
        const agentPid = this.agent.pid;
        const agentExit = await this.agent.stop('SIGTERM');
        if (agentExit.code !== 0) problems.push(`agent exited with ${JSON.stringify(agentExit)}`);
        if (alive(agentPid)) problems.push(`agent ${agentPid} still running`);
      }
      const serverPid = server.pid;
      const exit = await server.stop('SIGTERM');
      if (exit.code !== 0) problems.push(`server exited with ${JSON.stringify(exit)}`);
      if (alive(serverPid)) problems.push(`server ${serverPid} still running`);
      if (containerdPid && alive(containerdPid)) {
        problems.push(`containerd ${containerdPid} still running after the server stopped`);
        process.kill(containerdPid, 'SIGKILL');
      }
    }
    if (this.hostBefore && server) {
      const dataDir = this.nodeDataDir();
      const newNetns = listNetns().filter((n) => this.ourNetns.has(n));
      if (newNetns.length) problems.push(`network namespaces left: ${newNetns.join(', ')}`);
      const leftMounts = listMounts(dataDir);
      if (leftMounts.length) problems.push(`mounts left: ${leftMounts.join(', ')}`);
      const shims = pidsWithCmdline(this.containerdSocket);
      if (shims.length) problems.push(`shim processes left: ${shims.join(', ')}`);
      const chainsBefore = new Set(this.hostBefore.chains);
      const newChains = listIptablesChains().filter((c) => !chainsBefore.has(c) && c.includes('/CNI-') && chainMentions(c, this.net.podPrefix));
      if (newChains.length) {
        problems.push(`iptables chains left: ${newChains.join(', ')}`);
        removeChains(newChains);
      }
      const rules = iptablesRulesMentioning(this.net.podPrefix);
      if (rules.length) problems.push(`iptables rules for the pod CIDR left: ${rules.join(' | ')}`);
      const podLogDirs = existsSync('/var/log/pods') ? readdirSync('/var/log/pods') : [];
      for (const uid of this.podUids) {
        for (const d of podLogDirs) {
          if (d.endsWith(`_${uid}`)) {
            problems.push(`pod log directory left: ${d}`);
            rmSync(join('/var/log/pods', d), { recursive: true, force: true });
          }
        }
      }
      const report = cleanupHost({
        before: this.hostBefore, mountRoots: [dataDir], processMarker: this.containerdSocket, links: [this.net.bridge], netns: newNetns,
        chainPrefix: `CNI-none-of-${process.pid}-`,
      });
      process.stderr.write(`# cleanup removed: ${JSON.stringify(report)}\n`);
      if (linkExists(this.net.bridge)) problems.push(`bridge ${this.net.bridge} could not be removed`);
      if (listMounts(dataDir).length) problems.push(`kept ${dataDir} because of mounts`);
      else {
        await server.cleanup();
        if (this.agent) await rm(dataDir, { recursive: true, force: true });
      }
      if (existsSync(dataDir)) problems.push(`data dir ${dataDir} left`);
    }
    return problems;
  }
}
