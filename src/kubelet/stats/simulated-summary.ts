/**
 * `/stats/summary` for a simulated node: nothing runs, so each running container reports steady,
 * plausible figures. A container uses what the `sim.skiff.io/cpu-usage` / `sim.skiff.io/memory-usage`
 * pod annotations say (`.<container>` for one container), else its request, else half its limit,
 * else 1m CPU and 4Mi memory. Cumulative CPU time grows at that rate since the container was
 * created. The node reports its pods' sums plus a fixed system share (100m, 256Mi).
 */
import type { Container as PodContainer, Pod } from '../../apimachinery/generated/types.js';
import { tryParseQuantity } from '../../apimachinery/quantity.js';
import type { RuntimeService } from '../runtime/runtime.js';
import { LABEL_CONTAINER_NAME, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID } from '../runtime/runtime.js';
import { annotationFor } from '../runtime/simulated.js';
import type { ContainerFigures } from './summary-builder.js';
import { buildSummary } from './summary-builder.js';
import type { Summary, SummaryProvider } from './summary-api.js';

export const ANNOTATION_CPU_USAGE = 'sim.skiff.io/cpu-usage';
export const ANNOTATION_MEMORY_USAGE = 'sim.skiff.io/memory-usage';
export const DEFAULT_CPU_NANOCORES = 1e6;
export const DEFAULT_MEMORY_BYTES = 4 * 1024 * 1024;
export const SYSTEM_CPU_NANOCORES = 100e6;
export const SYSTEM_MEMORY_BYTES = 256 * 1024 * 1024;

type Resources = Record<string, string | number> | undefined;

function nanoCores(q: string | number | undefined): number | undefined {
  if (q === undefined || q === '') return undefined;
  const v = tryParseQuantity(q);
  return v ? v.milliValue() * 1e6 : undefined;
}

function bytes(q: string | number | undefined): number | undefined {
  if (q === undefined || q === '') return undefined;
  const v = tryParseQuantity(q);
  return v ? v.value() : undefined;
}

function half(n: number | undefined): number | undefined {
  return n === undefined ? undefined : Math.floor(n / 2);
}

/** The steady usage of one simulated container. */
export function simulatedUsage(pod: Pod | undefined, container: string): { nanoCores: number; bytes: number } {
  const annotations = pod?.metadata?.annotations ?? {};
  const spec: PodContainer | undefined = pod?.spec?.containers.find((c) => c.name === container)
    ?? pod?.spec?.initContainers?.find((c) => c.name === container);
  const requests = spec?.resources?.requests as Resources;
  const limits = spec?.resources?.limits as Resources;
  const cpu = nanoCores(annotationFor(annotations, ANNOTATION_CPU_USAGE, container, true))
    ?? nanoCores(requests?.cpu) ?? half(nanoCores(limits?.cpu)) ?? DEFAULT_CPU_NANOCORES;
  const memory = bytes(annotationFor(annotations, ANNOTATION_MEMORY_USAGE, container, true))
    ?? bytes(requests?.memory) ?? half(bytes(limits?.memory)) ?? DEFAULT_MEMORY_BYTES;
  return { nanoCores: cpu, bytes: memory };
}

export interface SimulatedSummaryOptions {
  nodeName: string;
  runtime: Pick<RuntimeService, 'listContainers'>;
  /** The pods bound to this node. */
  pods: () => Pod[];
  /** When the node started (ms). */
  startMs: number;
  now?: () => number;
}

export function createSimulatedSummary(opts: SimulatedSummaryOptions): SummaryProvider {
  const now = opts.now ?? Date.now;
  return {
    async summary(): Promise<Summary> {
      const t = now();
      const byUid = new Map<string, Pod>();
      for (const p of opts.pods()) if (p.metadata?.uid) byUid.set(p.metadata.uid, p);
      const containers: ContainerFigures[] = [];
      for (const c of await opts.runtime.listContainers({ state: 'CONTAINER_RUNNING' })) {
        const name = c.labels[LABEL_CONTAINER_NAME];
        const uid = c.labels[LABEL_POD_UID] ?? '';
        if (!name) continue;
        const u = simulatedUsage(byUid.get(uid), name);
        const startMs = Math.floor(c.createdAt / 1e6);
        containers.push({
          pod: { name: c.labels[LABEL_POD_NAME] ?? '', namespace: c.labels[LABEL_POD_NAMESPACE] ?? '', uid }, name, startMs,
          cpu: { timeMs: t, usageNanoCores: u.nanoCores, usageCoreNanoSeconds: Math.round(u.nanoCores * Math.max(0, t - startMs) / 1000) },
          memory: { timeMs: t, workingSetBytes: u.bytes, usageBytes: u.bytes, rssBytes: u.bytes },
        });
      }
      const cpu = containers.reduce((a, c) => a + (c.cpu?.usageNanoCores ?? 0), SYSTEM_CPU_NANOCORES);
      const memory = containers.reduce((a, c) => a + (c.memory?.workingSetBytes ?? 0), SYSTEM_MEMORY_BYTES);
      return buildSummary({
        nodeName: opts.nodeName, startMs: opts.startMs,
        cpu: { timeMs: t, usageNanoCores: cpu, usageCoreNanoSeconds: Math.round(cpu * Math.max(0, t - opts.startMs) / 1000) },
        memory: { timeMs: t, workingSetBytes: memory, usageBytes: memory },
      }, containers);
    },
  };
}
