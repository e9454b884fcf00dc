/**
 * Priority (upstream plugin/pkg/admission/priority): a new pod's `spec.priority` and
 * `spec.preemptionPolicy` come from its PriorityClass. A pod naming no class gets the global
 * default class (the lowest value when several claim it) or priority 0. A client may only send
 * a priority / policy equal to the computed one. Updates keep what creation resolved.
 * PriorityClass writes are refused when a second global default would appear.
 */
import type { KubeObject } from '../../apimachinery/object.js';
import type { PodSpec } from '../../apimachinery/generated/types.js';
import { forbidden } from '../../apimachinery/errors.js';
import type { AdmissionAttributes, AdmissionPlugin } from './admission.js';
import type { AdmissionDeps } from './index.js';
import { matchEverything } from '../rest/resource-registry.js';

export const NAME = 'Priority';

/** Built-in classes resolved even when their objects are absent. */
export const SYSTEM_PRIORITY_CLASSES: Readonly<Record<string, number>> = {
  'system-cluster-critical': 2000000000,
  'system-node-critical': 2000001000,
};
export const DEFAULT_PREEMPTION_POLICY = 'PreemptLowerPriority';

interface PriorityClassLike extends KubeObject {
  value?: number;
  globalDefault?: boolean;
  preemptionPolicy?: string;
}

type PodLike = KubeObject & { spec?: PodSpec };

export interface ResolvedPriority {
  /** The class name to record on the pod ('' when none applies). */
  className: string;
  priority: number;
  preemptionPolicy: string;
}

/** The global default class among `classes` (lowest value when a race left several). */
export function pickGlobalDefault(classes: readonly PriorityClassLike[]): PriorityClassLike | undefined {
  let best: PriorityClassLike | undefined;
  for (const pc of classes) {
    if (pc.globalDefault !== true) continue;
    if (!best || (pc.value ?? 0) < (best.value ?? 0)) best = pc;
  }
  return best;
}

function forbidPod(attrs: AdmissionAttributes, why: string): Error {
  return forbidden({ group: attrs.resource.group, resource: attrs.resource.resource }, attrs.name, why);
}

export function createPriorityPlugin(deps: AdmissionDeps): AdmissionPlugin {
  async function listClasses(): Promise<PriorityClassLike[]> {
    const reg = deps.registryFor('scheduling.k8s.io', 'priorityclasses');
    if (!reg) return [];
    const out = await reg.list('', { resourceVersion: '0', resourceVersionMatch: '', limit: 0, continueToken: '', filter: matchEverything });
    return out.items as PriorityClassLike[];
  }

  async function getClass(name: string): Promise<PriorityClassLike | undefined> {
    const reg = deps.registryFor('scheduling.k8s.io', 'priorityclasses');
    const kv = reg ? await reg.getCachedKv('', name) : undefined;
    if (kv && reg) return reg.decode(kv) as PriorityClassLike;
    const builtin = SYSTEM_PRIORITY_CLASSES[name];
    if (builtin === undefined) return undefined;
    return { metadata: { name }, value: builtin, preemptionPolicy: DEFAULT_PREEMPTION_POLICY };
  }

  async function resolve(attrs: AdmissionAttributes, className: string): Promise<ResolvedPriority> {
    if (!className) {
      const def = pickGlobalDefault(await listClasses());
      if (!def) return { className: '', priority: 0, preemptionPolicy: DEFAULT_PREEMPTION_POLICY };
      return { className: def.metadata.name ?? '', priority: def.value ?? 0, preemptionPolicy: def.preemptionPolicy ?? DEFAULT_PREEMPTION_POLICY };
    }
    const pc = await getClass(className);
    if (!pc) throw forbidPod(attrs, `no PriorityClass with name ${className} was found`);
    return { className, priority: pc.value ?? 0, preemptionPolicy: pc.preemptionPolicy ?? DEFAULT_PREEMPTION_POLICY };
  }

  async function admitPod(attrs: AdmissionAttributes): Promise<void> {
    const pod = attrs.object as PodLike;
    const spec = pod.spec;
    if (!spec) return;
    if (attrs.operation === 'UPDATE') {
      // Creation resolved these; a client's full replace that drops them keeps the stored values.
      const old = (attrs.oldObject as PodLike | undefined)?.spec;
      if ((spec.priority === undefined || spec.priority === null) && old?.priority !== undefined) spec.priority = old.priority;
      if (spec.preemptionPolicy === undefined && old?.preemptionPolicy !== undefined) spec.preemptionPolicy = old.preemptionPolicy;
      return;
    }
    if (attrs.operation !== 'CREATE') return;
    const r = await resolve(attrs, spec.priorityClassName ?? '');
    if (r.className) spec.priorityClassName = r.className;
    if (spec.priority !== undefined && spec.priority !== null && spec.priority !== r.priority) {
      throw forbidPod(attrs, `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${r.priority} from the given PriorityClass name`);
    }
    spec.priority = r.priority;
    if (spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== r.preemptionPolicy) {
      throw forbidPod(attrs, `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${r.preemptionPolicy} from the given PriorityClass name`);
    }
    spec.preemptionPolicy = r.preemptionPolicy;
  }

  async function validateClass(attrs: AdmissionAttributes): Promise<void> {
    const pc = attrs.object as PriorityClassLike;
    if (pc.globalDefault !== true) return;
    const others = (await listClasses()).filter((c) => c.metadata.name !== pc.metadata.name);
    const def = pickGlobalDefault(others);
    if (def) {
      throw forbidden({ group: attrs.resource.group, resource: attrs.resource.resource }, attrs.name,
        `PriorityClass ${def.metadata.name ?? ''} is already marked as default. Only one default can exist`);
    }
  }

  return {
    name: NAME,
    async mutate(attrs) {
      if (attrs.subresource !== '' || attrs.resource.group !== '' || attrs.resource.resource !== 'pods') return;
      await admitPod(attrs);
    },
    async validate(attrs) {
      if (attrs.subresource !== '' || attrs.resource.group !== 'scheduling.k8s.io' || attrs.resource.resource !== 'priorityclasses') return;
      if (attrs.operation !== 'CREATE' && attrs.operation !== 'UPDATE') return;
      await validateClass(attrs);
    },
  };
}
