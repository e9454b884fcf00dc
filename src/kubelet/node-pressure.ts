/**
 * The node's MemoryPressure, DiskPressure and PIDPressure from real readings against hard
 * eviction thresholds (upstream's eviction manager signals). The defaults are upstream's Linux
 * `evictionHard`: memory.available<100Mi, nodefs.available<10%, nodefs.inodesFree<5%,
 * imagefs.available<15%, imagefs.inodesFree<5%; Skiff adds pid.available<5% (upstream has no
 * default PID threshold, so its PIDPressure would never turn True). A signal without a reading
 * never counts as pressure. A condition stays True for the pressure transition period (upstream's
 * `--eviction-pressure-transition-period`, default 5 min) after it was last observed, so a node
 * hovering around a threshold does not flap.
 */

export type Signal =
  | 'memory.available' | 'nodefs.available' | 'nodefs.inodesFree' | 'imagefs.available' | 'imagefs.inodesFree' | 'pid.available';

export interface Threshold {
  signal: Signal;
  /** An absolute minimum (bytes, inodes or PIDs) ... */
  quantity?: number;
  /** ... or a fraction (0–1) of the capacity. */
  percentage?: number;
}

/** An amount left and the capacity it is out of. */
export interface Reading {
  available: number;
  capacity: number;
}

export type NodeReadings = Partial<Record<Signal, Reading>>;

export interface NodePressure {
  memoryPressure: boolean;
  diskPressure: boolean;
  pidPressure: boolean;
}

const MI = 1024 * 1024;

export const DEFAULT_EVICTION_HARD: readonly Threshold[] = [
  { signal: 'memory.available', quantity: 100 * MI },
  { signal: 'nodefs.available', percentage: 0.1 },
  { signal: 'nodefs.inodesFree', percentage: 0.05 },
  { signal: 'imagefs.available', percentage: 0.15 },
  { signal: 'imagefs.inodesFree', percentage: 0.05 },
  { signal: 'pid.available', percentage: 0.05 },
];

/** Which condition each signal drives. */
const CONDITION: Record<Signal, keyof NodePressure> = {
  'memory.available': 'memoryPressure',
  'nodefs.available': 'diskPressure',
  'nodefs.inodesFree': 'diskPressure',
  'imagefs.available': 'diskPressure',
  'imagefs.inodesFree': 'diskPressure',
  'pid.available': 'pidPressure',
};

export function thresholdMet(t: Threshold, r: Reading): boolean {
  const min = t.quantity ?? (t.percentage ?? 0) * r.capacity;
  return r.available < min;
}

export function nodePressure(readings: NodeReadings, thresholds: readonly Threshold[] = DEFAULT_EVICTION_HARD): NodePressure {
  const out: NodePressure = { memoryPressure: false, diskPressure: false, pidPressure: false };
  for (const t of thresholds) {
    const r = readings[t.signal];
    if (r && r.capacity > 0 && thresholdMet(t, r)) out[CONDITION[t.signal]] = true;
  }
  return out;
}

/** Upstream's default `--eviction-pressure-transition-period`. */
export const DEFAULT_PRESSURE_TRANSITION_PERIOD_MS = 5 * 60_000;

/**
 * Holds each pressure condition True until `periodMs` have passed since it was last observed
 * (upstream eviction manager's nodeConditionsObservedSince); returns the conditions to report.
 */
export function createPressureTransition(periodMs = DEFAULT_PRESSURE_TRANSITION_PERIOD_MS, now: () => number = Date.now): (observed: NodePressure) => NodePressure {
  const lastObserved: Partial<Record<keyof NodePressure, number>> = {};
  return (observed) => {
    const t = now();
    const out: NodePressure = { memoryPressure: false, diskPressure: false, pidPressure: false };
    for (const k of Object.keys(out) as (keyof NodePressure)[]) {
      if (observed[k]) lastObserved[k] = t;
      const at = lastObserved[k];
      out[k] = at !== undefined && t - at < periodMs;
    }
    return out;
  };
}
