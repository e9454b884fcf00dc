/**
 * Drives one pod's sandbox and containers through the runtime (upstream kuberuntime_manager):
 * reads what the runtime has for the pod, decides what to start or kill (sandbox first, init
 * containers one at a time in order, then every app container; restarts per restartPolicy with
 * the crash-loop back-off; liveness and startup failures restart; each ephemeral container once,
 * in a running sandbox), and kills a pod gracefully.
 *
 * Runtime-agnostic: everything goes through `RuntimeService`. Each call is safe to repeat: a
 * sync looks at the runtime afresh and only does what is still missing.
 */
import { createHash } from 'node:crypto';
import type { Container, Pod } from '../apimachinery/generated/types.js';
import type { Backoff } from './backoff.js';
import type { EnvVarValue, ObjectLookup } from './env/environment.js';
import { ContainerConfigError, makeEnvironment, prefetchEnvironment } from './env/environment.js';
import { expandCommandAndArgs } from './env/expansion.js';
import type { HandlerRunner } from './lifecycle/handlers.js';
import { runPreStop } from './lifecycle/pre-stop.js';
import { formatDuration } from './duration.js';
import type { EventRecorder } from './events.js';
import type { PodRuntimeStatus, RuntimeContainerInfo, WaitingReason } from './pod-status.js';
import { CRASH_LOOP_BACK_OFF, formatPod, isRestartableInitContainer, latestContainer, restartPolicy, shouldContainerBeRestarted } from './pod-status.js';
import type { ProbeManager } from './prober/probe-manager.js';
import type { ContainerConfig, Mount, PodSandboxConfig, RuntimeService } from './runtime/runtime.js';
import {
  ANNOTATION_CONTAINER_HASH, ANNOTATION_CONTAINER_TYPE, ANNOTATION_RESTART_COUNT, ANNOTATION_TERMINATION_GRACE, LABEL_CONTAINER_NAME, LABEL_POD_NAME,
  LABEL_POD_NAMESPACE, LABEL_POD_UID, isRuntimeNotFound,
} from './runtime/runtime.js';

import { podPullSecrets } from './credentials/pull-secrets.js';
import { createImageManager } from './image-manager.js';
import type { ImagePuller } from './runtime/cri/pull-policy.js';
import { linuxContainerResources } from './runtime/cri/resources.js';
import type { WireLinuxContainerResources, WireLinuxContainerSecurityContext, WireNamespaceOption } from './runtime/cri/wire.js';
import type { TimerQueue } from './timer-queue.js';
import { ETC_HOSTS_PATH, podHostnameAndDomain, writePodHostsFile } from './volumes/etc-hosts.js';
import type { VolumeManager } from './volumes/volume-manager.js';

/** Upstream minimumGracePeriodInSeconds. */
export const MIN_GRACE_PERIOD_SECONDS = 2;

export interface SyncResult {
  /** Sync again at this time (ms) at the latest, e.g. when a back-off ends. */
  requeueAt?: number;
}

export interface RuntimeManager {
  podStatus(uid: string): Promise<PodRuntimeStatus>;
  syncPod(pod: Pod, rs: PodRuntimeStatus, reasons: Map<string, WaitingReason>): Promise<SyncResult>;
  /** Stops every container (grace period in seconds) and the sandbox. */
  killPod(pod: Pod, rs: PodRuntimeStatus, gracePeriodSeconds: number): Promise<void>;
  /** Removes the pod's sandboxes and containers. */
  removePod(uid: string): Promise<void>;
}

export interface RuntimeManagerOptions {
  runtime: RuntimeService;
  timers: TimerQueue;
  backoff: Backoff;
  recorder: EventRecorder;
  probes: ProbeManager;
  nodeName: string;
  clusterDns?: string;
  clusterDomain?: string;
  /** ConfigMaps, Secrets and Services for container environments; without it only `value` env vars are passed. */
  lookup?: ObjectLookup;
  /** Node allocatable (the downward API's value for unset limits). */
  allocatable?: Record<string, string>;
  hostIPs?: string[];
  /** Sets up volumes and gives containers their mounts; without it containers get no mounts. */
  volumes?: VolumeManager;
  /** Runs postStart / preStop hooks; without it hooks are skipped. */
  handlers?: HandlerRunner;
  /**
   * Applies each container's imagePullPolicy through this image service; default: the runtime
   * itself when it has one (the CRI runtime), else images are taken as present (simulated).
   */
  images?: ImagePuller;
  /** Stamps the steps of a pod's start (startup-trace.ts); default none. */
  trace?: (uid: string, step: string) => void;
}

function isImagePuller(x: unknown): x is ImagePuller {
  const o = x as Partial<ImagePuller> | undefined;
  return typeof o?.imagePresent === 'function' && typeof o.pullImage === 'function';
}

/** A container config plus the Linux cgroup settings CRI runtimes take (others ignore them). */
type ContainerConfigWithResources = ContainerConfig & {
  linux?: { resources?: WireLinuxContainerResources; securityContext?: WireLinuxContainerSecurityContext };
};

/** Which list of the pod spec holds the container of this name. */
function specListOf(pod: Pod, name: string): 'initContainers' | 'containers' | 'ephemeralContainers' {
  if ((pod.spec?.initContainers ?? []).some((c) => c.name === name)) return 'initContainers';
  if ((pod.spec?.ephemeralContainers ?? []).some((c) => c.name === name)) return 'ephemeralContainers';
  return 'containers';
}

function containerRef(pod: Pod, container: Container): { kind: string; namespace?: string; name?: string; uid?: string; apiVersion: string; resourceVersion?: string; fieldPath: string } {
  return {
    kind: 'Pod', apiVersion: 'v1', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid,
    resourceVersion: pod.metadata?.resourceVersion, fieldPath: `spec.${specListOf(pod, container.name)}{${container.name}}`,
  };
}

/** A container's namespaces (upstream namespacesForPod): its own PID namespace unless the pod shares one or the node's. */
function containerNamespaces(pod: Pod): WireNamespaceOption {
  const spec = pod.spec;
  return {
    network: spec?.hostNetwork ? 'NODE' : 'POD',
    pid: spec?.hostPID ? 'NODE' : spec?.shareProcessNamespace ? 'POD' : 'CONTAINER',
    ipc: spec?.hostIPC ? 'NODE' : 'POD',
  };
}

/**
 * An ephemeral container with a target shares the process namespace of that container's running
 * instance (CRI NamespaceMode TARGET); without one, or while the target does not run, it has its own.
 */
function targetNamespaces(pod: Pod, c: Container, rs: PodRuntimeStatus): WireLinuxContainerSecurityContext | undefined {
  const target = (pod.spec?.ephemeralContainers ?? []).find((e) => e.name === c.name)?.targetContainerName;
  const running = target ? latestContainer(rs, target) : undefined;
  if (running?.state !== 'CONTAINER_RUNNING') return undefined;
  return { namespaceOptions: { ...containerNamespaces(pod), pid: 'TARGET', targetId: running.id } };
}

/** A short stable hash of the container spec (restart when it changes, as upstream's container hash). */
export function containerHash(c: Container): string {
  const { image: _image, ...rest } = c;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex').slice(0, 8);
}

function backoffKey(pod: Pod, c: Container): string {
  return `${pod.metadata?.name}_${pod.metadata?.namespace}_${pod.metadata?.uid}_${c.name}_${containerHash(c)}`;
}

/** The answer, or undefined when the runtime no longer has the object. */
async function ifFound<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (!isRuntimeNotFound(err)) throw err;
    return undefined;
  }
}

function nsToMs(ns: number): number {
  return Math.floor(ns / 1e6);
}

export function podGracePeriodSeconds(pod: Pod): number {
  const g = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  return Math.max(MIN_GRACE_PERIOD_SECONDS, g);
}

export function createRuntimeManager(opts: RuntimeManagerOptions): RuntimeManager {
  const { runtime, recorder, backoff, timers, probes } = opts;
  const images = opts.images ?? (isImagePuller(runtime) ? runtime : undefined);
  const lookup = opts.lookup;
  const imageManager = images && createImageManager({
    puller: images, recorder, backoff, now: () => timers.now(),
    ...(lookup ? { pullSecrets: (pod: Pod) => podPullSecrets(pod, { lookup, recorder }) } : {}),
  });
  const trace = opts.trace ?? ((): void => {});

  function sandboxConfig(pod: Pod, attempt: number): PodSandboxConfig {
    const meta = pod.metadata ?? {};
    const spec = pod.spec ?? { containers: [] };
    const ports = spec.containers.flatMap((c) => (c.ports ?? []).filter((p) => p.hostPort).map((p) => ({
      protocol: (p.protocol ?? 'TCP') as 'TCP' | 'UDP' | 'SCTP', containerPort: p.containerPort, hostPort: p.hostPort ?? 0, hostIp: p.hostIP ?? '',
    })));
    const ns = meta.namespace ?? 'default';
    const domain = opts.clusterDomain ?? 'cluster.local';
    const host = podHostnameAndDomain(pod, domain);
    return {
      metadata: { name: meta.name ?? '', namespace: ns, uid: meta.uid ?? '', attempt },
      hostname: spec.setHostnameAsFQDN && host.domain ? `${host.hostname}.${host.domain}` : host.hostname,
      logDirectory: `/var/log/pods/${ns}_${meta.name}_${meta.uid}`,
      ...(opts.clusterDns && !spec.hostNetwork ? {
        dnsConfig: { servers: [opts.clusterDns], searches: [`${ns}.svc.${domain}`, `svc.${domain}`, domain], options: ['ndots:5'] },
      } : {}),
      portMappings: ports,
      labels: { [LABEL_POD_NAME]: meta.name ?? '', [LABEL_POD_NAMESPACE]: ns, [LABEL_POD_UID]: meta.uid ?? '' },
      annotations: { ...(meta.annotations ?? {}) },
      linux: { securityContext: { namespaceOptions: { network: spec.hostNetwork ? 'NODE' : 'POD', pid: spec.hostPID ? 'NODE' : 'CONTAINER', ipc: spec.hostIPC ? 'NODE' : 'POD' } } },
    };
  }

  function containerConfig(pod: Pod, c: Container, type: string, restartCount: number, env: EnvVarValue[], mounts: Mount[]): ContainerConfigWithResources {
    const meta = pod.metadata ?? {};
    const { command, args } = expandCommandAndArgs(c.command, c.args, env);
    return {
      linux: { resources: linuxContainerResources(c.resources), securityContext: { namespaceOptions: containerNamespaces(pod) } },
      metadata: { name: c.name, attempt: restartCount },
      image: { image: c.image ?? '', userSpecifiedImage: c.image ?? '' },
      command, args, workingDir: c.workingDir ?? '',
      envs: env.map((e) => ({ key: e.name, value: e.value })),
      mounts,
      labels: {
        [LABEL_CONTAINER_NAME]: c.name, [LABEL_POD_NAME]: meta.name ?? '', [LABEL_POD_NAMESPACE]: meta.namespace ?? '', [LABEL_POD_UID]: meta.uid ?? '',
      },
      annotations: {
        [ANNOTATION_CONTAINER_HASH]: containerHash(c), [ANNOTATION_RESTART_COUNT]: String(restartCount),
        [ANNOTATION_TERMINATION_GRACE]: String(pod.spec?.terminationGracePeriodSeconds ?? 30), [ANNOTATION_CONTAINER_TYPE]: type,
      },
      logPath: `${c.name}/${restartCount}.log`,
      stdin: c.stdin ?? false, stdinOnce: c.stdinOnce ?? false, tty: c.tty ?? false,
    };
  }

  /** The latest sandbox IP per pod (for hooks run while killing). */
  const podIps = new Map<string, string>();

  /** The environment and mounts of a container; a ContainerConfigError when they cannot be made. */
  async function containerInputs(pod: Pod, c: Container, rs: PodRuntimeStatus): Promise<{ env: EnvVarValue[]; mounts: Mount[] }> {
    const podIp = rs.sandboxes[0]?.ip ?? '';
    let env: EnvVarValue[];
    if (opts.lookup) {
      env = await makeEnvironment({
        pod, container: c, lookup: opts.lookup, allocatable: opts.allocatable ?? {},
        facts: { podIPs: podIp ? [podIp] : [], hostIPs: opts.hostIPs ?? [] },
        onWarning: (reason, message) => recorder.event(podRef(pod), 'Warning', reason, message),
      });
    } else {
      env = (c.env ?? []).filter((e) => e.value !== undefined).map((e) => ({ name: e.name, value: e.value ?? '' }));
    }
    let mounts: Mount[] = [];
    if (opts.volumes) {
      try {
        mounts = await opts.volumes.mountsFor(pod, c, env);
      } catch (err) {
        throw new ContainerConfigError(err instanceof Error ? err.message : String(err));
      }
      // The kubelet-managed /etc/hosts, unless the container mounts something there itself.
      if ((podIp || pod.spec?.hostNetwork) && !mounts.some((m) => m.containerPath === ETC_HOSTS_PATH)) {
        const file = await writePodHostsFile(opts.volumes.podDir(pod.metadata?.uid ?? ''), pod, podIp ? [podIp] : [], opts.clusterDomain ?? 'cluster.local');
        mounts.push({ containerPath: ETC_HOSTS_PATH, hostPath: file, readonly: false });
      }
    }
    return { env, mounts };
  }

  async function podStatus(uid: string): Promise<PodRuntimeStatus> {
    // The two lists, then every status, each group at once: the runtime answers them in parallel.
    const selector = { labelSelector: { [LABEL_POD_UID]: uid } };
    const [sandboxes, listed] = await Promise.all([runtime.listPodSandbox(selector), runtime.listContainers(selector)]);
    const [sbFound, ctFound] = await Promise.all([
      Promise.all(sandboxes.map(async (sb) => {
        const ip = await ifFound(runtime.podSandboxStatus(sb.id).then((r) => r.status.network?.ip ?? ''));
        return ip === undefined ? undefined : { id: sb.id, ready: sb.state === 'SANDBOX_READY', createdAt: sb.createdAt, attempt: sb.metadata.attempt, ip };
      })),
      Promise.all(listed.map(async (c) => {
        const s = (await ifFound(runtime.containerStatus(c.id)))?.status;
        return s && {
          id: s.id, name: s.metadata.name, state: s.state, createdAt: s.createdAt, startedAt: s.startedAt, finishedAt: s.finishedAt,
          exitCode: s.exitCode, reason: s.reason, message: s.message, image: s.image.image, imageRef: s.imageRef,
          restartCount: Number(s.annotations[ANNOTATION_RESTART_COUNT] ?? s.metadata.attempt) || 0,
          hash: s.annotations[ANNOTATION_CONTAINER_HASH] ?? '',
        };
      })),
    ]);
    const sbInfos = sbFound.filter((x) => x !== undefined);
    sbInfos.sort((a, b) => b.createdAt - a.createdAt);
    if (sbInfos[0]?.ip) podIps.set(uid, sbInfos[0].ip);
    const containers: RuntimeContainerInfo[] = ctFound.filter((x) => x !== undefined);
    containers.sort((a, b) => b.createdAt - a.createdAt);
    return { uid, sandboxes: sbInfos, containers };
  }

  async function killContainer(pod: Pod, c: RuntimeContainerInfo, spec: Container | undefined, graceSeconds: number, message: string): Promise<void> {
    if (spec) recorder.event(containerRef(pod, spec), 'Normal', 'Killing', message);
    let grace = graceSeconds;
    const preStop = spec?.lifecycle?.preStop;
    if (preStop && opts.handlers && grace > 0 && c.state === 'CONTAINER_RUNNING') {
      // The hook runs first and its time comes off the grace period (upstream executePreStopHook).
      const out = await runPreStop(opts.handlers, {
        pod, container: spec, containerId: c.id, handler: preStop, podIp: podIps.get(pod.metadata?.uid ?? '') ?? '',
      }, grace);
      if (out.result && !out.result.ok) recorder.event(containerRef(pod, spec), 'Warning', 'FailedPreStopHook', out.result.message);
      grace = out.remainingGraceSeconds;
    }
    await runtime.stopContainer(c.id, grace);
  }

  /**
   * Starts `c` unless it is in crash-loop back-off. Returns the back-off end when it must wait.
   */
  async function startContainer(pod: Pod, c: Container, type: string, rs: PodRuntimeStatus, sandboxId: string,
    reasons: Map<string, WaitingReason>): Promise<number | undefined> {
    const last = latestContainer(rs, c.name);
    if (last && last.state === 'CONTAINER_EXITED') {
      const key = backoffKey(pod, c);
      const finished = nsToMs(last.finishedAt);
      if (backoff.isInBackOffSince(key, finished)) {
        const msg = `back-off ${formatDuration(backoff.get(key))} restarting failed container=${c.name} pod=${formatPod(pod)}`;
        reasons.set(c.name, { reason: CRASH_LOOP_BACK_OFF, message: msg });
        recorder.event(containerRef(pod, c), 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${formatPod(pod)}`);
        return backoff.until(key, finished);
      }
      backoff.next(key, finished);
    }
    const restartCount = last ? last.restartCount + 1 : 0;
    const ref = containerRef(pod, c);
    if (imageManager) {
      const r = await imageManager.ensureImageExists(pod, c, ref);
      trace(pod.metadata?.uid ?? '', 'image');
      if (!r.ok) {
        reasons.set(c.name, { reason: r.reason, message: r.message });
        return r.retryAt;
      }
    } else {
      recorder.event(ref, 'Normal', 'Pulled', `Container image "${c.image ?? ''}" already present on machine`);
    }
    const sbCfg = sandboxConfig(pod, rs.sandboxes[0]?.attempt ?? 0);
    let inputs: { env: EnvVarValue[]; mounts: Mount[] };
    try {
      inputs = await containerInputs(pod, c, rs);
      trace(pod.metadata?.uid ?? '', 'container-inputs');
    } catch (err) {
      if (!(err instanceof ContainerConfigError)) throw err;
      recorder.event(ref, 'Warning', 'Failed', `Error: ${err.message}`);
      reasons.set(c.name, { reason: 'CreateContainerConfigError', message: err.message });
      return timers.now() + 5_000;
    }
    const config = containerConfig(pod, c, type, restartCount, inputs.env, inputs.mounts);
    const securityContext = type === 'ephemeral' ? targetNamespaces(pod, c, rs) : undefined;
    if (securityContext) config.linux = { ...config.linux, securityContext };
    let id: string;
    try {
      id = (await runtime.createContainer({ podSandboxId: sandboxId, config, sandboxConfig: sbCfg })).containerId;
    } catch (err) {
      const m = err instanceof Error ? err.message : String(err);
      recorder.event(ref, 'Warning', 'Failed', `Error: ${m}`);
      reasons.set(c.name, { reason: 'CreateContainerError', message: m });
      return timers.now() + 10_000;
    }
    trace(pod.metadata?.uid ?? '', 'container-created');
    recorder.event(ref, 'Normal', 'Created', `Created container: ${c.name}`);
    // Old instances beyond the previous one are of no use any more (upstream's container GC keeps one).
    const older = rs.containers.filter((x) => x.name === c.name && x.state === 'CONTAINER_EXITED').slice(1);
    for (const o of older) await runtime.removeContainer(o.id);
    try {
      await runtime.startContainer(id);
    } catch (err) {
      const m = err instanceof Error ? err.message : String(err);
      recorder.event(ref, 'Warning', 'Failed', `Error: ${m}`);
      reasons.set(c.name, { reason: 'RunContainerError', message: m });
      return timers.now() + 10_000;
    }
    reasons.delete(c.name);
    trace(pod.metadata?.uid ?? '', 'container-started');
    recorder.event(ref, 'Normal', 'Started', `Started container ${c.name}`);
    const postStart = c.lifecycle?.postStart;
    if (postStart && opts.handlers) {
      const r = await opts.handlers.run({ pod, container: c, containerId: id, handler: postStart, podIp: rs.sandboxes[0]?.ip ?? podIps.get(pod.metadata?.uid ?? '') ?? '' });
      if (!r.ok) {
        // The message stays out of the event so hook output (maybe secrets) is not published.
        recorder.event(ref, 'Warning', 'FailedPostStartHook', 'PostStartHook failed');
        const started: RuntimeContainerInfo = {
          id, name: c.name, state: 'CONTAINER_RUNNING', createdAt: 0, startedAt: 0, finishedAt: 0, exitCode: 0, reason: '', message: '',
          image: c.image ?? '', imageRef: '', restartCount, hash: containerHash(c),
        };
        await killContainer(pod, started, c, podGracePeriodSeconds(pod), 'FailedPostStartHook');
        reasons.set(c.name, { reason: 'PostStartHookError', message: r.message });
        return timers.now();
      }
    }
    return undefined;
  }

  function podRef(pod: Pod): { kind: string; apiVersion: string; namespace?: string; name?: string; uid?: string } {
    return { kind: 'Pod', apiVersion: 'v1', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid };
  }

  async function syncPod(pod: Pod, rs: PodRuntimeStatus, reasons: Map<string, WaitingReason>): Promise<SyncResult> {
    const spec = pod.spec ?? { containers: [] };
    if (opts.volumes && (spec.volumes ?? []).length > 0) {
      // Volumes come first (upstream WaitForAttachAndMount): no sandbox until every one is set up.
      const failures = await opts.volumes.setUpPod(pod);
      if (failures.length > 0) {
        for (const f of failures) recorder.event(podRef(pod), 'Warning', 'FailedMount', `MountVolume.SetUp failed for volume "${f.volume}" : ${f.message}`);
        return { requeueAt: timers.now() + 2_000 };
      }
      trace(pod.metadata?.uid ?? '', 'volumes');
    }
    const policy = restartPolicy(pod);
    let requeueAt: number | undefined;
    const later = (t: number | undefined): void => {
      if (t !== undefined && (requeueAt === undefined || t < requeueAt)) requeueAt = t;
    };
    const latestSb = rs.sandboxes[0];
    const sandboxOk = !!latestSb && latestSb.ready && (spec.hostNetwork === true || latestSb.ip !== '');
    let sandboxId = latestSb?.id ?? '';
    let current = rs;
    if (!sandboxOk) {
      // A pod that never restarts and already ran keeps its dead sandbox: it is finishing.
      if (policy === 'Never' && latestSb && rs.containers.length > 0) return {};
      if (latestSb || rs.containers.some((c) => c.state === 'CONTAINER_RUNNING')) await killPod(pod, rs, podGracePeriodSeconds(pod));
      const attempt = latestSb ? latestSb.attempt + 1 : 0;
      // The containers' Service environment is fetched while the sandbox is being made.
      if (opts.lookup) prefetchEnvironment(pod, opts.lookup);
      try {
        sandboxId = (await runtime.runPodSandbox({ config: sandboxConfig(pod, attempt) })).podSandboxId;
      } catch (err) {
        const m = err instanceof Error ? err.message : String(err);
        recorder.event({ kind: 'Pod', apiVersion: 'v1', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
          'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${m}`);
        return { requeueAt: timers.now() + 10_000 };
      }
      trace(pod.metadata?.uid ?? '', 'sandbox');
      // Containers of the old sandbox are history now; start over from the first init container.
      current = await podStatus(pod.metadata?.uid ?? '');
      current = { ...current, containers: current.containers.filter((c) => c.state !== 'CONTAINER_RUNNING') };
      trace(pod.metadata?.uid ?? '', 'sandbox-status');
    }

    // Ephemeral containers start once each and only in a sandbox that was already running (as
    // upstream, before init containers, so a pod stuck initializing can be debugged).
    if (sandboxOk) {
      for (const c of spec.ephemeralContainers ?? []) {
        if (!latestContainer(current, c.name)) later(await startContainer(pod, c, 'ephemeral', current, sandboxId, reasons));
      }
    }

    // Init containers, in order. Restartable ones (sidecars) keep running alongside the app.
    const inits = spec.initContainers ?? [];
    for (const c of inits) {
      const last = latestContainer(current, c.name);
      if (isRestartableInitContainer(c)) {
        if (last?.state === 'CONTAINER_RUNNING') {
          if (probes.liveness(last.id) === false || probes.startup(last.id) === false) {
            await killContainer(pod, last, c, probeGrace(pod, c), `Container ${c.name} failed ${probes.startup(last.id) === false ? 'startup' : 'liveness'} probe, will be restarted`);
            later(timers.now());
          } else if (c.startupProbe && probes.startup(last.id) !== true) {
            return requeueAt !== undefined ? { requeueAt } : {}; // wait until started
          }
          continue;
        }
        later(await startContainer(pod, c, 'sidecar', current, sandboxId, reasons));
        return requeueAt !== undefined ? { requeueAt } : {};
      }
      if (last?.state === 'CONTAINER_EXITED' && last.exitCode === 0) continue;
      if (last?.state === 'CONTAINER_RUNNING' || last?.state === 'CONTAINER_CREATED') return {}; // wait for it to finish
      if (last?.state === 'CONTAINER_EXITED' && policy === 'Never') return {}; // failed for good: the pod fails
      later(await startContainer(pod, c, 'init', current, sandboxId, reasons));
      return requeueAt !== undefined ? { requeueAt } : {};
    }

    // App containers.
    for (const c of spec.containers) {
      const last = latestContainer(current, c.name);
      if (last?.state === 'CONTAINER_RUNNING') {
        const live = probes.liveness(last.id);
        const started = probes.startup(last.id);
        const specChanged = last.hash !== '' && last.hash !== containerHash(c);
        if (live === false || (c.startupProbe && started === false) || specChanged) {
          const why = specChanged ? `Container ${c.name} definition changed, will be restarted`
            : `Container ${c.name} failed ${live === false ? 'liveness' : 'startup'} probe, will be restarted`;
          await killContainer(pod, last, c, specChanged ? podGracePeriodSeconds(pod) : probeGrace(pod, c), why);
          if (policy !== 'Never') later(timers.now());
        }
        continue;
      }
      if (!shouldContainerBeRestarted(c, pod, current)) continue;
      later(await startContainer(pod, c, 'app', current, sandboxId, reasons));
    }
    return requeueAt !== undefined ? { requeueAt } : {};
  }

  function probeGrace(pod: Pod, c: Container): number {
    const g = c.livenessProbe?.terminationGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    return Math.max(MIN_GRACE_PERIOD_SECONDS, g);
  }

  async function killPod(pod: Pod, rs: PodRuntimeStatus, gracePeriodSeconds: number): Promise<void> {
    const byName = new Map<string, Container>();
    for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? []), ...(pod.spec?.ephemeralContainers ?? [])]) byName.set(c.name, c);
    const running = rs.containers.filter((c) => c.state === 'CONTAINER_RUNNING' || c.state === 'CONTAINER_CREATED');
    await Promise.all(running.map((c) => killContainer(pod, c, byName.get(c.name), gracePeriodSeconds, `Stopping container ${c.name}`)));
    for (const sb of rs.sandboxes) if (sb.ready) await runtime.stopPodSandbox(sb.id);
  }

  async function removePod(uid: string): Promise<void> {
    for (const sb of await runtime.listPodSandbox({ labelSelector: { [LABEL_POD_UID]: uid } })) await runtime.removePodSandbox(sb.id);
    for (const c of await runtime.listContainers({ labelSelector: { [LABEL_POD_UID]: uid } })) await runtime.removeContainer(c.id);
    podIps.delete(uid);
    await opts.volumes?.tearDownPod(uid);
  }

  return { podStatus, syncPod, killPod, removePod };
}
