/**
 * Where a pod's startup time goes on this kubelet: named steps, each stamped with the
 * milliseconds since the kubelet first saw the pod, logged once at debug level when the first
 * status with every container running has been written (`pod startup steps`), then forgotten.
 * A pod that never gets there is forgotten when it is removed. Steps repeated by later syncs keep
 * their first time, so the line reads as the first pass through each step.
 */
import type { Logger } from '../client/logger.js';

export interface StartupTrace {
  /** Stamps `step` for the pod (the first stamp of a pod is its zero). */
  mark(uid: string, step: string): void;
  /** Logs the pod's steps once and forgets it. */
  finish(uid: string, pod: string): void;
  forget(uid: string): void;
  /** Pods with steps and no finish yet. */
  readonly size: number;
}

export function createStartupTrace(logger: Logger, now: () => number = () => performance.now()): StartupTrace {
  const pods = new Map<string, { start: number; steps: Map<string, number> }>();
  return {
    mark(uid, step) {
      const t = now();
      let p = pods.get(uid);
      if (!p) {
        p = { start: t, steps: new Map() };
        pods.set(uid, p);
      }
      if (!p.steps.has(step)) p.steps.set(step, Math.round((t - p.start) * 10) / 10);
    },
    finish(uid, pod) {
      const p = pods.get(uid);
      if (!p) return;
      pods.delete(uid);
      logger.debug({ pod, steps: Object.fromEntries(p.steps) }, 'pod startup steps');
    },
    forget(uid) {
      pods.delete(uid);
    },
    get size() {
      return pods.size;
    },
  };
}
