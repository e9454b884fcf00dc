/**
 * The `simulated` runtime: sandboxes and containers live in memory (like kubemark's hollow nodes
 * or KWOK), pod IPs come from the node's pod CIDR, and nothing runs. A container starts after a
 * configurable delay and runs until stopped, unless the pod's annotations (passed by the kubelet
 * as sandbox annotations, as upstream does) say otherwise:
 *
 * | annotation | meaning |
 * | --- | --- |
 * | `sim.skiff.io/exit-code` | app containers exit with this code (default 0 once `exit-after` is set) |
 * | `sim.skiff.io/exit-after` | app containers exit this long after starting (`2s`, `500ms`, `1m`; default 0 once `exit-code` is set) |
 * | `sim.skiff.io/exit-code.<container>`, `sim.skiff.io/exit-after.<container>` | the same for one container (init containers too) |
 * | `sim.skiff.io/ignore-sigterm` (`true`, or `.<container>`) | on stop, exit 137 only after the grace period instead of 143 at once |
 * | `sim.skiff.io/start-delay` (`.<container>`) | start delay instead of the runtime's default |
 * | `sim.skiff.io/probe-fail` (`.<container>`) | comma list of `liveness`, `readiness`, `startup` probes that fail |
 * | `sim.skiff.io/cpu-usage`, `sim.skiff.io/memory-usage` (`.<container>`) | what `/stats/summary` reports a running container uses (see `stats/simulated-summary.ts`) |
 *
 * Init containers (non-sidecar) exit 0 right after starting unless their own `.<name>` annotation
 * says otherwise. Cost: one object per sandbox and container and a timer-queue entry only for a
 * container with a pending start, exit or kill; no Node timers of its own.
 */
import { randomBytes } from 'node:crypto';
import type { TimerHandle, TimerQueue } from '../timer-queue.js';
import { parseDuration } from '../duration.js';
import { cidrSize, numberToIpv4, parseCidr } from '../ip-range.js';
import type { Prober, ProbeOutcome, ProbeRequest, ProbeType } from '../prober/prober.js';
import { ANNOTATION_CONTAINER_TYPE, RuntimeError, msToNs } from './runtime.js';
import type {
  Container, ContainerEvent, ContainerEventListener, ContainerEventType, ContainerFilter, ContainerState, ContainerStatusResponse,
  CreateContainerRequest, ExecSyncRequest, ExecSyncResponse, ImageSpec, Labels, PodSandbox, PodSandboxFilter, PodSandboxMetadata,
  PodSandboxState, PodSandboxStatus, PodSandboxStatusResponse, RunPodSandboxRequest, RuntimeService, StreamingRuntime, VersionResponse,
} from './runtime.js';

export const SIM_PREFIX = 'sim.skiff.io/';
export const ANNOTATION_EXIT_CODE = 'sim.skiff.io/exit-code';
export const ANNOTATION_EXIT_AFTER = 'sim.skiff.io/exit-after';
export const ANNOTATION_IGNORE_SIGTERM = 'sim.skiff.io/ignore-sigterm';
export const ANNOTATION_START_DELAY = 'sim.skiff.io/start-delay';
export const ANNOTATION_PROBE_FAIL = 'sim.skiff.io/probe-fail';
export { ANNOTATION_CONTAINER_TYPE };

export const SIMULATED_RUNTIME_NAME = 'simulated';
export const SIMULATED_RUNTIME_VERSION = '1.0.0';

export interface SimulatedRuntimeOptions {
  timers: TimerQueue;
  /** This node's pod CIDR, e.g. `10.42.3.0/24`; `.1` is the gateway, pods get `.2` onwards. */
  podCidr: string;
  /** Default delay between StartContainer and the container running (ms); default 0. */
  startDelayMs?: number;
}

export interface SimulatedRuntime extends RuntimeService, StreamingRuntime {
  /** Sandboxes and containers currently held (for tests and stats). */
  counts(): { sandboxes: number; containers: number; running: number; ips: number };
  /** The simulated prober for this runtime: probes succeed unless `sim.skiff.io/probe-fail` lists them. */
  readonly prober: Prober;
}

interface SimSandbox {
  id: string;
  metadata: PodSandboxMetadata;
  state: PodSandboxState;
  createdAt: number;
  ip: string;
  labels: Labels;
  annotations: Labels;
  runtimeHandler: string;
  containers: Set<string>;
}

interface SimContainer {
  id: string;
  sandbox: SimSandbox;
  name: string;
  attempt: number;
  image: string;
  imageRef: string;
  userImage: string;
  labels: Labels;
  annotations: Labels;
  logPath: string;
  state: ContainerState;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  reason: string;
  /** Pending start or planned exit. */
  timer: TimerHandle | undefined;
  /** Pending SIGKILL after a stop's grace period. */
  killTimer: TimerHandle | undefined;
  killAt: number;
  waiters: (() => void)[] | undefined;
}

/** Simulated containers run no processes: there is nothing to stream from or forward to. */
function streamingUnsupported(what: string): Promise<never> {
  return Promise.reject(new RuntimeError('FailedPrecondition', `${what} is not supported by the simulated runtime: its containers run no processes`));
}

/** The annotation for one container: `<key>.<container>` wins over `<key>` (when pod-wide applies). */
export function annotationFor(annotations: Labels, key: string, container: string, podWide: boolean): string | undefined {
  const own = annotations[`${key}.${container}`];
  if (own !== undefined) return own;
  return podWide ? annotations[key] : undefined;
}

/** Whether the pod's annotations make this probe fail (`sim.skiff.io/probe-fail[.<container>]`). */
export function simulatedProbeFails(annotations: Labels, container: string, probeType: ProbeType): boolean {
  const value = annotationFor(annotations, ANNOTATION_PROBE_FAIL, container, true);
  if (!value) return false;
  return value.split(',').map((s) => s.trim().toLowerCase()).includes(probeType);
}

export interface ExitPlan {
  /** ms after start; undefined = runs until stopped */
  exitAfterMs: number | undefined;
  exitCode: number;
}

/** What a container with these sandbox annotations does once started. */
export function simulatedExitPlan(annotations: Labels, container: string, type: string | undefined): ExitPlan {
  const podWide = type !== 'init';
  const codeText = annotationFor(annotations, ANNOTATION_EXIT_CODE, container, podWide);
  const afterText = annotationFor(annotations, ANNOTATION_EXIT_AFTER, container, podWide);
  const code = codeText !== undefined && /^-?\d+$/.test(codeText.trim()) ? Number(codeText.trim()) & 255 : undefined;
  const after = afterText !== undefined ? parseDuration(afterText) : undefined;
  if (code === undefined && after === undefined) {
    return type === 'init' ? { exitAfterMs: 0, exitCode: 0 } : { exitAfterMs: undefined, exitCode: 0 };
  }
  return { exitAfterMs: after ?? 0, exitCode: code ?? 0 };
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && ['true', '1', 'yes', ''].includes(v.trim().toLowerCase());
}

function matches(labels: Labels, selector: Labels | undefined): boolean {
  if (!selector) return true;
  for (const k in selector) if (labels[k] !== selector[k]) return false;
  return true;
}

const imageCache = new Map<string, { image: string; ref: string }>();

/** `busybox` → `docker.io/library/busybox:latest` and a stable fake digest, as containerd reports them. */
function normalizeImage(userImage: string): { image: string; ref: string } {
  let hit = imageCache.get(userImage);
  if (hit) return hit;
  let name = userImage;
  let digest = '';
  const at = name.indexOf('@');
  if (at >= 0) {
    digest = name.slice(at + 1);
    name = name.slice(0, at);
  }
  const slash = name.indexOf('/');
  const first = slash >= 0 ? name.slice(0, slash) : '';
  if (slash < 0) name = `docker.io/library/${name}`;
  else if (!first.includes('.') && !first.includes(':') && first !== 'localhost') name = `docker.io/${name}`;
  const lastPart = name.slice(name.lastIndexOf('/') + 1);
  if (!lastPart.includes(':') && !digest) name = `${name}:latest`;
  const repo = name.replace(/:[^/:]*$/, '');
  if (!digest) {
    let h = 0x811c9dc5;
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
    digest = `sha256:${h.toString(16).padStart(8, '0').repeat(8)}`;
  }
  hit = { image: name, ref: `${repo}@${digest}` };
  if (imageCache.size > 10_000) imageCache.clear();
  imageCache.set(userImage, hit);
  return hit;
}

function newId(): string {
  return randomBytes(16).toString('hex');
}

export function createSimulatedRuntime(opts: SimulatedRuntimeOptions): SimulatedRuntime {
  const { timers } = opts;
  const defaultStartDelay = opts.startDelayMs ?? 0;
  const cidr = parseCidr(opts.podCidr);
  const size = cidrSize(cidr);
  // Usable pod addresses: network+2 .. broadcast-1 (network+1 is the bridge gateway).
  const firstHost = 2;
  const lastHost = size - 2;
  const used = new Uint8Array(size);
  let cursor = firstHost;
  let ipsInUse = 0;
  const sandboxes = new Map<string, SimSandbox>();
  const containers = new Map<string, SimContainer>();
  const listeners = new Set<ContainerEventListener>();

  function allocateIp(): string {
    const span = lastHost - firstHost + 1;
    for (let i = 0; i < span; i++) {
      const off = firstHost + ((cursor - firstHost + i) % span);
      if (!used[off]) {
        used[off] = 1;
        ipsInUse++;
        cursor = off + 1 > lastHost ? firstHost : off + 1;
        return numberToIpv4(cidr.base + off);
      }
    }
    throw new RuntimeError('Unavailable', `failed to allocate an IP address for the sandbox: range ${opts.podCidr} is full`);
  }

  function releaseIp(ip: string): void {
    if (!ip) return;
    const parts = ip.split('.').map(Number);
    const n = ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
    const off = n - cidr.base;
    if (off >= 0 && off < size && used[off]) {
      used[off] = 0;
      ipsInUse--;
    }
  }

  function sandboxStatus(sb: SimSandbox): PodSandboxStatus {
    return {
      id: sb.id, metadata: { ...sb.metadata }, state: sb.state, createdAt: sb.createdAt,
      network: { ip: sb.ip, additionalIps: [] }, labels: { ...sb.labels }, annotations: { ...sb.annotations },
      runtimeHandler: sb.runtimeHandler,
    };
  }

  function emit(c: SimContainer, type: ContainerEventType): void {
    if (listeners.size === 0) return;
    const event: ContainerEvent = { containerId: c.id, containerEventType: type, createdAt: msToNs(timers.now()), podSandboxStatus: sandboxStatus(c.sandbox) };
    queueMicrotask(() => {
      for (const l of listeners) {
        try {
          l(event);
        } catch {
          // a listener's failure is its own
        }
      }
    });
  }

  function getSandbox(id: string): SimSandbox {
    const sb = sandboxes.get(id);
    if (!sb) throw new RuntimeError('NotFound', `an error occurred when try to find sandbox: not found: ${id}`);
    return sb;
  }

  function getContainer(id: string): SimContainer {
    const c = containers.get(id);
    if (!c) throw new RuntimeError('NotFound', `an error occurred when try to find container ${JSON.stringify(id)}: not found`);
    return c;
  }

  function settle(c: SimContainer): void {
    const w = c.waiters;
    c.waiters = undefined;
    if (w) for (const f of w) f();
  }

  function exit(c: SimContainer, code: number): void {
    if (c.state === 'CONTAINER_EXITED') return;
    c.timer?.cancel();
    c.timer = undefined;
    c.killTimer?.cancel();
    c.killTimer = undefined;
    c.state = 'CONTAINER_EXITED';
    c.exitCode = code;
    c.reason = code === 0 ? 'Completed' : 'Error';
    c.finishedAt = msToNs(timers.now());
    if (!c.startedAt) c.startedAt = c.finishedAt;
    c.killAt = 0;
    settle(c);
    emit(c, 'CONTAINER_STOPPED_EVENT');
  }

  function run(c: SimContainer): void {
    c.timer = undefined;
    if (c.state !== 'CONTAINER_CREATED') return;
    c.state = 'CONTAINER_RUNNING';
    c.startedAt = msToNs(timers.now());
    settle(c);
    emit(c, 'CONTAINER_STARTED_EVENT');
    const plan = simulatedExitPlan(c.sandbox.annotations, c.name, c.annotations[ANNOTATION_CONTAINER_TYPE]);
    if (plan.exitAfterMs !== undefined) {
      const code = plan.exitCode;
      c.timer = timers.after(plan.exitAfterMs, () => {
        c.timer = undefined;
        exit(c, code);
      });
    }
  }

  function waitFor(c: SimContainer): Promise<void> {
    return new Promise((resolve) => {
      (c.waiters ??= []).push(resolve);
    });
  }

  function stop(c: SimContainer, timeoutS: number): Promise<void> {
    if (c.state === 'CONTAINER_EXITED') return Promise.resolve();
    if (c.state === 'CONTAINER_CREATED' || c.state === 'CONTAINER_UNKNOWN') {
      // Never started (or still in its start delay): it simply never runs.
      c.timer?.cancel();
      c.timer = undefined;
      exit(c, 137);
      return Promise.resolve();
    }
    const ignores = truthy(annotationFor(c.sandbox.annotations, ANNOTATION_IGNORE_SIGTERM, c.name, true));
    if (!ignores || timeoutS <= 0) {
      exit(c, ignores ? 137 : 143);
      return Promise.resolve();
    }
    const killAt = timers.now() + timeoutS * 1000;
    if (!c.killTimer || killAt < c.killAt) {
      // SIGKILL at killAt unless the container exits on its own (a planned exit) first.
      c.killTimer?.cancel();
      c.killAt = killAt;
      c.killTimer = timers.at(killAt, () => {
        c.killTimer = undefined;
        exit(c, 137);
      });
    }
    return waitFor(c);
  }

  function toContainer(c: SimContainer): Container {
    return {
      id: c.id, podSandboxId: c.sandbox.id, metadata: { name: c.name, attempt: c.attempt },
      image: { image: c.image, userSpecifiedImage: c.userImage }, imageRef: c.imageRef, state: c.state,
      createdAt: c.createdAt, labels: { ...c.labels }, annotations: { ...c.annotations },
    };
  }

  const prober: Prober = {
    async probe(req: ProbeRequest): Promise<ProbeOutcome> {
      const c = containers.get(req.containerId);
      if (!c || c.state !== 'CONTAINER_RUNNING') return { success: false, output: `container ${req.containerId} is not running` };
      if (simulatedProbeFails(c.sandbox.annotations, c.name, req.probeType)) {
        const what = req.probe.httpGet ? `HTTP probe failed with statuscode: 500` : req.probe.tcpSocket
          ? `dial tcp ${req.podIp}:${String(req.probe.tcpSocket.port)}: connect: connection refused` : 'command failed with exit code 1 (simulated)';
        return { success: false, output: what };
      }
      return { success: true, output: '' };
    },
  };

  const runtime: SimulatedRuntime = {
    prober,
    counts() {
      let running = 0;
      for (const c of containers.values()) if (c.state === 'CONTAINER_RUNNING') running++;
      return { sandboxes: sandboxes.size, containers: containers.size, running, ips: ipsInUse };
    },
    async version(): Promise<VersionResponse> {
      return { version: '0.1.0', runtimeName: SIMULATED_RUNTIME_NAME, runtimeVersion: SIMULATED_RUNTIME_VERSION, runtimeApiVersion: 'v1' };
    },
    async runPodSandbox(req: RunPodSandboxRequest) {
      const cfg = req.config;
      const hostNetwork = cfg.linux?.securityContext?.namespaceOptions?.network === 'NODE';
      const sb: SimSandbox = {
        id: newId(), metadata: { ...cfg.metadata }, state: 'SANDBOX_READY', createdAt: msToNs(timers.now()),
        ip: hostNetwork ? '' : allocateIp(), labels: { ...cfg.labels }, annotations: { ...cfg.annotations },
        runtimeHandler: req.runtimeHandler ?? '', containers: new Set(),
      };
      sandboxes.set(sb.id, sb);
      return { podSandboxId: sb.id };
    },
    async stopPodSandbox(id: string) {
      const sb = sandboxes.get(id);
      if (!sb) return;
      for (const cid of sb.containers) {
        const c = containers.get(cid);
        if (c) void stop(c, 0);
      }
      if (sb.state === 'SANDBOX_READY') {
        sb.state = 'SANDBOX_NOTREADY';
        releaseIp(sb.ip);
      }
    },
    async removePodSandbox(id: string) {
      const sb = sandboxes.get(id);
      if (!sb) return;
      await runtime.stopPodSandbox(id);
      for (const cid of [...sb.containers]) await runtime.removeContainer(cid);
      sandboxes.delete(id);
    },
    async podSandboxStatus(id: string): Promise<PodSandboxStatusResponse> {
      return { status: sandboxStatus(getSandbox(id)), info: {} };
    },
    async listPodSandbox(filter?: PodSandboxFilter): Promise<PodSandbox[]> {
      const out: PodSandbox[] = [];
      const pick = (sb: SimSandbox): void => {
        if (filter?.state && sb.state !== filter.state) return;
        if (!matches(sb.labels, filter?.labelSelector)) return;
        out.push({
          id: sb.id, metadata: { ...sb.metadata }, state: sb.state, createdAt: sb.createdAt,
          labels: { ...sb.labels }, annotations: { ...sb.annotations }, runtimeHandler: sb.runtimeHandler,
        });
      };
      if (filter?.id) {
        const sb = sandboxes.get(filter.id);
        if (sb) pick(sb);
      } else for (const sb of sandboxes.values()) pick(sb);
      return out;
    },
    async createContainer(req: CreateContainerRequest) {
      const sb = getSandbox(req.podSandboxId);
      if (sb.state !== 'SANDBOX_READY') throw new RuntimeError('FailedPrecondition', `failed to create containerd container: sandbox ${sb.id} is not ready`);
      const cfg = req.config;
      const userImage = cfg.image.userSpecifiedImage || cfg.image.image;
      const img = normalizeImage(userImage);
      const c: SimContainer = {
        id: newId(), sandbox: sb, name: cfg.metadata.name, attempt: cfg.metadata.attempt, image: img.image, imageRef: img.ref,
        userImage, labels: { ...cfg.labels }, annotations: { ...cfg.annotations }, logPath: cfg.logPath,
        state: 'CONTAINER_CREATED', createdAt: msToNs(timers.now()), startedAt: 0, finishedAt: 0, exitCode: 0, reason: '',
        timer: undefined, killTimer: undefined, killAt: 0, waiters: undefined,
      };
      containers.set(c.id, c);
      sb.containers.add(c.id);
      emit(c, 'CONTAINER_CREATED_EVENT');
      return { containerId: c.id };
    },
    async startContainer(id: string) {
      const c = getContainer(id);
      if (c.state !== 'CONTAINER_CREATED') throw new RuntimeError('FailedPrecondition', `container ${id} is in ${c.state} state`);
      if (c.timer) return waitFor(c);
      const delayText = annotationFor(c.sandbox.annotations, ANNOTATION_START_DELAY, c.name, true);
      const delay = (delayText !== undefined ? parseDuration(delayText) : undefined) ?? defaultStartDelay;
      if (delay <= 0) {
        run(c);
        return;
      }
      const started = waitFor(c);
      c.timer = timers.after(delay, () => run(c));
      await started;
      const now = c.state as ContainerState;
      if (now !== 'CONTAINER_RUNNING' && now !== 'CONTAINER_EXITED') {
        throw new RuntimeError('Internal', `container ${id} did not start`);
      }
    },
    async stopContainer(id: string, timeout: number) {
      const c = containers.get(id);
      if (!c) return;
      await stop(c, timeout);
    },
    async removeContainer(id: string) {
      const c = containers.get(id);
      if (!c) return;
      if (c.state === 'CONTAINER_RUNNING' || c.state === 'CONTAINER_CREATED') await stop(c, 0);
      c.timer?.cancel();
      c.timer = undefined;
      containers.delete(id);
      c.sandbox.containers.delete(id);
      emit(c, 'CONTAINER_DELETED_EVENT');
    },
    async listContainers(filter?: ContainerFilter): Promise<Container[]> {
      const out: Container[] = [];
      const pick = (c: SimContainer): void => {
        if (filter?.state && c.state !== filter.state) return;
        if (filter?.podSandboxId && c.sandbox.id !== filter.podSandboxId) return;
        if (!matches(c.labels, filter?.labelSelector)) return;
        out.push(toContainer(c));
      };
      if (filter?.id) {
        const c = containers.get(filter.id);
        if (c) pick(c);
      } else if (filter?.podSandboxId) {
        const sb = sandboxes.get(filter.podSandboxId);
        if (sb) for (const cid of sb.containers) pick(containers.get(cid)!);
      } else for (const c of containers.values()) pick(c);
      return out;
    },
    async containerStatus(id: string): Promise<ContainerStatusResponse> {
      const c = getContainer(id);
      const image: ImageSpec = { image: c.image, userSpecifiedImage: c.userImage };
      return {
        status: {
          id: c.id, metadata: { name: c.name, attempt: c.attempt }, state: c.state, createdAt: c.createdAt,
          startedAt: c.startedAt, finishedAt: c.finishedAt, exitCode: c.exitCode, image, imageRef: c.imageRef,
          reason: c.reason, message: '', labels: { ...c.labels }, annotations: { ...c.annotations }, mounts: [], logPath: c.logPath,
        },
        info: {},
      };
    },
    async execSync(req: ExecSyncRequest): Promise<ExecSyncResponse> {
      const c = getContainer(req.containerId);
      if (c.state !== 'CONTAINER_RUNNING') throw new RuntimeError('FailedPrecondition', `container ${req.containerId} is not running`);
      return { stdout: new Uint8Array(), stderr: new Uint8Array(), exitCode: 0 };
    },
    exec: () => streamingUnsupported('exec'),
    attach: () => streamingUnsupported('attach'),
    portForward: () => streamingUnsupported('port-forward'),
    getContainerEvents(listener: ContainerEventListener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
  return runtime;
}
