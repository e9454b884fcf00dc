/**
 * ResourceQuota (upstream plugin/pkg/admission/resourcequota), validating: a create (or an update
 * that raises usage) in a namespace is charged against every quota whose `status.hard` tracks
 * something the object consumes and whose scopes it matches. A write that would take `used` over
 * `hard` is refused (403, `exceeded quota: ...`); the charge is recorded in the quota's
 * `status.used` before the object is stored, so concurrent writes see each other. The quota
 * controller later recomputes `used` from the objects that exist (releases, failed writes).
 * A quota the controller has not yet synced (no `status.hard`) does not limit anything.
 * Writes are serialized per namespace inside this process; a lost status race is re-checked.
 */
import type { KubeObject } from '../../apimachinery/object.js';
import { forbidden, StatusError } from '../../apimachinery/errors.js';
import type { ResourceList } from '../../apimachinery/quota/resource-list.js';
import {
  add, formatResourceList, lessThanOrEqual, mask, negativeNames, parseResourceList, prettyPrint, removeZeros,
  subtractNonNegative,
} from '../../apimachinery/quota/resource-list.js';
import type { QuotaEvaluator } from '../../apimachinery/quota/evaluators.js';
import { evaluatorFor, matchesQuotaScopes, quotaScopes } from '../../apimachinery/quota/evaluators.js';
import type { AdmissionAttributes, AdmissionPlugin } from './admission.js';
import type { AdmissionDeps } from './index.js';
import { matchEverything } from '../rest/resource-registry.js';
import type { ResourceRegistry } from '../rest/resource-registry.js';

export const NAME = 'ResourceQuota';
const MAX_ATTEMPTS = 10;

type QuotaLike = KubeObject & { status?: { hard?: Record<string, string>; used?: Record<string, string> } };

/** What a write consumes that quotas may track (zero entries removed); throws on negative usage. */
export function requestedUsage(attrs: AdmissionAttributes, evaluator: QuotaEvaluator, now: Date = new Date()): ResourceList {
  let delta = evaluator.usage(attrs.object, now);
  const negative = negativeNames(delta);
  if (negative.length > 0) throw refuse(attrs, `quota usage is negative for resource(s): ${negative.join(',')}`);
  if (attrs.operation === 'UPDATE' && attrs.oldObject?.metadata.resourceVersion) {
    delta = subtractNonNegative(delta, evaluator.usage(attrs.oldObject, now));
  }
  return removeZeros(delta);
}

function refuse(attrs: AdmissionAttributes, why: string): StatusError {
  return forbidden({ group: attrs.resource.group, resource: attrs.resource.resource }, attrs.name, why);
}

/**
 * Checks one quota against the write. Returns undefined when the quota does not apply, else the
 * quota's new `status.used`; throws Forbidden when a constraint or a limit is violated.
 */
export function chargeQuota(
  attrs: AdmissionAttributes, evaluator: QuotaEvaluator, quota: QuotaLike, delta: () => ResourceList,
): ResourceList | undefined {
  const hard = parseResourceList(quota.status?.hard);
  const tracked = evaluator.matchingResources(hard.keys());
  if (tracked.length === 0) return undefined;
  if (!matchesQuotaScopes(evaluator, quotaScopes(quota), attrs.object)) return undefined;
  const name = quota.metadata.name ?? '';
  const violated = evaluator.constraints(tracked, attrs.object);
  if (violated) throw refuse(attrs, `failed quota: ${name}: ${violated}`);
  const used = parseResourceList(quota.status?.used);
  const unknown = tracked.filter((r) => !used.has(r));
  if (unknown.length > 0) throw refuse(attrs, `status unknown for quota: ${name}, resources: ${[...unknown].sort().join(',')}`);
  const requested = mask(delta(), hard.keys());
  if (requested.size === 0) return undefined;
  const newUsed = add(used, requested);
  const check = lessThanOrEqual(mask(newUsed, requested.keys()), hard);
  if (!check.ok) {
    throw refuse(attrs, `exceeded quota: ${name}, requested: ${prettyPrint(mask(requested, check.exceeded))}, `
      + `used: ${prettyPrint(mask(used, check.exceeded))}, limited: ${prettyPrint(mask(hard, check.exceeded))}`);
  }
  return newUsed;
}

export function createResourceQuotaPlugin(deps: AdmissionDeps, opts: { now?: () => Date } = {}): AdmissionPlugin {
  const now = opts.now ?? ((): Date => new Date());
  const locks = new Map<string, Promise<void>>();

  /** Runs `fn` after every earlier call for the same namespace finished. */
  async function serialized<T>(namespace: string, fn: () => Promise<T>): Promise<T> {
    const prev = locks.get(namespace) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    locks.set(namespace, tail);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (locks.get(namespace) === tail) locks.delete(namespace);
    }
  }

  async function charge(attrs: AdmissionAttributes, evaluator: QuotaEvaluator, reg: ResourceRegistry, names: string[]): Promise<void> {
    let delta: ResourceList | undefined;
    const getDelta = (): ResourceList => (delta ??= requestedUsage(attrs, evaluator, now()));
    // Check every quota before charging any, so a refusal leaves no partial charge.
    const pending: { quota: QuotaLike; used: ResourceList }[] = [];
    for (const name of names) {
      const kv = await reg.getKv(attrs.namespace, name);
      if (!kv) continue;
      const quota = reg.decode(kv) as QuotaLike;
      const used = chargeQuota(attrs, evaluator, quota, getDelta);
      if (used) pending.push({ quota, used });
    }
    if (attrs.dryRun) return;
    for (let { quota, used } of pending) {
      for (let attempt = 0; ; attempt++) {
        const next: QuotaLike = { ...quota, status: { ...(quota.status ?? {}), used: formatResourceList(used) } };
        try {
          await reg.writeUpdate(attrs.namespace, quota, next, { dryRun: false, fieldManager: 'kube-apiserver', subresource: 'status' });
          break;
        } catch (err) {
          // Someone else (the quota controller) wrote the quota meanwhile: check again from fresh state.
          if (!(err instanceof StatusError && err.code === 409) || attempt >= MAX_ATTEMPTS) throw err;
          const kv = await reg.getKv(attrs.namespace, quota.metadata.name ?? '');
          if (!kv) break;
          quota = reg.decode(kv) as QuotaLike;
          const again = chargeQuota(attrs, evaluator, quota, getDelta);
          if (!again) break;
          used = again;
        }
      }
    }
  }

  return {
    name: NAME,
    async validate(attrs) {
      if (attrs.subresource !== '' || !attrs.namespace) return;
      if (attrs.operation !== 'CREATE' && attrs.operation !== 'UPDATE') return;
      const evaluator = evaluatorFor(attrs.resource.group, attrs.resource.resource);
      if (!evaluator.handles(attrs.operation)) return;
      const reg = deps.registryFor('', 'resourcequotas');
      if (!reg) return;
      // Cheap pre-check from the watch cache: most namespaces have no quota at all.
      const cached = await reg.list(attrs.namespace, { resourceVersion: '0', resourceVersionMatch: '', limit: 0, continueToken: '', filter: matchEverything });
      const names = cached.items
        .filter((q) => evaluator.matchingResources(Object.keys((q as QuotaLike).status?.hard ?? {})).length > 0
          || evaluator.matchingResources(Object.keys(((q.spec ?? {}) as { hard?: Record<string, string> }).hard ?? {})).length > 0)
        .map((q) => q.metadata.name ?? '');
      if (names.length === 0) return;
      await serialized(attrs.namespace, () => charge(attrs, evaluator, reg, names.sort()));
    },
  };
}
