/**
 * Compute resources as the scheduler counts them (upstream framework.Resource): CPU in
 * millicores, memory and ephemeral storage in bytes, the pod count, and scalar resources
 * (extended `example.com/gpu`, `hugepages-*`, prefixed native and attachable-volume names).
 */
import type { Container, Pod } from '../../apimachinery/generated/types.js';
import { tryParseQuantity } from '../../apimachinery/quantity.js';

export type ResourceList = Record<string, string | number> | undefined;

/** Defaults the scorers assume for containers without a request (upstream non-zero requests). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export class Resource {
  milliCPU = 0;
  memory = 0;
  ephemeralStorage = 0;
  allowedPodNumber = 0;
  scalar = new Map<string, number>();

  static fromList(rl: ResourceList): Resource {
    const r = new Resource();
    r.addList(rl);
    return r;
  }

  clone(): Resource {
    const r = new Resource();
    r.milliCPU = this.milliCPU;
    r.memory = this.memory;
    r.ephemeralStorage = this.ephemeralStorage;
    r.allowedPodNumber = this.allowedPodNumber;
    r.scalar = new Map(this.scalar);
    return r;
  }

  addList(rl: ResourceList): void {
    if (!rl) return;
    for (const [name, raw] of Object.entries(rl)) {
      const q = tryParseQuantity(raw);
      if (!q) continue;
      switch (name) {
        case 'cpu': this.milliCPU += q.milliValue(); break;
        case 'memory': this.memory += q.value(); break;
        case 'ephemeral-storage': this.ephemeralStorage += q.value(); break;
        case 'pods': this.allowedPodNumber += q.value(); break;
        default:
          if (isScalarResourceName(name)) this.scalar.set(name, (this.scalar.get(name) ?? 0) + q.value());
      }
    }
  }

  /** Adds (sign 1) or subtracts (sign -1) another resource. */
  addResource(o: Resource, sign = 1): void {
    this.milliCPU += sign * o.milliCPU;
    this.memory += sign * o.memory;
    this.ephemeralStorage += sign * o.ephemeralStorage;
    this.allowedPodNumber += sign * o.allowedPodNumber;
    for (const [k, v] of o.scalar) this.scalar.set(k, (this.scalar.get(k) ?? 0) + sign * v);
  }

  /** Element-wise maximum. */
  setMax(o: Resource): void {
    this.milliCPU = Math.max(this.milliCPU, o.milliCPU);
    this.memory = Math.max(this.memory, o.memory);
    this.ephemeralStorage = Math.max(this.ephemeralStorage, o.ephemeralStorage);
    for (const [k, v] of o.scalar) this.scalar.set(k, Math.max(this.scalar.get(k) ?? 0, v));
  }

  /** Value of a resource by its API name. */
  get(name: string): number {
    switch (name) {
      case 'cpu': return this.milliCPU;
      case 'memory': return this.memory;
      case 'ephemeral-storage': return this.ephemeralStorage;
      case 'pods': return this.allowedPodNumber;
      default: return this.scalar.get(name) ?? 0;
    }
  }
}

export function isScalarResourceName(name: string): boolean {
  if (name.startsWith('hugepages-') || name.startsWith('attachable-volumes-')) return true;
  // Extended (example.com/foo) and prefixed native (kubernetes.io/foo) names carry a slash.
  return name.includes('/') && !name.startsWith('requests.');
}

function containerRequests(c: Container, nonZero: boolean): Resource {
  const r = Resource.fromList(c.resources?.requests);
  if (nonZero) {
    const req = c.resources?.requests ?? {};
    if (!('cpu' in req)) r.milliCPU = DEFAULT_MILLI_CPU_REQUEST;
    if (!('memory' in req)) r.memory = DEFAULT_MEMORY_REQUEST;
  }
  return r;
}

/**
 * The pod's effective request: the larger of (app containers + sidecars) and the peak of the
 * init sequence (each init container on top of the sidecars started before it), plus overhead.
 * With `nonZero`, containers without a CPU or memory request count upstream's defaults.
 */
export function podRequests(pod: Pod, nonZero = false): Resource {
  const spec = pod.spec;
  const total = new Resource();
  if (!spec) return total;
  for (const c of spec.containers ?? []) total.addResource(containerRequests(c, nonZero));
  const sidecars = new Resource();
  const initPeak = new Resource();
  for (const c of spec.initContainers ?? []) {
    const r = containerRequests(c, nonZero);
    if (c.restartPolicy === 'Always') {
      sidecars.addResource(r);
      initPeak.setMax(sidecars);
    } else {
      const during = sidecars.clone();
      during.addResource(r);
      initPeak.setMax(during);
    }
  }
  total.addResource(sidecars);
  total.setMax(initPeak);
  if (spec.overhead) total.addResource(Resource.fromList(spec.overhead));
  return total;
}
