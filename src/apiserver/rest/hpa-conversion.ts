/**
 * autoscaling/v1 HorizontalPodAutoscalers are stored as autoscaling/v2 (one storage, two views):
 * v1's targetCPUUtilizationPercentage is v2's cpu Resource metric with a Utilization target, and
 * currentCPUUtilizationPercentage is the matching current metric. Other v2 metrics have no v1 form.
 */
import type { KubeObject } from '../../apimachinery/object.js';
import { isPlainObject } from '../../apimachinery/object.js';
import type { StoredConversion } from './resource-registry.js';

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj {
  return isPlainObject(v) ? v : {};
}

function cpuUtilization(list: unknown, field: 'target' | 'current'): number | undefined {
  if (!Array.isArray(list)) return undefined;
  for (const m of list) {
    const r = obj(obj(m).resource);
    if (obj(m).type === 'Resource' && r.name === 'cpu') {
      const v = obj(r[field]).averageUtilization;
      if (typeof v === 'number') return v;
    }
  }
  return undefined;
}

function v1ToV2(o: KubeObject): KubeObject {
  const spec = { ...obj(o.spec) };
  const target = spec.targetCPUUtilizationPercentage;
  delete spec.targetCPUUtilizationPercentage;
  if (typeof target === 'number') {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target } } }];
  }
  const status = { ...obj(o.status) };
  const current = status.currentCPUUtilizationPercentage;
  delete status.currentCPUUtilizationPercentage;
  if (typeof current === 'number') {
    status.currentMetrics = [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: current } } }];
  }
  const out: KubeObject = { ...o, apiVersion: 'autoscaling/v2', spec };
  if (o.status !== undefined) out.status = status;
  return out;
}

function v2ToV1(o: KubeObject): KubeObject {
  const spec = obj(o.spec);
  const v1spec: Obj = {};
  for (const k of ['scaleTargetRef', 'minReplicas', 'maxReplicas']) if (spec[k] !== undefined) v1spec[k] = spec[k];
  const target = cpuUtilization(spec.metrics, 'target');
  if (target !== undefined) v1spec.targetCPUUtilizationPercentage = target;
  const status = obj(o.status);
  const v1status: Obj = {};
  for (const k of ['observedGeneration', 'lastScaleTime', 'currentReplicas', 'desiredReplicas']) if (status[k] !== undefined) v1status[k] = status[k];
  const current = cpuUtilization(status.currentMetrics, 'current');
  if (current !== undefined) v1status.currentCPUUtilizationPercentage = current;
  const out: KubeObject = { ...o, spec: v1spec };
  if (o.status !== undefined) out.status = v1status;
  return out;
}

export const hpaV1Conversion: StoredConversion = {
  storage: { group: 'autoscaling', resource: 'horizontalpodautoscalers', namespaced: true },
  toStorage: v1ToV2,
  fromStorage: v2ToV1,
};
