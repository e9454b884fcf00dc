/** The admission plugins the API server runs, in order. Add new plugins to `defaultPlugins`. */
import type { AdmissionPlugin } from './admission.js';
import type { ResourceRegistry } from '../rest/resource-registry.js';
import { createDefaultStorageClassPlugin } from './default-storage-class.js';
import { createLimitRangerPlugin } from './limit-ranger.js';
import { createDefaultTolerationSecondsPlugin } from './default-toleration-seconds.js';
import { createPriorityPlugin } from './priority.js';
import { createResourceQuotaPlugin } from './resource-quota.js';
import { createServiceAccountPlugin } from './service-account.js';

export type { AdmissionAttributes, AdmissionChain, AdmissionPlugin, AdmissionOperation } from './admission.js';
export { createAdmissionChain } from './admission.js';

export interface AdmissionDeps {
  /** In-process read access to other resources (for quota, limit ranges, priority classes, ...). */
  registryFor(group: string, resource: string): ResourceRegistry | undefined;
}

export function defaultPlugins(deps: AdmissionDeps): AdmissionPlugin[] {
  // Upstream's order: LimitRanger early, then ServiceAccount, ResourceQuota last (it charges what the others let through).
  return [
    createLimitRangerPlugin(deps),
    createServiceAccountPlugin(deps),
    createDefaultStorageClassPlugin(deps),
    createDefaultTolerationSecondsPlugin(),
    createPriorityPlugin(deps),
    createResourceQuotaPlugin(deps),
  ];
}
