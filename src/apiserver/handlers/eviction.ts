/**
 * POST pods/<name>/eviction (policy/v1 Eviction; upstream pkg/registry/core/pod/storage/eviction.go).
 *
 * - Pods that are Pending, Succeeded, Failed or already terminating are deleted at once: they
 *   cannot disrupt anything more.
 * - Otherwise the one PodDisruptionBudget covering the pod (more than one is a 500) must allow a
 *   disruption: its `disruptionsAllowed` is decremented and the pod recorded in `disruptedPods`
 *   (a status update retried on conflict, the checks re-run on fresh state each time); with none
 *   allowed the answer is 429 with a DisruptionBudget cause. A budget not yet observed by the
 *   disruption controller also refuses.
 * - A pod that is not ready is evicted without using the budget when the budget is met
 *   (IfHealthyBudget, the default) or always (AlwaysAllow); the deletion then carries the pod's
 *   resourceVersion as precondition so a pod that became ready meanwhile is not taken.
 * - The pod gets the DisruptionTarget condition, then is deleted with the Eviction's
 *   deleteOptions; the answer is 201 with a Success Status.
 */
import { StatusError, badRequest, notFound } from '../../apimachinery/errors.js';
import type { KubeObject } from '../../apimachinery/object.js';
import { isPlainObject } from '../../apimachinery/object.js';
import { labelSelectorFromObject } from '../../apimachinery/labels.js';
import type { LabelSelectorObject } from '../../apimachinery/labels.js';
import { decodeBody, readBody, successStatus, writeJson } from '../codec.js';
import type { DeleteOptions, ResourceRegistry } from '../rest/resource-registry.js';
import { matchEverything, nowRfc3339 } from '../rest/resource-registry.js';
import type { HandlerContext } from './resource-handler.js';

export const EVICTION_REFUSED_MESSAGE = "Cannot evict pod as it would violate the pod's disruption budget.";
export const DISRUPTION_BUDGET_CAUSE = 'DisruptionBudget';
const MULTIPLE_PDBS_MESSAGE = 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.';
/** Upstream's MaxDisruptedPodSize. */
const MAX_DISRUPTED_PODS = 2000;

interface PodView extends KubeObject {
  spec?: { nodeName?: string };
  status?: { phase?: string; conditions?: { type?: string; status?: string; reason?: string; message?: string; lastTransitionTime?: string }[] };
}

interface PdbView extends KubeObject {
  spec?: { selector?: LabelSelectorObject | null; unhealthyPodEvictionPolicy?: string };
  status?: {
    observedGeneration?: number; disruptionsAllowed?: number; currentHealthy?: number; desiredHealthy?: number; expectedPods?: number;
    disruptedPods?: Record<string, string>;
    conditions?: { type: string; status: string; reason: string; message: string; lastTransitionTime: string; observedGeneration?: number }[];
  };
}

interface EvictionDeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  orphanDependents?: boolean;
  dryRun?: string[];
}

function isReady(pod: PodView): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Pods whose eviction cannot cause a further disruption (upstream canIgnorePDB). */
function canIgnoreBudget(pod: PodView): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!pod.metadata.deletionTimestamp;
}

function tooManyRequests(cause: string): StatusError {
  return new StatusError(429, 'TooManyRequests', EVICTION_REFUSED_MESSAGE, { causes: [{ type: DISRUPTION_BUDGET_CAUSE, message: cause }] });
}

/** Budgets in the pod's namespace whose (non-empty) selector matches the pod. */
async function budgetsFor(pdbs: ResourceRegistry, pod: PodView): Promise<PdbView[]> {
  const list = await pdbs.list(pod.metadata.namespace ?? '', { resourceVersion: '', resourceVersionMatch: '', limit: 0, continueToken: '', filter: matchEverything });
  const out: PdbView[] = [];
  for (const item of list.items as PdbView[]) {
    let sel;
    try {
      sel = labelSelectorFromObject(item.spec?.selector);
    } catch {
      continue;
    }
    // A nil or empty selector matches nothing here (as upstream).
    if (sel.empty || !sel.matches(pod.metadata.labels ?? {})) continue;
    out.push(item);
  }
  return out;
}

function parseDeleteOptions(raw: unknown): EvictionDeleteOptions {
  if (raw === undefined || raw === null) return {};
  if (!isPlainObject(raw)) throw badRequest('deleteOptions must be an object');
  const o = raw as EvictionDeleteOptions;
  const policy = o.propagationPolicy;
  if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(policy)) {
    throw new StatusError(422, 'Invalid', `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${String(policy)}": supported values: "Foreground", "Background", "Orphan", "nil"`);
  }
  if (o.gracePeriodSeconds !== undefined && (typeof o.gracePeriodSeconds !== 'number' || o.gracePeriodSeconds < 0)) {
    throw new StatusError(422, 'Invalid', `DeleteOptions.meta.k8s.io "" is invalid: gracePeriodSeconds: Invalid value: ${String(o.gracePeriodSeconds)}: must be greater than or equal to 0`);
  }
  return o;
}

export async function handleEviction(ctx: HandlerContext): Promise<void> {
  const { info } = ctx;
  const raw = await readBody(ctx.req);
  const body = decodeBody(raw, ctx.req.headers['content-type']);
  if (!isPlainObject(body)) throw badRequest('the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf');
  if (body.kind !== undefined && body.kind !== 'Eviction') {
    throw badRequest(`${String(body.kind)} in version "${String(body.apiVersion ?? '')}" cannot be handled as a Eviction: no kind "${String(body.kind)}" is registered for version "policy/v1"`);
  }
  const meta = isPlainObject(body.metadata) ? body.metadata : {};
  if (meta.name !== info.name) throw badRequest('name in URL does not match name in Eviction object');
  const del = parseDeleteOptions(body.deleteOptions);
  const dryRun = ctx.query.getAll('dryRun').includes('All') || (del.dryRun ?? []).includes('All');
  let policy = del.propagationPolicy;
  if (!policy && del.orphanDependents !== undefined) policy = del.orphanDependents ? 'Orphan' : 'Background';
  const deleteOpts: DeleteOptions = {
    dryRun, gracePeriodSeconds: del.gracePeriodSeconds, propagationPolicy: policy,
    preconditions: del.preconditions ? { ...del.preconditions } : undefined,
  };

  const pods = ctx.registry;
  const pod = await pods.get(info.namespace, info.name) as PodView;

  if (!canIgnoreBudget(pod)) {
    const pdbs = ctx.registryFor('policy', 'poddisruptionbudgets');
    const budgets = pdbs ? await budgetsFor(pdbs, pod) : [];
    if (budgets.length > 1) throw new StatusError(500, 'InternalError', MULTIPLE_PDBS_MESSAGE);
    const only = budgets[0];
    if (pdbs && only) {
      const useResourceVersion = await checkAndDecrement(pdbs, only, pod, dryRun);
      if (useResourceVersion) deleteOpts.preconditions = { ...(deleteOpts.preconditions ?? {}), resourceVersion: pod.metadata.resourceVersion };
    }
  }

  if (!dryRun && !pod.metadata.deletionTimestamp && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed') {
    const rv = await addDisruptionTarget(pods, pod, deleteOpts.preconditions?.resourceVersion);
    if (rv && deleteOpts.preconditions?.resourceVersion) deleteOpts.preconditions.resourceVersion = rv;
  }
  await pods.delete(info.namespace, info.name, deleteOpts);
  writeJson(ctx.res, 201, successStatus());
}

/**
 * Uses one disruption of the budget for `pod`; returns true when the pod is not ready and is
 * evicted without using the budget (the deletion must then be conditioned on its version).
 */
async function checkAndDecrement(pdbs: ResourceRegistry, budget: PdbView, pod: PodView, dryRun: boolean): Promise<boolean> {
  const name = budget.metadata.name ?? '';
  const ns = budget.metadata.namespace ?? '';
  let skipBudget = false;
  const decide = (pdb: PdbView): boolean => {
    const st = pdb.status ?? {};
    if (!isReady(pod)) {
      if (pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow') return true;
      const desired = st.desiredHealthy ?? 0;
      if ((st.currentHealthy ?? 0) >= desired && desired > 0) return true;
    }
    if ((st.observedGeneration ?? 0) < (pdb.metadata.generation ?? 0)) {
      throw tooManyRequests(`The disruption budget ${name} is still being processed by the server.`);
    }
    const allowed = st.disruptionsAllowed ?? 0;
    if (allowed < 0) throw new StatusError(403, 'Forbidden', 'pdb disruptions allowed is negative');
    if (Object.keys(st.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) {
      throw new StatusError(403, 'Forbidden', 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
    }
    if (allowed === 0) {
      throw tooManyRequests(`The disruption budget ${name} needs ${st.desiredHealthy ?? 0} healthy pods and has ${st.currentHealthy ?? 0} currently`);
    }
    return false;
  };
  if (dryRun) return decide(budget);
  await pdbs.guaranteedUpdate(ns, name, (current) => {
    if (!current) throw notFound({ group: 'policy', resource: 'poddisruptionbudgets' }, name);
    const pdb = current as PdbView;
    skipBudget = decide(pdb);
    if (skipBudget) return { next: pdb };
    const st = { ...(pdb.status ?? { currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, disruptionsAllowed: 0 }) };
    st.disruptionsAllowed = (st.disruptionsAllowed ?? 0) - 1;
    if (st.disruptionsAllowed === 0) {
      const now = nowRfc3339();
      const conds = [...(st.conditions ?? [])];
      const i = conds.findIndex((c) => c.type === 'DisruptionAllowed');
      const prev = i >= 0 ? conds[i] : undefined;
      const cond = {
        type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '',
        lastTransitionTime: prev && prev.status === 'False' ? prev.lastTransitionTime : now,
        ...(st.observedGeneration !== undefined ? { observedGeneration: st.observedGeneration } : {}),
      };
      if (i >= 0) conds[i] = cond;
      else conds.push(cond);
      st.conditions = conds;
    }
    st.disruptedPods = { ...(st.disruptedPods ?? {}), [pod.metadata.name ?? '']: nowRfc3339() };
    pdb.status = st;
    return { next: pdb };
  }, { dryRun: false, fieldManager: 'kube-apiserver', subresource: 'status', retryOnConflict: true });
  return skipBudget;
}

/** Adds the DisruptionTarget condition; returns the pod's new resourceVersion. */
async function addDisruptionTarget(pods: ResourceRegistry, pod: PodView, resourceVersion: string | undefined): Promise<string | undefined> {
  const name = pod.metadata.name ?? '';
  try {
    const { object } = await pods.guaranteedUpdate(pod.metadata.namespace ?? '', name, (current) => {
      if (!current) throw notFound({ group: '', resource: 'pods' }, name);
      if (resourceVersion && current.metadata.resourceVersion !== resourceVersion) {
        throw new StatusError(409, 'Conflict', `Operation cannot be fulfilled on pods "${name}": the object has been modified; please apply your changes to the latest version and try again`);
      }
      const p = current as PodView;
      const conds = [...(p.status?.conditions ?? [])].filter((c) => c.type !== 'DisruptionTarget');
      conds.push({ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastTransitionTime: nowRfc3339() });
      p.status = { ...(p.status ?? {}), conditions: conds };
      return { next: p };
    }, { dryRun: false, fieldManager: 'kube-apiserver', subresource: 'status', retryOnConflict: !resourceVersion });
    return object.metadata.resourceVersion;
  } catch (e) {
    if (e instanceof StatusError && e.code === 404) throw e;
    if (e instanceof StatusError && e.code === 409 && resourceVersion) throw e;
    return undefined;
  }
}
