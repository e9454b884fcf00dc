/**
 * A rate-limited, de-duplicating work queue with client-go's contract:
 * - an item added several times before a worker takes it is handed out once;
 * - an item is never handed to two workers at once: re-added while processing, it is queued
 *   again only when the worker calls `done(item)`;
 * - `addRateLimited` delays by the item's failure count (exponential 5 ms → 1000 s) or the
 *   overall token bucket (10/s, burst 100), whichever is longer; `forget` resets the count;
 * - after `shutDown`, `get()` drains nothing more and resolves `undefined`.
 */

export interface RateLimiter<T> {
  /** Delay in ms before `item` may be processed again; counts a failure. */
  when(item: T): number;
  forget(item: T): void;
  numRequeues(item: T): number;
}

/** Per-item exponential back-off: base · 2^failures, capped. */
export function itemExponentialFailureRateLimiter<T>(baseMs = 5, maxMs = 1_000_000): RateLimiter<T> {
  const failures = new Map<T, number>();
  return {
    when(item) {
      const exp = failures.get(item) ?? 0;
      failures.set(item, exp + 1);
      const delay = baseMs * Math.pow(2, exp);
      return !Number.isFinite(delay) || delay > maxMs ? maxMs : delay;
    },
    forget(item) {
      failures.delete(item);
    },
    numRequeues(item) {
      return failures.get(item) ?? 0;
    },
  };
}

/** An overall token bucket (not per item): `qps` tokens a second, `burst` at most. */
export function bucketRateLimiter<T>(qps = 10, burst = 100, now: () => number = Date.now): RateLimiter<T> {
  let tokens = burst;
  let last = now();
  return {
    when() {
      const t = now();
      tokens = Math.min(burst, tokens + ((t - last) / 1000) * qps);
      last = t;
      tokens -= 1;
      return tokens >= 0 ? 0 : Math.ceil((-tokens / qps) * 1000);
    },
    forget() {},
    numRequeues() {
      return 0;
    },
  };
}

export function maxOfRateLimiter<T>(...limiters: RateLimiter<T>[]): RateLimiter<T> {
  return {
    when(item) {
      let max = 0;
      for (const l of limiters) max = Math.max(max, l.when(item));
      return max;
    },
    forget(item) {
      for (const l of limiters) l.forget(item);
    },
    numRequeues(item) {
      let max = 0;
      for (const l of limiters) max = Math.max(max, l.numRequeues(item));
      return max;
    },
  };
}

/** client-go's DefaultControllerRateLimiter. */
export function defaultControllerRateLimiter<T>(): RateLimiter<T> {
  return maxOfRateLimiter<T>(itemExponentialFailureRateLimiter<T>(5, 1_000_000), bucketRateLimiter<T>(10, 100));
}

export interface WorkQueue<T = string> {
  add(item: T): void;
  /** Adds after `delayMs` (immediately when ≤ 0); a shut-down queue ignores it. */
  addAfter(item: T, delayMs: number): void;
  addRateLimited(item: T): void;
  /** Clears the item's failure history (call after a successful sync). */
  forget(item: T): void;
  numRequeues(item: T): number;
  /** Marks processing finished; the item is queued again when it was re-added meanwhile. */
  done(item: T): void;
  /** The next item, waiting for one; `undefined` once shut down (and, with drain, emptied). */
  get(): Promise<T | undefined>;
  len(): number;
  shutDown(): void;
  /** Shuts down and resolves once every item handed out has been marked done. */
  shutDownWithDrain(): Promise<void>;
  shuttingDown(): boolean;
}

export interface WorkQueueOptions<T> {
  name?: string;
  rateLimiter?: RateLimiter<T>;
}

export function createWorkQueue<T = string>(opts: WorkQueueOptions<T> = {}): WorkQueue<T> {
  const limiter = opts.rateLimiter ?? defaultControllerRateLimiter<T>();
  const queue: T[] = [];
  const dirty = new Set<T>();
  const processing = new Set<T>();
  const waiters: ((item: T | undefined) => void)[] = [];
  const timers = new Map<ReturnType<typeof setTimeout>, T>();
  /** Earliest pending delayed add per item, so repeated addAfter calls do not pile up timers. */
  const waitingUntil = new Map<T, number>();
  let shutdown = false;
  let drained: (() => void) | undefined;

  function handOut(): void {
    while (waiters.length > 0 && queue.length > 0) {
      const item = queue.shift() as T;
      dirty.delete(item);
      processing.add(item);
      const w = waiters.shift();
      w?.(item);
    }
  }

  function add(item: T): void {
    if (shutdown || dirty.has(item)) return;
    dirty.add(item);
    if (processing.has(item)) return;
    queue.push(item);
    handOut();
  }

  function addAfter(item: T, delayMs: number): void {
    if (shutdown) return;
    if (delayMs <= 0) {
      add(item);
      return;
    }
    const at = Date.now() + delayMs;
    const existing = waitingUntil.get(item);
    if (existing !== undefined && existing <= at) return;
    waitingUntil.set(item, at);
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (waitingUntil.get(item) === at) waitingUntil.delete(item);
      add(item);
    }, delayMs);
    timers.set(timer, item);
  }

  function finishShutdown(): void {
    for (const t of timers.keys()) clearTimeout(t);
    timers.clear();
    waitingUntil.clear();
    for (const w of waiters.splice(0)) w(undefined);
  }

  return {
    add,
    addAfter,
    addRateLimited(item) {
      addAfter(item, limiter.when(item));
    },
    forget(item) {
      limiter.forget(item);
    },
    numRequeues(item) {
      return limiter.numRequeues(item);
    },
    done(item) {
      processing.delete(item);
      if (dirty.has(item) && !shutdown) {
        queue.push(item);
        handOut();
      }
      if (drained && processing.size === 0) drained();
    },
    get() {
      if (shutdown) return Promise.resolve(undefined);
      if (queue.length > 0) {
        const item = queue.shift() as T;
        dirty.delete(item);
        processing.add(item);
        return Promise.resolve(item);
      }
      return new Promise((resolve) => waiters.push(resolve));
    },
    len() {
      return queue.length;
    },
    shutDown() {
      shutdown = true;
      finishShutdown();
    },
    shutDownWithDrain() {
      shutdown = true;
      finishShutdown();
      if (processing.size === 0) return Promise.resolve();
      return new Promise((resolve) => {
        drained = resolve;
      });
    },
    shuttingDown() {
      return shutdown;
    },
  };
}

/**
 * Runs `workers` loops that take keys and call `sync(key)`: success forgets the key, a thrown
 * error requeues it rate-limited (and is reported to `onError`). Resolves once the queue is shut
 * down and every loop has finished its item.
 */
export async function runWorkers<T>(
  queue: WorkQueue<T>,
  sync: (item: T) => Promise<void>,
  opts: { workers?: number; onError?: (item: T, err: unknown) => void; maxRetries?: number } = {},
): Promise<void> {
  const loop = async (): Promise<void> => {
    for (;;) {
      const item = await queue.get();
      if (item === undefined) return;
      try {
        await sync(item);
        queue.forget(item);
      } catch (err) {
        opts.onError?.(item, err);
        if (opts.maxRetries === undefined || queue.numRequeues(item) < opts.maxRetries) queue.addRateLimited(item);
        else queue.forget(item);
      } finally {
        queue.done(item);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.workers ?? 1 }, () => loop()));
}

/** Anything whose local cache can be waited for (an informer). */
export interface SyncedCache {
  waitForSync(signal?: AbortSignal): Promise<boolean>;
}

/**
 * The standard controller run loop: the queue shuts down when `signal` aborts, workers start only
 * once every cache has synced (never, if the signal aborts first), and run until the queue is shut
 * down. Resolves when the workers have stopped.
 */
export async function runController<T>(
  queue: WorkQueue<T>,
  sync: (item: T) => Promise<void>,
  opts: { signal: AbortSignal; caches: readonly SyncedCache[]; workers?: number; onError?: (item: T, err: unknown) => void },
): Promise<void> {
  const { signal } = opts;
  if (signal.aborted) return;
  signal.addEventListener('abort', () => queue.shutDown(), { once: true });
  const synced = await Promise.all(opts.caches.map((c) => c.waitForSync(signal)));
  if (!synced.every(Boolean)) {
    queue.shutDown();
    return;
  }
  await runWorkers(queue, sync, { workers: opts.workers, onError: opts.onError });
}
