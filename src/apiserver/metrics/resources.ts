/**
 * The `metrics.k8s.io/v1beta1` resources as metrics-server registers them (an aggregated API
 * upstream, served in-process here): cluster-scoped `nodes` (NodeMetrics) and namespaced `pods`
 * (PodMetrics), get and list only, no singular name, no storage version.
 */
import type { ResourceInfo } from '../../apimachinery/resource-info.js';
import { RESOURCES } from '../../apimachinery/generated/resources.js';

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';

function metricsResource(resource: string, kind: string, namespaced: boolean): ResourceInfo {
  return {
    group: METRICS_GROUP, version: METRICS_VERSION, resource, singular: '', kind, listKind: `${kind}List`, namespaced,
    verbs: ['get', 'list'], shortNames: [], categories: [], subresources: [],
    definition: `io.k8s.metrics.pkg.apis.metrics.v1beta1.${kind}`, virtual: true,
  };
}

export const METRICS_RESOURCES: readonly ResourceInfo[] = [
  metricsResource('nodes', 'NodeMetrics', false),
  metricsResource('pods', 'PodMetrics', true),
];

/** Everything the API server serves and discovers: the built-ins plus the metrics API. */
export const SERVED_RESOURCES: readonly ResourceInfo[] = [...RESOURCES, ...METRICS_RESOURCES];
