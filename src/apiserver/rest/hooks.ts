/** The RegistryHooks the API server wires into every ResourceRegistry. */
import { StatusError, forbidden } from '../../apimachinery/errors.js';
import type { ResourceInfo } from '../../apimachinery/resource-info.js';
import { groupVersion } from '../../apimachinery/resource-info.js';
import { definitionForKind } from '../../apimachinery/schema.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../apimachinery/validation/object-meta.js';
import { updateManagedFields } from '../../apimachinery/apply/index.js';
import type { ServiceAllocators } from '../allocators/service-allocators.js';
import type { RegistryHooks, ResourceRegistry } from './resource-registry.js';
import type { KeyValue } from '../../storage/store.js';
import type { AdmissionChain } from '../admission/index.js';

export interface HookDeps {
  registryFor(group: string, resource: string): ResourceRegistry | undefined;
  allocators: ServiceAllocators;
  /** Set once a garbage collector runs, so Orphan/Foreground deletes add their finalizers. */
  gcEnabled?: () => boolean;
  admission?: AdmissionChain;
}

function isService(info: ResourceInfo): boolean {
  return info.group === '' && info.resource === 'services';
}

/** Whether a namespace refuses new content, remembered per stored revision of the namespace. */
function terminatingCheck(): (reg: ResourceRegistry, kv: KeyValue) => boolean {
  const seen = new Map<string, { revision: number; terminating: boolean }>();
  return (reg, kv) => {
    const hit = seen.get(kv.key);
    if (hit && hit.revision === kv.modRevision) return hit.terminating;
    const ns = reg.decode(kv);
    const phase = (ns.status as { phase?: string } | undefined)?.phase;
    const terminating = Boolean(ns.metadata.deletionTimestamp) || phase === 'Terminating';
    seen.set(kv.key, { revision: kv.modRevision, terminating });
    return terminating;
  };
}

export function createRegistryHooks(deps: HookDeps): RegistryHooks {
  const isTerminating = terminatingCheck();
  return {
    admission: deps.admission,
    async checkNamespace(namespace, info, name = '') {
      const nsReg = deps.registryFor('', 'namespaces');
      if (!nsReg) return;
      const kv = await nsReg.getCachedKv('', namespace);
      if (!kv) {
        throw new StatusError(404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' });
      }
      if (isTerminating(nsReg, kv)) {
        // Upstream NamespaceLifecycle admission: admission.NewForbidden for the object being created.
        const err = forbidden({ group: info.group, resource: info.resource }, name, `unable to create new content in namespace ${namespace} because it is being terminated`);
        throw new StatusError(403, 'Forbidden', err.message, {
          ...err.details,
          causes: [{ type: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }],
        });
      }
    },
    async allocate(info, obj, old, dryRun) {
      if (isService(info)) deps.allocators.allocate(obj, old, dryRun);
    },
    release(info, obj, next) {
      if (isService(info)) deps.allocators.release(obj, next);
    },
    updateManagedFields({ info, live, updated, manager, subresource, now }) {
      return updateManagedFields({
        live, updated, manager, operation: 'Update', apiVersion: groupVersion(info), now,
        schema: definitionForKind(info.group, info.version, info.kind), subresource: subresource || undefined,
      });
    },
    garbageCollectorEnabled: () => deps.gcEnabled?.() ?? false,
    validateMeta(obj, info, strategy) {
      return validateObjectMeta(obj, { namespaced: info.namespaced, nameValidation: strategy.nameValidation });
    },
    validateMetaUpdate(obj, old) {
      return validateObjectMetaUpdate(obj, old, { requireResourceVersion: false });
    },
  };
}
