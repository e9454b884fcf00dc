/**
 * LimitRanger (upstream plugin/pkg/admission/limitranger). For new pods: containers without
 * requests / limits get the `defaultRequest` / `default` of every `Container` item of the
 * namespace's LimitRanges (recorded in the `kubernetes.io/limit-ranger` annotation); then the
 * min, max and maxLimitRequestRatio of `Container` and `Pod` items are enforced. Claims (create
 * and update) are held to the `PersistentVolumeClaim` items' storage min / max. Pod updates are
 * left alone (containers cannot change). Refusals are 403 Forbidden with upstream's wording.
 */
import type { KubeObject } from '../../apimachinery/object.js';
import type { Container, LimitRangeItem, PersistentVolumeClaim, PodSpec } from '../../apimachinery/generated/types.js';
import { forbidden } from '../../apimachinery/errors.js';
import type { Quantity } from '../../apimachinery/quantity.js';
import type { ResourceList } from '../../apimachinery/quota/resource-list.js';
import { parseResourceList } from '../../apimachinery/quota/resource-list.js';
import { podResources } from '../../apimachinery/quota/pod-resources.js';
import type { AdmissionAttributes, AdmissionPlugin } from './admission.js';
import type { AdmissionDeps } from './index.js';
import { matchEverything } from '../rest/resource-registry.js';
import { podQOSClass } from '../registry/core/pod-spec.js';

export const NAME = 'LimitRanger';
export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

type LimitRangeLike = KubeObject & { spec?: { limits?: LimitRangeItem[] } };
type PodLike = KubeObject & { spec?: PodSpec };

function itemsOf(lr: LimitRangeLike, type: string): LimitRangeItem[] {
  return (lr.spec?.limits ?? []).filter((i) => i.type === type);
}

/** The defaults of a LimitRange's Container items (later items win, as upstream). */
export function containerDefaults(lr: LimitRangeLike): { limits: Record<string, string>; requests: Record<string, string> } {
  const limits: Record<string, string> = {};
  const requests: Record<string, string> = {};
  for (const item of itemsOf(lr, 'Container')) {
    Object.assign(limits, item.default ?? {});
    Object.assign(requests, item.defaultRequest ?? {});
  }
  return { limits, requests };
}

/**
 * Fills missing requests / limits of every container from `lr`; returns the annotation parts
 * (`cpu request for container app`, ...).
 */
export function applyContainerDefaults(spec: PodSpec, lr: LimitRangeLike): string[] {
  const defs = containerDefaults(lr);
  if (Object.keys(defs.limits).length === 0 && Object.keys(defs.requests).length === 0) return [];
  const notes: string[] = [];
  const merge = (c: Container, prefix: string): void => {
    const resources = (c.resources ??= {});
    const setLimits: string[] = [];
    const setRequests: string[] = [];
    for (const [k, v] of Object.entries(defs.limits)) {
      const limits = (resources.limits ??= {});
      if (limits[k] === undefined) {
        limits[k] = v;
        setLimits.push(k);
      }
    }
    for (const [k, v] of Object.entries(defs.requests)) {
      const requests = (resources.requests ??= {});
      if (requests[k] === undefined) {
        requests[k] = v;
        setRequests.push(k);
      }
    }
    if (resources.limits && Object.keys(resources.limits).length === 0) delete resources.limits;
    if (resources.requests && Object.keys(resources.requests).length === 0) delete resources.requests;
    if (setRequests.length > 0) notes.push(`${setRequests.sort().join(', ')} request for ${prefix} ${c.name}`);
    if (setLimits.length > 0) notes.push(`${setLimits.sort().join(', ')} limit for ${prefix} ${c.name}`);
  };
  for (const c of spec.containers ?? []) merge(c, 'container');
  for (const c of spec.initContainers ?? []) merge(c, 'init container');
  return notes;
}

function minConstraint(type: string, name: string, enforced: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests.get(name);
  const lim = limits.get(name);
  if (!req) return `minimum ${name} usage per ${type} is ${enforced.toString()}.  No request is specified`;
  if (req.cmp(enforced) < 0) return `minimum ${name} usage per ${type} is ${enforced.toString()}, but request is ${req.toString()}`;
  if (lim && lim.cmp(enforced) < 0) return `minimum ${name} usage per ${type} is ${enforced.toString()}, but limit is ${lim.toString()}`;
  return undefined;
}

function maxConstraint(type: string, name: string, enforced: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests.get(name);
  const lim = limits.get(name);
  if (!lim) return `maximum ${name} usage per ${type} is ${enforced.toString()}.  No limit is specified`;
  if (lim.cmp(enforced) > 0) return `maximum ${name} usage per ${type} is ${enforced.toString()}, but limit is ${lim.toString()}`;
  if (req && req.cmp(enforced) > 0) return `maximum ${name} usage per ${type} is ${enforced.toString()}, but request is ${req.toString()}`;
  return undefined;
}

function maxRequestConstraint(type: string, name: string, enforced: Quantity, requests: ResourceList): string | undefined {
  const req = requests.get(name);
  if (!req) return `maximum ${name} usage per ${type} is ${enforced.toString()}.  No request is specified`;
  if (req.cmp(enforced) > 0) return `maximum ${name} usage per ${type} is ${enforced.toString()}, but request is ${req.toString()}`;
  return undefined;
}

/** Go's `%f`: six decimals. */
function goFloat(n: number): string {
  return n.toFixed(6);
}

function ratioConstraint(type: string, name: string, enforced: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests.get(name);
  const lim = limits.get(name);
  if (!req || req.isZero()) return `${name} max limit to request ratio per ${type} is ${enforced.toString()}, but no request is specified or request is 0`;
  if (!lim || lim.isZero()) return `${name} max limit to request ratio per ${type} is ${enforced.toString()}, but no limit is specified or limit is 0`;
  const ratio = Number(lim.scaledValue(-3)) / Number(req.scaledValue(-3));
  const max = Number(enforced.scaledValue(-3)) / 1000;
  if (ratio > max) return `${name} max limit to request ratio per ${type} is ${enforced.toString()}, but provided ratio is ${goFloat(ratio)}`;
  return undefined;
}

function checkItem(item: LimitRangeItem, type: string, requests: ResourceList, limits: ResourceList, errs: string[]): void {
  for (const [k, v] of parseResourceList(item.min)) {
    const e = minConstraint(type, k, v, requests, limits);
    if (e) errs.push(e);
  }
  for (const [k, v] of parseResourceList(item.max)) {
    const e = maxConstraint(type, k, v, requests, limits);
    if (e) errs.push(e);
  }
  for (const [k, v] of parseResourceList(item.maxLimitRequestRatio)) {
    const e = ratioConstraint(type, k, v, requests, limits);
    if (e) errs.push(e);
  }
}

/** Upstream's aggregate error text: one message, or `[a, b]`. */
function aggregate(errs: readonly string[]): string | undefined {
  if (errs.length === 0) return undefined;
  return errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`;
}

/** The violations of `lr` by a pod spec, or undefined when it complies. */
export function validatePodAgainst(spec: PodSpec, lr: LimitRangeLike): string | undefined {
  const errs: string[] = [];
  for (const item of lr.spec?.limits ?? []) {
    if (item.type === 'Container') {
      for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
        checkItem(item, 'Container', parseResourceList(c.resources?.requests), parseResourceList(c.resources?.limits), errs);
      }
    } else if (item.type === 'Pod') {
      checkItem(item, 'Pod', podResources(spec, 'requests'), podResources(spec, 'limits'), errs);
    }
  }
  return aggregate(errs);
}

export function validateClaimAgainst(pvc: PersistentVolumeClaim, lr: LimitRangeLike): string | undefined {
  const errs: string[] = [];
  const requests = parseResourceList(pvc.spec?.resources?.requests);
  for (const item of itemsOf(lr, 'PersistentVolumeClaim')) {
    for (const [k, v] of parseResourceList(item.min)) {
      const e = minConstraint('PersistentVolumeClaim', k, v, requests, new Map());
      if (e) errs.push(e);
    }
    for (const [k, v] of parseResourceList(item.max)) {
      const e = maxRequestConstraint('PersistentVolumeClaim', k, v, requests);
      if (e) errs.push(e);
    }
  }
  return aggregate(errs);
}

function applies(attrs: AdmissionAttributes): 'pod' | 'claim' | undefined {
  if (attrs.subresource !== '' || attrs.resource.group !== '' || !attrs.namespace) return undefined;
  if (attrs.resource.resource === 'pods') return attrs.operation === 'CREATE' ? 'pod' : undefined;
  if (attrs.resource.resource === 'persistentvolumeclaims') return attrs.operation === 'CREATE' || attrs.operation === 'UPDATE' ? 'claim' : undefined;
  return undefined;
}

export function createLimitRangerPlugin(deps: AdmissionDeps): AdmissionPlugin {
  async function limitRanges(namespace: string): Promise<LimitRangeLike[]> {
    const reg = deps.registryFor('', 'limitranges');
    if (!reg) return [];
    // A consistent read: a LimitRange created just before the pod must apply to it.
    const out = await reg.list(namespace, { resourceVersion: '', resourceVersionMatch: '', limit: 0, continueToken: '', filter: matchEverything });
    return out.items as LimitRangeLike[];
  }
  const refuse = (attrs: AdmissionAttributes, why: string): Error =>
    forbidden({ group: attrs.resource.group, resource: attrs.resource.resource }, attrs.name, why);

  return {
    name: NAME,
    async mutate(attrs) {
      if (applies(attrs) !== 'pod') return;
      const pod = attrs.object as PodLike;
      if (!pod.spec) return;
      const notes: string[] = [];
      for (const lr of await limitRanges(attrs.namespace)) notes.push(...applyContainerDefaults(pod.spec, lr));
      if (notes.length > 0) {
        pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), [LIMIT_RANGER_ANNOTATION]: `LimitRanger plugin set: ${notes.join('; ')}` };
        // The QoS class was derived before admission; the defaults may change it.
        const status = pod.status as { qosClass?: string } | undefined;
        if (status?.qosClass) status.qosClass = podQOSClass(pod.spec as unknown as Record<string, unknown>);
      }
    },
    async validate(attrs) {
      const kind = applies(attrs);
      if (!kind) return;
      for (const lr of await limitRanges(attrs.namespace)) {
        const err = kind === 'pod'
          ? ((attrs.object as PodLike).spec ? validatePodAgainst((attrs.object as PodLike).spec!, lr) : undefined)
          : validateClaimAgainst(attrs.object as PersistentVolumeClaim & KubeObject, lr);
        if (err) throw refuse(attrs, err);
      }
    },
  };
}
