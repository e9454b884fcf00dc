/**
 * Per-key exponential back-off with the semantics of upstream's `flowcontrol.Backoff` as the
 * kubelet uses it for restarting crashed containers: the first failure restarts at once and
 * arms `initial`; each further failure inside the window doubles it up to `max`; a failure more
 * than `2 × max` after the previous update starts over at `initial`.
 *
 * `isInBackOffSince(key, eventTime)` asks whether a container that finished at `eventTime` must
 * still wait; `next(key, eventTime)` records a restart.
 */

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  now?: () => number;
}

interface Entry {
  backoffMs: number;
  lastUpdate: number;
}

export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Current back-off for the key (0 when none). */
  get(key: string): number;
  next(key: string, eventTime: number): void;
  isInBackOffSince(key: string, eventTime: number): boolean;
  /** When the key's back-off since `eventTime` ends (ms, clock of `now`). */
  until(key: string, eventTime: number): number;
  reset(key: string): void;
  /** Forgets entries untouched for more than `2 × max`. */
  gc(): void;
  readonly size: number;
}

export const DEFAULT_BACKOFF_INITIAL_MS = 10_000;
export const DEFAULT_BACKOFF_MAX_MS = 300_000;

export function createBackoff(opts: BackoffOptions = {}): Backoff {
  const initialMs = opts.initialMs ?? DEFAULT_BACKOFF_INITIAL_MS;
  const maxMs = opts.maxMs ?? DEFAULT_BACKOFF_MAX_MS;
  const now = opts.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const expired = (eventTime: number, lastUpdate: number): boolean => eventTime - lastUpdate > 2 * maxMs;

  return {
    initialMs,
    maxMs,
    get(key) {
      return entries.get(key)?.backoffMs ?? 0;
    },
    next(key, eventTime) {
      const e = entries.get(key);
      if (!e || expired(eventTime, e.lastUpdate)) entries.set(key, { backoffMs: Math.min(initialMs, maxMs), lastUpdate: now() });
      else {
        e.backoffMs = Math.min(e.backoffMs * 2, maxMs);
        e.lastUpdate = now();
      }
    },
    isInBackOffSince(key, eventTime) {
      const e = entries.get(key);
      if (!e) return false;
      if (expired(now(), e.lastUpdate)) return false;
      return now() - eventTime < e.backoffMs;
    },
    until(key, eventTime) {
      const e = entries.get(key);
      return e ? eventTime + e.backoffMs : eventTime;
    },
    reset(key) {
      entries.delete(key);
    },
    gc() {
      const t = now();
      for (const [k, e] of entries) if (expired(t, e.lastUpdate)) entries.delete(k);
    },
    get size() {
      return entries.size;
    },
  };
}
