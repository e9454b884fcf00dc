/**
 * A pod's effective requests and limits (upstream component-helpers resource.PodRequests /
 * PodLimits): containers summed; each regular init container runs alone beside the restartable
 * (sidecar) init containers started before it, so the pod needs the larger of the two; sidecars
 * also add to the steady state. Overhead is added when asked (quota counts it).
 */
import type { Container, PodSpec } from '../generated/types.js';
import type { ResourceList } from './resource-list.js';
import { parseResourceList } from './resource-list.js';

function addInto(target: ResourceList, src: ResourceList): void {
  for (const [k, v] of src) {
    const cur = target.get(k);
    target.set(k, cur ? cur.add(v) : v);
  }
}

function maxInto(target: ResourceList, src: ResourceList): void {
  for (const [k, v] of src) {
    const cur = target.get(k);
    if (!cur || v.cmp(cur) > 0) target.set(k, v);
  }
}

export function containerResources(c: Container, field: 'requests' | 'limits'): ResourceList {
  return parseResourceList(c.resources?.[field]);
}

/** Summed requests or limits of a pod spec. */
export function podResources(spec: PodSpec, field: 'requests' | 'limits', opts: { overhead?: boolean } = {}): ResourceList {
  const total: ResourceList = new Map();
  for (const c of spec.containers ?? []) addInto(total, containerResources(c, field));
  const sidecars: ResourceList = new Map();
  const initPeak: ResourceList = new Map();
  for (const c of spec.initContainers ?? []) {
    const own = containerResources(c, field);
    let effective: ResourceList;
    if (c.restartPolicy === 'Always') {
      addInto(total, own);
      addInto(sidecars, own);
      effective = new Map(sidecars);
    } else {
      effective = new Map(own);
      addInto(effective, sidecars);
    }
    maxInto(initPeak, effective);
  }
  maxInto(total, initPeak);
  if (opts.overhead && spec.overhead) {
    const overhead = parseResourceList(spec.overhead);
    if (field === 'requests') addInto(total, overhead);
    else for (const [k, v] of overhead) if (total.has(k)) total.set(k, total.get(k)!.add(v));
  }
  return total;
}
