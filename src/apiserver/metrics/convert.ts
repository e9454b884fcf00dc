/**
 * Summary API figures → metrics.k8s.io objects, as metrics-server builds them: CPU is the usage
 * rate in cores (a quantity from nanocores, `123456n`, canonical), memory the working set (a
 * binary quantity, `2860Ki`); metadata carries the object's name, namespace and labels and the
 * time of the answer. Objects without both figures are left out (undefined).
 */
import { Quantity } from '../../apimachinery/quantity.js';
import type { KubeObject } from '../../apimachinery/object.js';
import type { CPUStats, MemoryStats, NodeStats, PodStats } from '../../kubelet/stats/summary-api.js';
import { METRICS_GROUP, METRICS_VERSION } from './resources.js';

export interface Usage {
  cpu: string;
  memory: string;
}

export interface NodeMetrics {
  kind: 'NodeMetrics';
  apiVersion: string;
  metadata: { name: string; creationTimestamp: string; labels?: Record<string, string> };
  timestamp: string;
  window: string;
  usage: Usage;
}

export interface PodMetrics {
  kind: 'PodMetrics';
  apiVersion: string;
  metadata: { name: string; namespace: string; creationTimestamp: string; labels?: Record<string, string> };
  timestamp: string;
  window: string;
  containers: { name: string; usage: Usage }[];
}

export const API_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`;

export function cpuQuantity(nanoCores: number): string {
  return Quantity.fromParts(BigInt(Math.max(0, Math.round(nanoCores))), -9, 'DecimalSI').toString();
}

export function memoryQuantity(bytes: number): string {
  return Quantity.fromParts(BigInt(Math.max(0, Math.round(bytes))), 0, 'BinarySI').toString();
}

/** The usage pair, or undefined when either figure is missing. */
export function usageOf(cpu: CPUStats | undefined, memory: MemoryStats | undefined): Usage | undefined {
  if (cpu?.usageNanoCores === undefined || memory?.workingSetBytes === undefined) return undefined;
  return { cpu: cpuQuantity(cpu.usageNanoCores), memory: memoryQuantity(memory.workingSetBytes) };
}

function labelsOf(o: KubeObject): { labels?: Record<string, string> } {
  const l = o.metadata.labels;
  return l && Object.keys(l).length ? { labels: { ...l } } : {};
}

export function nodeMetrics(node: KubeObject, stats: NodeStats, window: string, now: string): NodeMetrics | undefined {
  const usage = usageOf(stats.cpu, stats.memory);
  if (!usage || !stats.cpu) return undefined;
  return {
    kind: 'NodeMetrics', apiVersion: API_VERSION,
    metadata: { name: node.metadata.name ?? '', creationTimestamp: now, ...labelsOf(node) },
    timestamp: stats.cpu.time, window, usage,
  };
}

export function podMetrics(pod: KubeObject, stats: PodStats, window: string, now: string): PodMetrics | undefined {
  const containers: PodMetrics['containers'] = [];
  let timestamp = '';
  for (const c of stats.containers) {
    const usage = usageOf(c.cpu, c.memory);
    if (!usage) continue;
    containers.push({ name: c.name, usage });
    if (c.cpu && c.cpu.time > timestamp) timestamp = c.cpu.time;
  }
  if (!containers.length) return undefined;
  return {
    kind: 'PodMetrics', apiVersion: API_VERSION,
    metadata: { name: pod.metadata.name ?? '', namespace: pod.metadata.namespace ?? '', creationTimestamp: now, ...labelsOf(pod) },
    timestamp, window, containers,
  };
}
