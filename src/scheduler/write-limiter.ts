/**
 * At most `n` API writes of the scheduler at once (bindings, events); the rest wait in FIFO order.
 * A burst of thousands of assumed pods then reuses a few keep-alive connections instead of
 * opening (and TLS-handshaking) one per binding.
 */
export interface WriteLimiter {
  run<T>(task: () => Promise<T>): Promise<T>;
}

export function createWriteLimiter(n: number): WriteLimiter {
  let active = 0;
  const queue: (() => void)[] = [];
  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (active >= n) await new Promise<void>((resolve) => queue.push(resolve));
      active++;
      try {
        return await task();
      } finally {
        active--;
        queue.shift()?.();
      }
    },
  };
}
