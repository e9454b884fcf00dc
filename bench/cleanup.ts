/**
 * Process and temp-dir bookkeeping for the benchmark: everything started here is registered and
 * torn down on success, failure, or a signal (children are spawned in their own process group so
 * a whole tree goes with them).
 */
import { rmSync } from 'node:fs';

type Cleanup = () => Promise<void> | void;

const pending = new Map<number, Cleanup>();
let nextId = 1;
let installed = false;

/** Registers a cleanup; returns a function that runs it now (once) and unregisters it. */
export function onCleanup(fn: Cleanup): () => Promise<void> {
  installSignalHandlers();
  const id = nextId++;
  pending.set(id, fn);
  return async () => {
    if (!pending.delete(id)) return;
    await fn();
  };
}

/** Kills a process group we started (negative pid), falling back to the single pid. */
export function killTree(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try { process.kill(pid, signal); } catch { /* already gone */ }
  }
}

export function removeDir(dir: string): void {
  try { rmSync(dir, { recursive: true, force: true }); } catch { /* best effort */ }
}

let running: Promise<void> | undefined;

/**
 * Runs every registered cleanup, newest first, until none is left (also those registered while it
 * runs). Concurrent callers share one run, so nobody exits before it has finished.
 */
export function runCleanups(): Promise<void> {
  running ??= (async () => {
    while (pending.size) {
      const [id, fn] = [...pending.entries()][pending.size - 1];
      pending.delete(id);
      try { await fn(); } catch (err) {
        process.stderr.write(`bench cleanup: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    }
  })().finally(() => { running = undefined; });
  return running;
}

function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\nbench: ${sig}, cleaning up\n`);
      void runCleanups().finally(() => process.exit(130));
    });
  }
}
