/** Pods (upstream pkg/registry/core/pod/strategy.go). */
import type { FieldError } from '../../../apimachinery/errors.js';
import type { KubeObject } from '../../../apimachinery/object.js';
import { deepCopy } from '../../../apimachinery/object.js';
import { deepEqual, forbidden } from '../../../apimachinery/validation/index.js';
import type { Strategy, SubresourceUpdateStrategy } from '../strategy.js';
import type { Obj } from '../util.js';
import { asObj, ensureObj, objArray, str, num, keepSpec, keepStatus } from '../util.js';
import { defaultPodSpec, podQOSClass, validatePodSpec } from './pod-spec.js';

export const POD_UPDATE_FORBIDDEN_MESSAGE = 'pod updates may not change fields other than '
  + '`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,'
  + '`spec.tolerations` (only additions to existing tolerations),'
  + '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

function podSpec(obj: KubeObject): Obj {
  return ensureObj(obj, 'spec');
}

/** A short human-readable diff of two JSON values (shown after the upstream message). */
function describeDiff(oldV: unknown, newV: unknown, path: string, out: string[]): void {
  if (deepEqual(oldV, newV)) return;
  const o = asObj(oldV);
  const n = asObj(newV);
  if (o && n) {
    for (const k of new Set([...Object.keys(o), ...Object.keys(n)])) describeDiff(o[k], n[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (Array.isArray(oldV) && Array.isArray(newV) && oldV.length === newV.length) {
    oldV.forEach((v, i) => describeDiff(v, newV[i], `${path}[${i}]`, out));
    return;
  }
  if (oldV !== undefined) out.push(`- \t${path}: ${JSON.stringify(oldV)},`);
  if (newV !== undefined) out.push(`+ \t${path}: ${JSON.stringify(newV)},`);
}

function tolerationKey(t: Obj): string {
  const { tolerationSeconds: _ignored, ...rest } = t;
  return JSON.stringify(Object.keys(rest).sort().map((k) => [k, rest[k]]));
}

/** Upstream ValidatePodUpdate's spec rule: only a few fields of a pod spec may change. */
export function validatePodSpecUpdate(newSpec: Obj, oldSpec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const munged = deepCopy(newSpec);
  const oldCopy = deepCopy(oldSpec);
  // Images of containers may change: take the old ones into the munged copy.
  for (const list of ['containers', 'initContainers', 'ephemeralContainers']) {
    const newList = objArray(munged[list]);
    const oldList = objArray(oldCopy[list]);
    if (newList.length === oldList.length) newList.forEach((c, i) => { c.image = oldList[i]!.image; });
  }
  // ephemeralContainers change only through the ephemeralcontainers subresource: any change here is refused.
  // activeDeadlineSeconds may be set, or lowered; never unset or raised.
  const newADS = num(newSpec.activeDeadlineSeconds);
  const oldADS = num(oldSpec.activeDeadlineSeconds);
  if (oldADS !== undefined && (newADS === undefined || newADS > oldADS)) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.activeDeadlineSeconds', value: newADS ?? null, detail: 'must be less than or equal to previous value' });
  }
  if (oldADS !== undefined || newADS !== undefined) {
    if (newADS === undefined) delete munged.activeDeadlineSeconds;
    else munged.activeDeadlineSeconds = newADS;
    if (newADS === undefined) delete oldCopy.activeDeadlineSeconds;
    else oldCopy.activeDeadlineSeconds = newADS;
  }
  // terminationGracePeriodSeconds may go from negative to 1.
  const oldTGPS = num(oldSpec.terminationGracePeriodSeconds);
  if (oldTGPS !== undefined && oldTGPS < 0 && newSpec.terminationGracePeriodSeconds === 1) munged.terminationGracePeriodSeconds = oldTGPS;
  // Tolerations: existing ones must stay (tolerationSeconds may change), new ones may be added.
  const oldTols = objArray(oldSpec.tolerations);
  const newTols = objArray(newSpec.tolerations);
  const newKeys = newTols.map(tolerationKey);
  oldTols.forEach((t, i) => {
    if (!newKeys.includes(tolerationKey(t))) errs.push(forbidden(`spec.tolerations[${i}]`, 'existing toleration can not be modified except its tolerationSeconds'));
  });
  if (oldSpec.tolerations === undefined) delete munged.tolerations;
  else munged.tolerations = oldSpec.tolerations;
  // Scheduling gates may only be removed.
  const oldGates = objArray(oldSpec.schedulingGates).map((g) => str(g.name));
  const newGates = objArray(newSpec.schedulingGates).map((g) => str(g.name));
  if (newGates.every((g) => oldGates.includes(g))) {
    if (oldSpec.schedulingGates === undefined) delete munged.schedulingGates;
    else munged.schedulingGates = oldSpec.schedulingGates;
  }
  if (!deepEqual(munged, oldCopy)) {
    const diff: string[] = [];
    describeDiff(oldCopy, munged, '', diff);
    errs.push(forbidden('spec', `${POD_UPDATE_FORBIDDEN_MESSAGE}\n  core.PodSpec{\n${diff.join('\n')}\n  }\n`));
  }
  return errs;
}

function schedulingGatedCondition(obj: KubeObject, now: Date): void {
  if (objArray(podSpec(obj).schedulingGates).length === 0) return;
  const status = ensureObj(obj, 'status');
  status.conditions = [{
    type: 'PodScheduled', status: 'False', reason: 'SchedulingGated',
    message: 'Scheduling is blocked due to non-empty scheduling gates', lastProbeTime: null,
    lastTransitionTime: now.toISOString().replace(/\.\d+Z$/, 'Z'),
  }];
}

const VALID_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];
const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
const EPHEMERAL_PATH = 'spec.ephemeralContainers';

/** Upstream ValidatePodEphemeralContainersUpdate: ephemeral containers may be added, never changed or removed. */
export function validateEphemeralContainersUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  if (old.metadata.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) {
    return [forbidden('', 'static pods do not support ephemeral containers')];
  }
  const errs = validatePodSpec(podSpec(obj), 'spec');
  const added = new Map(objArray(podSpec(obj).ephemeralContainers).map((c) => [str(c.name), c]));
  for (const before of objArray(asObj(old.spec)?.ephemeralContainers)) {
    const name = str(before.name);
    const after = added.get(name);
    if (!after) {
      errs.push(forbidden(EPHEMERAL_PATH, `existing ephemeral containers ${JSON.stringify(name)} may not be removed\n`));
    } else if (!deepEqual(before, after)) {
      const diff: string[] = [];
      describeDiff(before, after, '', diff);
      errs.push(forbidden(EPHEMERAL_PATH, `existing ephemeral containers ${JSON.stringify(name)} may not be changed\n${diff.join('\n')}\n`));
    }
  }
  return errs;
}

/** The pods/ephemeralcontainers subresource writes spec.ephemeralContainers and nothing else. */
const ephemeralContainersUpdate: SubresourceUpdateStrategy = {
  prepare(obj, old) {
    const ephemeral = asObj(obj.spec)?.ephemeralContainers;
    const { metadata, ...rest } = deepCopy(old);
    for (const k of Object.keys(obj)) if (k !== 'metadata') delete obj[k];
    Object.assign(obj, rest);
    // Keep the metadata object itself (the caller holds it); its content is the stored one.
    for (const k of Object.keys(obj.metadata)) if (k !== 'resourceVersion') delete obj.metadata[k as keyof typeof obj.metadata];
    Object.assign(obj.metadata, { ...metadata, resourceVersion: obj.metadata.resourceVersion });
    if (ephemeral === undefined) delete podSpec(obj).ephemeralContainers;
    else podSpec(obj).ephemeralContainers = ephemeral;
  },
  validate: validateEphemeralContainersUpdate,
};

export const podStrategy: Strategy = {
  defaults(obj) {
    defaultPodSpec(podSpec(obj));
  },
  prepareForCreate(obj, ctx) {
    // Negative grace periods (old clients) are treated as 1 second.
    const spec = podSpec(obj);
    const tgps = num(spec.terminationGracePeriodSeconds);
    if (tgps !== undefined && tgps < 0) spec.terminationGracePeriodSeconds = 1;
    obj.status = { phase: 'Pending', qosClass: podQOSClass(podSpec(obj)) };
    schedulingGatedCondition(obj, ctx.now);
  },
  prepareForUpdate(obj, old) {
    keepStatus(obj, old);
  },
  prepareForStatusUpdate(obj, old) {
    keepSpec(obj, old);
    obj.metadata.ownerReferences = old.metadata.ownerReferences;
    if (old.metadata.deletionTimestamp) obj.metadata.deletionTimestamp = old.metadata.deletionTimestamp;
    const status = ensureObj(obj, 'status');
    const oldQos = asObj(old.status)?.qosClass;
    if (!status.qosClass && oldQos) status.qosClass = oldQos;
  },
  validate(obj) {
    const errs = validatePodSpec(podSpec(obj), 'spec');
    if (objArray(podSpec(obj).ephemeralContainers).length > 0) errs.push(forbidden(EPHEMERAL_PATH, 'cannot be set on create'));
    return errs;
  },
  validateUpdate(obj, old) {
    return [...validatePodSpec(podSpec(obj), 'spec'), ...validatePodSpecUpdate(podSpec(obj), asObj(old.spec) ?? {})];
  },
  validateStatusUpdate(obj, old) {
    const errs: FieldError[] = [];
    const status = asObj(obj.status) ?? {};
    const phase = str(status.phase);
    if (phase && !VALID_PHASES.includes(phase)) {
      errs.push({ type: 'FieldValueNotSupported', field: 'status.phase', value: phase, detail: `supported values: ${VALID_PHASES.map((p) => `"${p}"`).join(', ')}` });
    }
    const oldPhase = str(asObj(old.status)?.phase);
    if ((oldPhase === 'Succeeded' || oldPhase === 'Failed') && phase !== oldPhase) {
      errs.push({ type: 'FieldValueForbidden', field: 'status.phase', detail: `cannot transition from terminal phase ${oldPhase} to ${phase}` });
    }
    return errs;
  },
  selectableFields(obj) {
    const spec = asObj(obj.spec) ?? {};
    const status = asObj(obj.status) ?? {};
    return {
      'spec.nodeName': str(spec.nodeName),
      'spec.restartPolicy': str(spec.restartPolicy),
      'spec.schedulerName': str(spec.schedulerName),
      'spec.serviceAccountName': str(spec.serviceAccountName),
      'spec.hostNetwork': String(spec.hostNetwork === true),
      'status.phase': str(status.phase),
      'status.podIP': str(status.podIP),
      'status.nominatedNodeName': str(status.nominatedNodeName),
    };
  },
  subresourceUpdates: { ephemeralcontainers: ephemeralContainersUpdate },
  nameValidation: 'subdomain',
  generationFields: [],
};
