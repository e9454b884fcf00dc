/**
 * A container's CPU and memory requests and limits as CRI's LinuxContainerResources, as upstream's
 * kuberuntime computes them for the cgroupfs driver: shares from the request (or the limit when
 * there is no request; at least 2), CFS quota from the limit over a 100 ms period (at least 1 ms),
 * the memory limit in bytes. Millicores included (`250m` → 256 shares, 25 ms quota).
 */
import { milliValue } from '../../../apimachinery/quantity.js';
import type { WireLinuxContainerResources } from './wire.js';

export const CPU_PERIOD_US = 100_000;
export const MIN_SHARES = 2;
export const MAX_SHARES = 262_144;
export const MIN_QUOTA_US = 1_000;
const SHARES_PER_CPU = 1024;

export interface ResourceRequirementsLike {
  requests?: Record<string, string | number>;
  limits?: Record<string, string | number>;
}

export function milliCpuToShares(milliCpu: number): number {
  if (milliCpu === 0) return MIN_SHARES;
  const shares = Math.floor((milliCpu * SHARES_PER_CPU) / 1000);
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, shares));
}

export function milliCpuToQuota(milliCpu: number, period = CPU_PERIOD_US): number {
  if (milliCpu === 0) return 0;
  return Math.max(MIN_QUOTA_US, Math.floor((milliCpu * period) / 1000));
}

function quantity(map: Record<string, string | number> | undefined, key: string): string | number | undefined {
  const v = map?.[key];
  return v === undefined || v === '' ? undefined : v;
}

/** LinuxContainerResources for a container's `resources`. */
export function linuxContainerResources(res: ResourceRequirementsLike | undefined): WireLinuxContainerResources {
  const cpuRequest = quantity(res?.requests, 'cpu');
  const cpuLimit = quantity(res?.limits, 'cpu');
  const memoryLimit = quantity(res?.limits, 'memory');
  const out: WireLinuxContainerResources = {};
  const sharesFrom = cpuRequest ?? cpuLimit;
  out.cpuShares = milliCpuToShares(sharesFrom === undefined ? 0 : milliValue(sharesFrom));
  if (cpuLimit !== undefined) {
    out.cpuPeriod = CPU_PERIOD_US;
    out.cpuQuota = milliCpuToQuota(milliValue(cpuLimit));
  }
  if (memoryLimit !== undefined) out.memoryLimitInBytes = Math.ceil(milliValue(memoryLimit) / 1000);
  return out;
}
