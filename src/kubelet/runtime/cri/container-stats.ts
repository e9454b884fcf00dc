/**
 * CRI `ListContainerStats` answers as the runtime interface's `ContainerStats`: optional wrapped
 * values (`UInt64Value`) become plain numbers or stay undefined, so "not measured" and "zero" are
 * told apart as upstream's kubelet does.
 */
import type { ContainerStats } from '../runtime.js';
import type { Maybe, WireContainerStats } from './wire.js';

function unwrap(v: Maybe<{ value: number }>): number | undefined {
  return v ? v.value : undefined;
}

export function containerStatsFromWire(s: WireContainerStats): ContainerStats {
  const a = s.attributes;
  const out: ContainerStats = {
    attributes: {
      id: a?.id ?? '', metadata: { name: a?.metadata?.name ?? '', attempt: a?.metadata?.attempt ?? 0 },
      labels: { ...(a?.labels ?? {}) }, annotations: { ...(a?.annotations ?? {}) },
    },
  };
  if (s.cpu && s.cpu.timestamp > 0) out.cpu = { timestamp: s.cpu.timestamp, usageCoreNanoSeconds: unwrap(s.cpu.usageCoreNanoSeconds) };
  const m = s.memory;
  if (m && m.timestamp > 0) {
    out.memory = {
      timestamp: m.timestamp, workingSetBytes: unwrap(m.workingSetBytes), availableBytes: unwrap(m.availableBytes), usageBytes: unwrap(m.usageBytes),
      rssBytes: unwrap(m.rssBytes), pageFaults: unwrap(m.pageFaults), majorPageFaults: unwrap(m.majorPageFaults),
    };
  }
  return out;
}
