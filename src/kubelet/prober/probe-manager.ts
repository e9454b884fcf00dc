/**
 * Probe workers, one per container and probe type (upstream prober/worker.go), all on the shared
 * timer queue. A worker probes every `periodSeconds` once `initialDelaySeconds` have passed since
 * the container started, and flips its result only after `failureThreshold` consecutive failures
 * or `successThreshold` consecutive successes. A startup probe holds the other two back until it
 * succeeds. Results are kept per runtime container id, so a restarted container starts afresh:
 * readiness false, liveness true, startup unknown.
 *
 * The manager never acts itself: `onResult` tells the kubelet when a result changed (a liveness or
 * startup failure means "restart it", a readiness change means "regenerate the status").
 */
import type { Container, Pod, Probe } from '../../apimachinery/generated/types.js';
import type { TimerHandle, TimerQueue } from '../timer-queue.js';
import type { Prober, ProbeType } from './prober.js';

export interface ProbedContainer {
  id: string;
  running: boolean;
  /** ms since the epoch */
  startedAt: number;
}

export interface ProbeManagerOptions {
  timers: TimerQueue;
  prober: Prober;
  /** The current runtime container for a pod's container name (from the kubelet's last look). */
  containerFor(uid: string, name: string): ProbedContainer | undefined;
  podIp(uid: string): string;
  onResult(uid: string, probeType: ProbeType, containerId: string, success: boolean): void;
  /** Called for each failed probe attempt (the `Unhealthy` event). */
  onFailure(pod: Pod, container: Container, probeType: ProbeType, output: string): void;
}

export interface ProbeManager {
  /** Creates workers for the pod's probes (idempotent). */
  addPod(pod: Pod): void;
  removePod(uid: string): void;
  readiness(containerId: string): boolean | undefined;
  startup(containerId: string): boolean | undefined;
  /** false once the liveness probe failed `failureThreshold` times for this container. */
  liveness(containerId: string): boolean | undefined;
  readonly workers: number;
}

interface Worker {
  uid: string;
  pod: Pod;
  container: Container;
  type: ProbeType;
  probe: Probe;
  timer: TimerHandle | undefined;
  containerId: string;
  result: boolean | undefined;
  runCount: number;
  lastSuccess: boolean | undefined;
  /** After a liveness/startup failure: wait for a new container. */
  onHold: boolean;
  stopped: boolean;
  busy: boolean;
}

const TYPES: { type: ProbeType; field: 'livenessProbe' | 'readinessProbe' | 'startupProbe' }[] = [
  { type: 'startup', field: 'startupProbe' },
  { type: 'liveness', field: 'livenessProbe' },
  { type: 'readiness', field: 'readinessProbe' },
];

function initialResult(type: ProbeType): boolean | undefined {
  return type === 'readiness' ? false : type === 'liveness' ? true : undefined;
}

export function createProbeManager(opts: ProbeManagerOptions): ProbeManager {
  const { timers } = opts;
  const byPod = new Map<string, Worker[]>();
  const results: Record<ProbeType, Map<string, boolean>> = { liveness: new Map(), readiness: new Map(), startup: new Map() };
  let count = 0;

  function setResult(w: Worker, value: boolean | undefined): void {
    const map = results[w.type];
    const before = map.get(w.containerId);
    if (value === undefined) map.delete(w.containerId);
    else map.set(w.containerId, value);
    if (before !== value && w.containerId) opts.onResult(w.uid, w.type, w.containerId, value === true);
  }

  function schedule(w: Worker, delayMs: number): void {
    if (w.stopped) return;
    w.timer = timers.after(delayMs, () => {
      w.timer = undefined;
      void tick(w);
    });
  }

  async function tick(w: Worker): Promise<void> {
    if (w.stopped || w.busy) return;
    const periodMs = Math.max(1, w.probe.periodSeconds ?? 10) * 1000;
    w.busy = true;
    try {
      await probeOnce(w);
    } finally {
      w.busy = false;
      schedule(w, periodMs);
    }
  }

  async function probeOnce(w: Worker): Promise<void> {
    const c = opts.containerFor(w.uid, w.container.name);
    if (!c) return;
    if (c.id !== w.containerId) {
      // A new container: forget the old one's result and start counting again.
      if (w.containerId) {
        results[w.type].delete(w.containerId);
      }
      w.containerId = c.id;
      w.runCount = 0;
      w.lastSuccess = undefined;
      w.onHold = false;
      w.result = initialResult(w.type);
      if (w.result !== undefined) results[w.type].set(c.id, w.result);
    }
    if (w.onHold || !c.running) {
      if (!c.running && w.type === 'readiness' && w.result !== false) {
        w.result = false;
        setResult(w, false);
      }
      return;
    }
    if (w.type !== 'startup' && w.pod.spec?.containers.some((x) => x.name === w.container.name && x.startupProbe)) {
      if (results.startup.get(c.id) !== true) return;
    }
    if (w.type === 'startup' && results.startup.get(c.id) === true) return;
    const initialDelayMs = (w.probe.initialDelaySeconds ?? 0) * 1000;
    if (timers.now() - c.startedAt < initialDelayMs) return;
    const outcome = await opts.prober.probe({
      probeType: w.type, pod: w.pod, container: w.container, containerId: c.id, probe: w.probe, podIp: opts.podIp(w.uid),
    });
    if (w.stopped || w.containerId !== c.id) return;
    if (!outcome.success) opts.onFailure(w.pod, w.container, w.type, outcome.output);
    if (w.lastSuccess === outcome.success) w.runCount++;
    else {
      w.lastSuccess = outcome.success;
      w.runCount = 1;
    }
    const successThreshold = w.type === 'readiness' ? Math.max(1, w.probe.successThreshold ?? 1) : 1;
    const failureThreshold = Math.max(1, w.probe.failureThreshold ?? 3);
    if ((outcome.success && w.runCount < successThreshold) || (!outcome.success && w.runCount < failureThreshold)) return;
    if (w.result !== outcome.success) {
      w.result = outcome.success;
      setResult(w, outcome.success);
    }
    if (!outcome.success && (w.type === 'liveness' || w.type === 'startup')) {
      // The container will be restarted; nothing to probe until it is.
      w.onHold = true;
      w.runCount = 0;
    }
  }

  return {
    addPod(pod) {
      const uid = pod.metadata?.uid ?? '';
      if (byPod.has(uid)) {
        for (const w of byPod.get(uid)!) w.pod = pod;
        return;
      }
      const workers: Worker[] = [];
      const all = [...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'), ...(pod.spec?.containers ?? [])];
      for (const container of all) {
        for (const { type, field } of TYPES) {
          const probe = container[field];
          if (!probe) continue;
          const w: Worker = {
            uid, pod, container, type, probe, timer: undefined, containerId: '', result: initialResult(type), runCount: 0,
            lastSuccess: undefined, onHold: false, stopped: false, busy: false,
          };
          workers.push(w);
          count++;
          // Spread first probes a little so many pods created together do not probe in lockstep.
          schedule(w, Math.floor(Math.random() * Math.min(1000, (probe.periodSeconds ?? 10) * 1000)));
        }
      }
      if (workers.length > 0) byPod.set(uid, workers);
    },
    removePod(uid) {
      const workers = byPod.get(uid);
      if (!workers) return;
      for (const w of workers) {
        w.stopped = true;
        w.timer?.cancel();
        if (w.containerId) results[w.type].delete(w.containerId);
        count--;
      }
      byPod.delete(uid);
    },
    readiness: (id) => results.readiness.get(id),
    startup: (id) => results.startup.get(id),
    liveness: (id) => results.liveness.get(id),
    get workers() {
      return count;
    },
  };
}
