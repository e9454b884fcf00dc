/**
 * CPU usage rates from cumulative counters, as cadvisor computes them: the CPU time used between
 * the last two samples divided by the time between them, in billionths of a core (nanocores).
 */

export interface CpuSample {
  /** When the counter was read, ns since the epoch. */
  timeNs: number;
  /** Cumulative CPU time over all cores, ns. */
  usageCoreNanoSeconds: number;
}

/** Nanocores used between two samples; undefined when time did not advance or the counter went back (a restart). */
export function nanoCoresBetween(prev: CpuSample, cur: CpuSample): number | undefined {
  const dt = cur.timeNs - prev.timeNs;
  const used = cur.usageCoreNanoSeconds - prev.usageCoreNanoSeconds;
  if (dt <= 0 || used < 0) return undefined;
  return Math.round((used * 1e9) / dt);
}

/** The last two samples of many counters (by key), and the rate between them. */
export class CpuRateTracker {
  private readonly samples = new Map<string, { prev?: CpuSample; cur: CpuSample }>();

  /** Records a sample and returns the rate since the one before (undefined for the first). */
  observe(key: string, sample: CpuSample): number | undefined {
    const entry = this.samples.get(key);
    if (entry && sample.timeNs <= entry.cur.timeNs) return this.rate(key);
    this.samples.set(key, { prev: entry?.cur, cur: sample });
    return this.rate(key);
  }

  rate(key: string): number | undefined {
    const entry = this.samples.get(key);
    return entry?.prev ? nanoCoresBetween(entry.prev, entry.cur) : undefined;
  }

  /** Forgets counters not in `keys` (containers that went away). */
  retain(keys: ReadonlySet<string>): void {
    for (const k of this.samples.keys()) if (!keys.has(k)) this.samples.delete(k);
  }
}
