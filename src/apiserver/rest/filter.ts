/** Label and field selector filtering of objects for list, watch and deletecollection. */
import type { KubeObject } from '../../apimachinery/object.js';
import { parseLabelSelector } from '../../apimachinery/labels.js';
import { parseFieldSelector, matchesFields } from '../../apimachinery/fields.js';
import { badRequest } from '../../apimachinery/errors.js';
import type { Strategy } from '../registry/strategy.js';
import { matchEverything } from './resource-registry.js';

export type ObjectFilter = (obj: KubeObject) => boolean;

export function objectFields(obj: KubeObject, strategy: Strategy, namespaced: boolean): Record<string, string> {
  const f: Record<string, string> = { 'metadata.name': obj.metadata.name ?? '' };
  if (namespaced) f['metadata.namespace'] = obj.metadata.namespace ?? '';
  return { ...f, ...(strategy.selectableFields?.(obj) ?? {}) };
}

export function buildFilter(opts: {
  labelSelector: string; fieldSelector: string; strategy: Strategy; namespaced: boolean; resource: string;
}): ObjectFilter {
  const ls = opts.labelSelector.trim();
  const fs = opts.fieldSelector.trim();
  // The shared match-all filter lets lists report remainingItemCount (upstream: only without selectors).
  if (!ls && !fs) return matchEverything;
  const labelMatcher = ls ? parseLabelSelector(ls) : undefined;
  const reqs = fs ? parseFieldSelector(fs) : [];
  if (reqs.length > 0) {
    const sample: KubeObject = { metadata: {} };
    const known = new Set(Object.keys(objectFields(sample, opts.strategy, opts.namespaced)));
    known.add('metadata.namespace');
    for (const r of reqs) {
      if (!known.has(r.field)) {
        throw badRequest(`field label not supported: ${r.field}`);
      }
    }
  }
  return (obj) => {
    if (labelMatcher && !labelMatcher.matches(obj.metadata.labels ?? {})) return false;
    if (reqs.length > 0 && !matchesFields(reqs, objectFields(obj, opts.strategy, opts.namespaced))) return false;
    return true;
  };
}
