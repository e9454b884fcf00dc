/**
 * Maps `group/resource` to its Strategy. Resources without a module get the generic default
 * strategy (the API server's generic behaviour for everything the strategy leaves out).
 */
import type { Strategy } from './strategy.js';
import { podStrategy } from './core/pods.js';
import { serviceStrategy } from './core/services.js';
import { configMapStrategy } from './core/configmaps.js';
import { secretStrategy } from './core/secrets.js';
import { namespaceStrategy } from './core/namespaces.js';
import { nodeStrategy } from './core/nodes.js';
import { serviceAccountStrategy } from './core/serviceaccounts.js';
import { eventStrategy, eventSelectableFields } from './core/events.js';
import { endpointsStrategy } from './core/endpoints.js';
import { persistentVolumeStrategy } from './core/persistentvolumes.js';
import { persistentVolumeClaimStrategy } from './core/persistentvolumeclaims.js';
import { replicationControllerStrategy } from './core/replicationcontrollers.js';
import { resourceQuotaStrategy } from './core/resourcequotas.js';
import { limitRangeStrategy } from './core/limitranges.js';
import { podTemplateStrategy } from './core/podtemplates.js';
import { deploymentStrategy } from './apps/deployments.js';
import { replicaSetStrategy } from './apps/replicasets.js';
import { statefulSetStrategy } from './apps/statefulsets.js';
import { daemonSetStrategy } from './apps/daemonsets.js';
import { controllerRevisionStrategy } from './apps/controllerrevisions.js';
import { jobStrategy } from './batch/jobs.js';
import { cronJobStrategy } from './batch/cronjobs.js';
import { ingressStrategy } from './networking/ingresses.js';
import { networkPolicyStrategy } from './networking/networkpolicies.js';
import { roleStrategy, clusterRoleStrategy, roleBindingStrategy, clusterRoleBindingStrategy } from './rbac/roles.js';
import { storageClassStrategy } from './storage/storageclasses.js';
import { leaseStrategy } from './coordination/leases.js';
import { podDisruptionBudgetStrategy } from './policy/poddisruptionbudgets.js';
import { horizontalPodAutoscalerStrategy } from './autoscaling/horizontalpodautoscalers.js';
import { priorityClassStrategy } from './scheduling/priorityclasses.js';

/** The strategy for resources without their own module: all generic behaviour. */
export const defaultStrategy: Strategy = {};

const RBAC = 'rbac.authorization.k8s.io';

const strategies: Record<string, Strategy> = {
  '/pods': podStrategy,
  '/services': serviceStrategy,
  '/configmaps': configMapStrategy,
  '/secrets': secretStrategy,
  '/namespaces': namespaceStrategy,
  '/nodes': nodeStrategy,
  '/serviceaccounts': serviceAccountStrategy,
  '/events': eventStrategy,
  '/endpoints': endpointsStrategy,
  '/persistentvolumes': persistentVolumeStrategy,
  '/persistentvolumeclaims': persistentVolumeClaimStrategy,
  '/replicationcontrollers': replicationControllerStrategy,
  '/resourcequotas': resourceQuotaStrategy,
  '/limitranges': limitRangeStrategy,
  '/podtemplates': podTemplateStrategy,
  'apps/deployments': deploymentStrategy,
  'apps/replicasets': replicaSetStrategy,
  'apps/statefulsets': statefulSetStrategy,
  'apps/daemonsets': daemonSetStrategy,
  'apps/controllerrevisions': controllerRevisionStrategy,
  'batch/jobs': jobStrategy,
  'batch/cronjobs': cronJobStrategy,
  'networking.k8s.io/ingresses': ingressStrategy,
  'networking.k8s.io/networkpolicies': networkPolicyStrategy,
  [`${RBAC}/roles`]: roleStrategy,
  [`${RBAC}/clusterroles`]: clusterRoleStrategy,
  [`${RBAC}/rolebindings`]: roleBindingStrategy,
  [`${RBAC}/clusterrolebindings`]: clusterRoleBindingStrategy,
  'storage.k8s.io/storageclasses': storageClassStrategy,
  'coordination.k8s.io/leases': leaseStrategy,
  'policy/poddisruptionbudgets': podDisruptionBudgetStrategy,
  'autoscaling/horizontalpodautoscalers': horizontalPodAutoscalerStrategy,
  'scheduling.k8s.io/priorityclasses': priorityClassStrategy,
  'events.k8s.io/events': { selectableFields: eventSelectableFields, generationFields: [] },
};

/** The strategy for `group` (empty for core) and plural `resource`. Never undefined. */
export function getStrategy(group: string, resource: string): Strategy {
  return strategies[`${group}/${resource}`] ?? defaultStrategy;
}

/** Whether a dedicated strategy module exists (for diagnostics and tests). */
export function hasStrategy(group: string, resource: string): boolean {
  return `${group}/${resource}` in strategies;
}
