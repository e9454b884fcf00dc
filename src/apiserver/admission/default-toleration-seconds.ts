/**
 * DefaultTolerationSeconds (upstream plugin/pkg/admission/defaulttolerationseconds): every pod
 * tolerates `node.kubernetes.io/not-ready:NoExecute` and `node.kubernetes.io/unreachable:NoExecute`
 * for 300 s unless it already tolerates them (a toleration with an empty key or effect counts).
 * Runs on create and update, so the node lifecycle controller evicts pods of a lost node after
 * five minutes by default.
 */
import type { KubeObject } from '../../apimachinery/object.js';
import type { PodSpec, Toleration } from '../../apimachinery/generated/types.js';
import type { AdmissionPlugin } from './admission.js';

export const NAME = 'DefaultTolerationSeconds';
export const TAINT_NODE_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_NODE_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const DEFAULT_TOLERATION_SECONDS = 300;

function tolerates(tolerations: readonly Toleration[], key: string): boolean {
  return tolerations.some((t) => (!t.key || t.key === key) && (!t.effect || t.effect === 'NoExecute'));
}

/** Adds the two default tolerations a pod spec lacks (in place). */
export function addDefaultTolerations(spec: PodSpec, seconds = DEFAULT_TOLERATION_SECONDS): void {
  const tolerations = spec.tolerations ?? [];
  const add: Toleration[] = [];
  for (const key of [TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE]) {
    if (!tolerates(tolerations, key)) add.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds });
  }
  if (add.length > 0) spec.tolerations = [...tolerations, ...add];
}

export function createDefaultTolerationSecondsPlugin(opts: { seconds?: number } = {}): AdmissionPlugin {
  return {
    name: NAME,
    mutate(attrs) {
      if (attrs.operation !== 'CREATE' && attrs.operation !== 'UPDATE') return;
      if (attrs.subresource !== '' || attrs.resource.group !== '' || attrs.resource.resource !== 'pods') return;
      const spec = (attrs.object as KubeObject & { spec?: PodSpec }).spec;
      if (spec) addDefaultTolerations(spec, opts.seconds);
    },
  };
}
