/**
 * Ordered, asynchronous delivery of watch events to one watcher, shared by the SQLite store and
 * the watch cache. Producers push synchronously (possibly while a write is committing); the
 * handler runs later in a microtask, so a handler may call back into the store safely.
 */

import type { WatchEvent, WatchHandlers } from './store.js';

export interface WatchQueue {
  /** Queue events (already in revision order) for delivery. Ignored once closed. */
  push(events: WatchEvent[]): void;
  /** Queue a callback that runs after every event pushed so far has been delivered. */
  pushMarker(fn: () => void): void;
  /** Deliver `err` (after already queued events) and close. */
  fail(err: Error): void;
  close(): void;
  readonly closed: boolean;
}

type Item = WatchEvent[] | (() => void);

export function createWatchQueue(handlers: WatchHandlers, onClose?: () => void): WatchQueue {
  let items: Item[] = [];
  let scheduled = false;
  let closed = false;
  let failure: Error | undefined;

  const flush = (): void => {
    scheduled = false;
    const batch = items;
    items = [];
    let events: WatchEvent[] = [];
    const emit = (): void => {
      if (events.length === 0 || closed) return;
      const out = events;
      events = [];
      try { handlers.onEvents(out); } catch (err) { reportHandlerError(err); }
    };
    for (const item of batch) {
      if (typeof item === 'function') {
        emit();
        if (!closed) item();
      } else {
        for (const e of item) events.push(e);
      }
    }
    emit();
    if (failure && !closed) {
      const err = failure;
      q.close();
      try { handlers.onError?.(err); } catch (e) { reportHandlerError(e); }
    }
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    queueMicrotask(flush);
  };

  const q: WatchQueue = {
    push(events) {
      if (closed || failure || events.length === 0) return;
      items.push(events);
      schedule();
    },
    pushMarker(fn) {
      if (closed || failure) return;
      items.push(fn);
      schedule();
    },
    fail(err) {
      if (closed || failure) return;
      failure = err;
      schedule();
    },
    close() {
      if (closed) return;
      closed = true;
      items = [];
      onClose?.();
    },
    get closed() { return closed; },
  };
  return q;
}

function reportHandlerError(err: unknown): void {
  // A throwing handler must not break delivery to other watchers or the committing writer.
  console.error('storage: watch handler threw', err);
}

/** The smallest string greater than every string starting with `prefix` ('' when unbounded). */
export function prefixEnd(prefix: string): string {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const c = prefix.charCodeAt(i);
    if (c < 0xffff) return prefix.slice(0, i) + String.fromCharCode(c + 1);
  }
  return '';
}
