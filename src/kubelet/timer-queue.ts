/**
 * One shared timer for many deadlines: a binary min-heap of due times behind a single
 * `setTimeout`, so thousands of simulated nodes and their containers, probes, back-offs and
 * heartbeats cost one Node timer, not one each.
 *
 * Contract: callbacks run in due order (ties in scheduling order), never synchronously from `at`
 * or `after`; a callback that throws is reported to `onError` and does not stop the others;
 * `cancel()` is idempotent. A `manual` queue never arms a Node timer: tests move its clock with
 * `advance(ms)`, which runs everything that falls due on the way, in order.
 */

export interface TimerHandle {
  cancel(): void;
}

export interface TimerQueue {
  /** Milliseconds since the epoch on this queue's clock. */
  now(): number;
  /** Runs `fn` at `whenMs` (this queue's clock). */
  at(whenMs: number, fn: () => void): TimerHandle;
  after(delayMs: number, fn: () => void): TimerHandle;
  /** Pending (not cancelled) timers. */
  readonly size: number;
  /** Manual queues only: moves the clock forward, running what falls due. */
  advance(ms: number): void;
  /** Drops every pending timer and disarms; later `at` calls are ignored. */
  close(): void;
}

export interface TimerQueueOptions {
  /** No Node timer; the clock starts at `startMs` (default 1_700_000_000_000) and moves by `advance`. */
  manual?: boolean;
  startMs?: number;
  onError?: (err: unknown) => void;
}

interface Entry {
  when: number;
  seq: number;
  fn: (() => void) | undefined;
}

const MAX_DELAY = 2_147_483_647;

export function createTimerQueue(opts: TimerQueueOptions = {}): TimerQueue {
  const heap: Entry[] = [];
  let seq = 0;
  let live = 0;
  let closed = false;
  let armedFor = Infinity;
  let timer: NodeJS.Timeout | undefined;
  let manualNow = opts.startMs ?? 1_700_000_000_000;
  const onError = opts.onError ?? ((err: unknown) => { console.error('timer callback failed', err); });
  const now = opts.manual ? () => manualNow : () => Date.now();

  function less(a: Entry, b: Entry): boolean {
    return a.when < b.when || (a.when === b.when && a.seq < b.seq);
  }

  function push(e: Entry): void {
    heap.push(e);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(heap[i]!, heap[p]!)) break;
      [heap[i], heap[p]] = [heap[p]!, heap[i]!];
      i = p;
    }
  }

  function pop(): Entry | undefined {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  }

  /** Drops cancelled entries at the top so the armed time is a live one. */
  function trim(): void {
    while (heap.length > 0 && heap[0]!.fn === undefined) pop();
    // Many cancelled entries deep in the heap: rebuild without them.
    if (heap.length > 1024 && live < heap.length / 4) {
      const keep = heap.filter((e) => e.fn !== undefined);
      heap.length = 0;
      for (const e of keep) push(e);
    }
  }

  function runDue(limit: number): void {
    for (;;) {
      trim();
      const top = heap[0];
      if (!top || top.when > limit) return;
      pop();
      const fn = top.fn;
      top.fn = undefined;
      live--;
      if (!fn) continue;
      try {
        fn();
      } catch (err) {
        onError(err);
      }
    }
  }

  function arm(): void {
    if (opts.manual || closed) return;
    trim();
    const top = heap[0];
    if (!top) {
      if (timer) clearTimeout(timer);
      timer = undefined;
      armedFor = Infinity;
      return;
    }
    if (timer && armedFor <= top.when) return;
    if (timer) clearTimeout(timer);
    armedFor = top.when;
    timer = setTimeout(fire, Math.min(MAX_DELAY, Math.max(0, top.when - Date.now())));
  }

  function fire(): void {
    timer = undefined;
    armedFor = Infinity;
    runDue(Date.now());
    arm();
  }

  const queue: TimerQueue = {
    now,
    at(whenMs, fn) {
      if (closed) return { cancel() {} };
      const e: Entry = { when: whenMs, seq: seq++, fn };
      live++;
      push(e);
      if (!opts.manual && whenMs < armedFor) queueMicrotask(arm);
      return {
        cancel() {
          if (e.fn === undefined) return;
          e.fn = undefined;
          live--;
        },
      };
    },
    after(delayMs, fn) {
      return queue.at(now() + Math.max(0, delayMs), fn);
    },
    get size() {
      return live;
    },
    advance(ms) {
      if (!opts.manual) throw new Error('advance() needs a manual timer queue');
      const target = manualNow + ms;
      for (;;) {
        trim();
        const top = heap[0];
        if (!top || top.when > target) break;
        manualNow = Math.max(manualNow, top.when);
        runDue(manualNow);
      }
      manualNow = target;
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      for (const e of heap) e.fn = undefined;
      heap.length = 0;
      live = 0;
    },
  };
  return queue;
}
