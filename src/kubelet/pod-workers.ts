/**
 * One serialized worker per pod (upstream pod_workers.go, much reduced): `enqueue(uid)` asks for
 * a sync; a pod never syncs twice at once, and requests that arrive during a sync collapse into
 * one more sync afterwards. A sync may ask to run again at a time (back-off end, periodic
 * resync); those wake-ups live on the shared timer queue. A failed sync retries after
 * `errorBackoffMs`. A sync returning `done` forgets the pod.
 */
import type { TimerHandle, TimerQueue } from './timer-queue.js';

export interface PodSyncOutcome {
  requeueAt?: number;
  done?: boolean;
}

export interface PodWorkers {
  enqueue(uid: string): void;
  has(uid: string): boolean;
  /** Resolves once no worker is running or dirty. */
  idle(): Promise<void>;
  stop(): void;
  readonly size: number;
}

interface Worker {
  running: boolean;
  dirty: boolean;
  timer: TimerHandle | undefined;
  timerAt: number;
}

export function createPodWorkers(opts: {
  timers: TimerQueue;
  sync: (uid: string) => Promise<PodSyncOutcome>;
  onError?: (uid: string, err: unknown) => void;
  errorBackoffMs?: number;
  /** Periodic re-sync of every pod (ms); 0 disables. */
  resyncMs?: number;
}): PodWorkers {
  const { timers } = opts;
  const workers = new Map<string, Worker>();
  const idleWaiters: (() => void)[] = [];
  let active = 0;
  let stopped = false;

  function wake(uid: string, w: Worker, at: number): void {
    if (w.timer && w.timerAt <= at) return;
    w.timer?.cancel();
    w.timerAt = at;
    w.timer = timers.at(at, () => {
      w.timer = undefined;
      w.timerAt = 0;
      enqueue(uid);
    });
  }

  function checkIdle(): void {
    if (active === 0) for (const f of idleWaiters.splice(0)) f();
  }

  async function run(uid: string, w: Worker): Promise<void> {
    w.running = true;
    active++;
    try {
      while (w.dirty && !stopped) {
        w.dirty = false;
        let outcome: PodSyncOutcome;
        try {
          outcome = await opts.sync(uid);
        } catch (err) {
          opts.onError?.(uid, err);
          wake(uid, w, timers.now() + (opts.errorBackoffMs ?? 10_000));
          continue;
        }
        if (outcome.done) {
          w.timer?.cancel();
          if (workers.get(uid) === w) workers.delete(uid);
          return;
        }
        const resync = opts.resyncMs ? timers.now() + opts.resyncMs * (0.9 + Math.random() * 0.2) : undefined;
        const at = outcome.requeueAt !== undefined && (resync === undefined || outcome.requeueAt < resync) ? outcome.requeueAt : resync;
        if (at !== undefined) wake(uid, w, at);
      }
    } finally {
      w.running = false;
      active--;
      checkIdle();
    }
  }

  function enqueue(uid: string): void {
    if (stopped) return;
    let w = workers.get(uid);
    if (!w) {
      w = { running: false, dirty: false, timer: undefined, timerAt: 0 };
      workers.set(uid, w);
    }
    w.dirty = true;
    if (!w.running) void run(uid, w);
  }

  return {
    enqueue,
    has: (uid) => workers.has(uid),
    idle() {
      if (active === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    stop() {
      stopped = true;
      for (const w of workers.values()) w.timer?.cancel();
    },
    get size() {
      return workers.size;
    },
  };
}
