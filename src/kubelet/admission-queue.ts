/**
 * The order in which the kubelet admits new pods: pods handed over together (the replay at
 * subscribe, a burst of bindings) form one batch sorted by `order` (creation time), each admitted
 * after the ones before it; pods that arrive while a batch is being admitted form the next batch.
 * One drain runs at a time. It forgets itself in the same turn in which it finds nothing left, so
 * a pod queued at any later moment starts a new drain and never waits for the next arrival.
 */
export interface AdmissionQueue<T> {
  push(item: T): void;
  /** Resolves when every item queued so far has been handled. */
  drained(): Promise<void>;
}

export function createAdmissionQueue<T>(opts: {
  order(a: T, b: T): number;
  /** Handles one item; must not throw (failures are the caller's to record). */
  handle(item: T): Promise<void>;
}): AdmissionQueue<T> {
  const waiting: T[] = [];
  let draining: Promise<void> | undefined;

  async function drain(): Promise<void> {
    for (;;) {
      if (waiting.length === 0) {
        draining = undefined;
        return;
      }
      const batch = waiting.splice(0).sort(opts.order);
      for (const item of batch) await opts.handle(item);
    }
  }

  return {
    push(item) {
      waiting.push(item);
      // Start on a microtask so the items pushed in this turn sort together.
      draining ??= new Promise<void>((resolve) => queueMicrotask(resolve)).then(drain);
    },
    drained: () => draining ?? Promise.resolve(),
  };
}
