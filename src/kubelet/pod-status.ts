/**
 * Pure pod-status generation, as upstream's kubelet computes it (kubelet_pods.go getPhase and
 * convertToAPIContainerStatuses, status/generate.go): from the pod, what the runtime reports
 * for it, the last status we produced, the waiting reasons of containers that failed to start
 * (CrashLoopBackOff, ...) and the probe results. No I/O: everything here is unit-tested directly.
 */
import type {
  Container, ContainerState as ApiContainerState, ContainerStatus, Pod, PodCondition, PodStatus,
} from '../apimachinery/generated/types.js';
import type { ContainerState } from './runtime/runtime.js';
import { nsToRfc3339 } from './runtime/runtime.js';

/** One runtime container of the pod (upstream kubecontainer.Status). */
export interface RuntimeContainerInfo {
  id: string;
  name: string;
  state: ContainerState;
  /** ns since the epoch */
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  reason: string;
  message: string;
  image: string;
  imageRef: string;
  restartCount: number;
  /** Spec hash the container was created from (annotation). */
  hash: string;
}

export interface RuntimeSandboxInfo {
  id: string;
  ready: boolean;
  createdAt: number;
  attempt: number;
  ip: string;
}

/** What the runtime holds for one pod; `containers` and `sandboxes` newest first. */
export interface PodRuntimeStatus {
  uid: string;
  sandboxes: RuntimeSandboxInfo[];
  containers: RuntimeContainerInfo[];
}

export interface WaitingReason {
  reason: string;
  message: string;
}

export interface GenerateStatusInput {
  pod: Pod;
  runtime: PodRuntimeStatus;
  /** Our last generated status for the pod, else the API's. */
  oldStatus: PodStatus;
  podIsTerminal: boolean;
  /** Why a container that should run is waiting (from the last sync), by container name. */
  reasons: ReadonlyMap<string, WaitingReason>;
  /** Readiness and startup results by runtime container id (absent: no result yet). */
  readiness: (containerId: string) => boolean | undefined;
  startup: (containerId: string) => boolean | undefined;
  hostIPs: string[];
  /** `simulated`, `containerd`: the containerID prefix */
  runtimeName: string;
  /** RFC 3339 now, for new transition times and startTime */
  now: string;
}

export const CONTAINER_CREATING = 'ContainerCreating';
export const POD_INITIALIZING = 'PodInitializing';
export const CRASH_LOOP_BACK_OFF = 'CrashLoopBackOff';

/** Condition types the kubelet owns (upstream kubetypes.PodConditionByKubelet). */
export const KUBELET_CONDITIONS = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'] as const;

export function isRestartableInitContainer(c: Container): boolean {
  return c.restartPolicy === 'Always';
}

export function restartPolicy(pod: Pod): string {
  return pod.spec?.restartPolicy ?? 'Always';
}

/** `name_namespace(uid)`, upstream format.Pod. */
export function formatPod(pod: Pod): string {
  return `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}(${pod.metadata?.uid ?? ''})`;
}

/** Latest runtime container of that name (containers are newest first). */
export function latestContainer(rs: PodRuntimeStatus, name: string): RuntimeContainerInfo | undefined {
  return rs.containers.find((c) => c.name === name);
}

/** Upstream ShouldContainerBeRestarted. */
export function shouldContainerBeRestarted(container: Container, pod: Pod, rs: PodRuntimeStatus): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  const st = latestContainer(rs, container.name);
  if (!st) return true;
  if (st.state === 'CONTAINER_RUNNING') return false;
  if (st.state === 'CONTAINER_CREATED' || st.state === 'CONTAINER_UNKNOWN') return true;
  if (isRestartableInitContainer(container)) return true;
  const policy = restartPolicy(pod);
  if (policy === 'Never') return false;
  if (policy === 'OnFailure' && st.exitCode === 0) return false;
  return true;
}

function convertState(c: RuntimeContainerInfo, runtimeName: string): ApiContainerState {
  switch (c.state) {
    case 'CONTAINER_RUNNING':
      return { running: { startedAt: nsToRfc3339(c.startedAt) } };
    case 'CONTAINER_EXITED':
      return {
        terminated: {
          exitCode: c.exitCode,
          ...(c.reason ? { reason: c.reason } : {}),
          ...(c.message ? { message: c.message } : {}),
          startedAt: nsToRfc3339(c.startedAt),
          finishedAt: nsToRfc3339(c.finishedAt),
          containerID: `${runtimeName}://${c.id}`,
        },
      };
    default:
      return { waiting: {} };
  }
}

type ContainerKind = 'init' | 'app' | 'ephemeral';

const OLD_STATUSES = { init: 'initContainerStatuses', app: 'containerStatuses', ephemeral: 'ephemeralContainerStatuses' } as const;

function convertContainerStatuses(input: GenerateStatusInput, containers: Container[], kind: ContainerKind): ContainerStatus[] {
  const { pod, runtime, runtimeName } = input;
  const isInit = kind === 'init';
  const hasInit = (pod.spec?.initContainers ?? []).length > 0;
  const old = new Map<string, ContainerStatus>();
  for (const s of input.oldStatus[OLD_STATUSES[kind]] ?? []) old.set(s.name, s);
  const out: ContainerStatus[] = [];
  for (const container of containers) {
    const prev = old.get(container.name);
    let status: ContainerStatus = {
      name: container.name, image: container.image ?? '', imageID: '', ready: false, restartCount: 0,
      state: { waiting: { reason: hasInit && !isInit ? POD_INITIALIZING : CONTAINER_CREATING } },
    };
    if (prev) {
      if (prev.state?.terminated) status = structuredClone(prev);
      else {
        status.restartCount = prev.restartCount;
        if (prev.lastState) status.lastState = structuredClone(prev.lastState);
      }
    }
    const instances = runtime.containers.filter((c) => c.name === container.name);
    const latest = instances[0];
    if (latest) {
      status = {
        name: container.name, image: latest.image, imageID: latest.imageRef, containerID: `${runtimeName}://${latest.id}`,
        ready: false, restartCount: latest.restartCount, state: convertState(latest, runtimeName),
      };
      const previous = instances[1];
      if (previous) status.lastState = convertState(previous, runtimeName);
      else if (prev?.lastState && Object.keys(prev.lastState).length > 0) status.lastState = structuredClone(prev.lastState);
    }
    // A container the next sync will (re)start is Waiting, with the reason it is not running yet.
    const skip = isInit && latest?.state === 'CONTAINER_EXITED' && latest.exitCode === 0 && !isRestartableInitContainer(container);
    // An ephemeral container is started once: a reason only explains why it has not started yet.
    const toStart = kind === 'ephemeral' ? !latest : shouldContainerBeRestarted(container, pod, runtime);
    if (!skip && toStart) {
      const why = input.reasons.get(container.name);
      if (why) {
        if (status.state?.terminated) status.lastState = status.state;
        status.state = { waiting: { reason: why.reason, ...(why.message ? { message: why.message } : {}) } };
      }
    }
    // Readiness and started (probe manager's UpdatePodStatus).
    const running = latest?.state === 'CONTAINER_RUNNING' && !!status.state?.running;
    if (kind === 'ephemeral') {
      // Neither probed nor part of readiness: never ready, no started flag (as upstream).
      status.ready = false;
      delete status.started;
    } else if (isInit && !isRestartableInitContainer(container)) {
      status.ready = !!status.state?.terminated && status.state.terminated.exitCode === 0;
      status.started = running;
    } else if (running && latest) {
      const started = container.startupProbe ? input.startup(latest.id) === true : true;
      status.started = started;
      const ready = started && (container.readinessProbe ? input.readiness(latest.id) === true : true);
      status.ready = ready;
    } else {
      status.ready = false;
      status.started = false;
    }
    if (!status.lastState) status.lastState = {};
    out.push(status);
  }
  if (!isInit) out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}

function hasAnyRegularContainerStarted(pod: Pod, statuses: ContainerStatus[]): boolean {
  const names = new Set((pod.spec?.containers ?? []).map((c) => c.name));
  return statuses.some((s) => names.has(s.name) && (!!s.state?.running || !!s.state?.terminated || !!s.lastState?.terminated));
}

/** Upstream getPhase: the pod phase from its container statuses. */
export function getPhase(pod: Pod, info: ContainerStatus[], podIsTerminal: boolean): string {
  const spec = pod.spec ?? { containers: [] };
  const byName = new Map(info.map((s) => [s.name, s]));
  let pendingInit = 0;
  let failedInit = 0;
  for (const c of spec.initContainers ?? []) {
    if (isRestartableInitContainer(c)) continue;
    const s = byName.get(c.name);
    if (!s) { pendingInit++; continue; }
    if (s.state?.running) pendingInit++;
    else if (s.state?.terminated) { if (s.state.terminated.exitCode !== 0) failedInit++; }
    else if (s.state?.waiting) {
      if (s.lastState?.terminated) { if (s.lastState.terminated.exitCode !== 0) failedInit++; }
      else pendingInit++;
    } else pendingInit++;
  }
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of spec.initContainers ?? []) {
    if (!isRestartableInitContainer(c)) continue;
    const s = byName.get(c.name);
    if (!s) { unknown++; continue; }
    if (s.state?.running) {
      if (!s.started) pendingInit++;
      running++;
    } else if (s.state?.terminated) {
      // terminated sidecars do not count
    } else if (s.state?.waiting) {
      if (!s.lastState?.terminated) { pendingInit++; waiting++; }
    } else { pendingInit++; unknown++; }
  }
  for (const c of spec.containers) {
    const s = byName.get(c.name);
    if (!s) { unknown++; continue; }
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  const policy = spec.restartPolicy ?? 'Always';
  if (failedInit > 0 && policy === 'Never') return 'Failed';
  if ((pendingInit > 0 && !hasAnyRegularContainerStarted(pod, info)) || waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function goList(names: string[]): string {
  return `[${names.join(' ')}]`;
}

function condition(type: string, status: string, reason?: string, message?: string): PodCondition {
  return { type, status, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

export function containersReadyCondition(pod: Pod, statuses: ContainerStatus[], phase: string): PodCondition {
  const byName = new Map(statuses.map((s) => [s.name, s]));
  const unknown: string[] = [];
  const unready: string[] = [];
  const check = (c: Container): void => {
    const s = byName.get(c.name);
    if (!s) unknown.push(c.name);
    else if (!s.ready) unready.push(c.name);
  };
  for (const c of pod.spec?.initContainers ?? []) if (isRestartableInitContainer(c)) check(c);
  for (const c of pod.spec?.containers ?? []) check(c);
  if (phase === 'Succeeded' && unknown.length === 0) return condition('ContainersReady', 'False', 'PodCompleted');
  if (phase === 'Failed') return condition('ContainersReady', 'False', 'PodFailed');
  const msgs: string[] = [];
  if (unknown.length > 0) msgs.push(`containers with unknown status: ${goList(unknown)}`);
  if (unready.length > 0) msgs.push(`containers with unready status: ${goList(unready)}`);
  if (msgs.length > 0) return condition('ContainersReady', 'False', 'ContainersNotReady', msgs.join(', '));
  return condition('ContainersReady', 'True');
}

export function readyCondition(pod: Pod, conditions: PodCondition[], statuses: ContainerStatus[], phase: string): PodCondition {
  const cr = containersReadyCondition(pod, statuses, phase);
  if (cr.status !== 'True') return { ...cr, type: 'Ready' };
  const msgs: string[] = [];
  for (const gate of pod.spec?.readinessGates ?? []) {
    const c = conditions.find((x) => x.type === gate.conditionType);
    if (!c) msgs.push(`corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`);
    else if (c.status !== 'True') msgs.push(`the status of pod readiness gate "${gate.conditionType}" is not "True", but ${c.status}`);
  }
  if (msgs.length > 0) return condition('Ready', 'False', 'ReadinessGatesNotReady', msgs.join(', '));
  return condition('Ready', 'True');
}

export function initializedCondition(pod: Pod, statuses: ContainerStatus[], phase: string): PodCondition {
  const byName = new Map(statuses.map((s) => [s.name, s]));
  const unknown: string[] = [];
  const incomplete: string[] = [];
  for (const c of pod.spec?.initContainers ?? []) {
    const s = byName.get(c.name);
    if (!s) { unknown.push(c.name); continue; }
    const done = isRestartableInitContainer(c) ? s.started === true : s.ready;
    if (!done) incomplete.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0) return condition('Initialized', 'True', 'PodCompleted');
  if (hasAnyRegularContainerStarted(pod, statuses)) return condition('Initialized', 'True');
  const msgs: string[] = [];
  if (unknown.length > 0) msgs.push(`containers with unknown status: ${goList(unknown)}`);
  if (incomplete.length > 0) msgs.push(`containers with incomplete status: ${goList(incomplete)}`);
  if (msgs.length > 0) return condition('Initialized', 'False', 'ContainersNotInitialized', msgs.join(', '));
  return condition('Initialized', 'True');
}

/** The sandbox exists, is ready and (unless hostNetwork) has its network set up. */
export function sandboxReady(pod: Pod, rs: PodRuntimeStatus): boolean {
  const sb = rs.sandboxes[0];
  if (!sb || !sb.ready) return false;
  return pod.spec?.hostNetwork === true || sb.ip !== '';
}

/** Keeps the old lastTransitionTime when a condition's status did not change. */
function withTransitionTimes(conds: PodCondition[], old: PodCondition[] | undefined, now: string): PodCondition[] {
  return conds.map((c) => {
    const prev = old?.find((o) => o.type === c.type);
    const lastTransitionTime = prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : now;
    return { ...c, lastTransitionTime };
  });
}

/** Upstream generateAPIPodStatus. */
export function generatePodStatus(input: GenerateStatusInput): PodStatus {
  const { pod, runtime } = input;
  const apiStatus = pod.status ?? {};
  const oldStatus = input.oldStatus;
  const initStatuses = convertContainerStatuses(input, pod.spec?.initContainers ?? [], 'init');
  const containerStatuses = convertContainerStatuses(input, pod.spec?.containers ?? [], 'app');
  // Ephemeral containers count for neither the phase nor readiness.
  const ephemeralStatuses = convertContainerStatuses(input, pod.spec?.ephemeralContainers ?? [], 'ephemeral');
  const all = [...containerStatuses, ...initStatuses];
  let phase = getPhase(pod, all, input.podIsTerminal);
  if (phase !== 'Failed' && phase !== 'Succeeded') {
    if (oldStatus.phase === 'Failed' || oldStatus.phase === 'Succeeded') phase = oldStatus.phase;
    else if (apiStatus.phase === 'Failed' || apiStatus.phase === 'Succeeded') phase = apiStatus.phase;
  }
  if ((apiStatus.phase === 'Failed' || apiStatus.phase === 'Succeeded') && phase !== apiStatus.phase) phase = apiStatus.phase;
  const status: PodStatus = { phase };
  if (phase === oldStatus.phase) {
    const reason = oldStatus.reason || apiStatus.reason;
    const message = oldStatus.message || apiStatus.message;
    if (reason) status.reason = reason;
    if (message) status.message = message;
  }
  // Conditions: others' first (kept as they are), then the kubelet's.
  const conds: PodCondition[] = [];
  for (const c of apiStatus.conditions ?? []) if (!(KUBELET_CONDITIONS as readonly string[]).includes(c.type)) conds.push(c);
  const own: PodCondition[] = [
    condition('PodReadyToStartContainers', sandboxReady(pod, runtime) ? 'True' : 'False'),
    initializedCondition(pod, [...initStatuses, ...containerStatuses], phase),
  ];
  own.push(readyCondition(pod, [...conds, ...own], [...initStatuses, ...containerStatuses], phase));
  own.push(containersReadyCondition(pod, [...initStatuses, ...containerStatuses], phase));
  own.push(condition('PodScheduled', 'True'));
  status.conditions = [...conds, ...withTransitionTimes(own, oldStatus.conditions ?? apiStatus.conditions, input.now)];
  const hostIP = input.hostIPs[0];
  if (hostIP) {
    status.hostIP = hostIP;
    status.hostIPs = input.hostIPs.map((ip) => ({ ip }));
  }
  const sbIp = runtime.sandboxes.find((s) => s.ip)?.ip;
  if (pod.spec?.hostNetwork && hostIP) {
    status.podIP = hostIP;
    status.podIPs = [{ ip: hostIP }];
  } else if (sbIp) {
    status.podIP = sbIp;
    status.podIPs = [{ ip: sbIp }];
  } else if (oldStatus.podIP) {
    status.podIP = oldStatus.podIP;
    if (oldStatus.podIPs) status.podIPs = oldStatus.podIPs;
  }
  status.startTime = oldStatus.startTime ?? apiStatus.startTime ?? input.now;
  if (initStatuses.length > 0) status.initContainerStatuses = initStatuses;
  status.containerStatuses = containerStatuses;
  if (ephemeralStatuses.length > 0) status.ephemeralContainerStatuses = ephemeralStatuses;
  const qos = apiStatus.qosClass ?? oldStatus.qosClass;
  if (qos) status.qosClass = qos;
  if (apiStatus.nominatedNodeName) status.nominatedNodeName = apiStatus.nominatedNodeName;
  return status;
}
