/** Maps `group/resource` to its Strategy; resources without a module get the generic behaviour. */
import type { Strategy } from './strategy.js';
import { controllerRevisionStrategy } from './apps/controllerrevisions.js';
import { daemonSetStrategy } from './apps/daemonsets.js';
import { deploymentStrategy } from './apps/deployments.js';
import { replicaSetStrategy } from './apps/replicasets.js';
import { statefulSetStrategy } from './apps/statefulsets.js';
import { cronJobStrategy } from './batch/cronjobs.js';
import { jobStrategy } from './batch/jobs.js';
import { configMapStrategy } from './core/configmaps.js';
import { endpointsStrategy } from './core/endpoints.js';
import { eventStrategy } from './core/events.js';
import { limitRangeStrategy } from './core/limitranges.js';
import { namespaceStrategy } from './core/namespaces.js';
import { nodeStrategy } from './core/nodes.js';
import { persistentVolumeClaimStrategy } from './core/persistentvolumeclaims.js';
import { persistentVolumeStrategy } from './core/persistentvolumes.js';
import { podStrategy } from './core/pods.js';
import { replicationControllerStrategy } from './core/replicationcontrollers.js';
import { resourceQuotaStrategy } from './core/resourcequotas.js';
import { secretStrategy } from './core/secrets.js';
import { serviceAccountStrategy } from './core/serviceaccounts.js';
import { serviceStrategy } from './core/services.js';

const strategies: Record<string, Strategy> = {
  '/pods': podStrategy,
  '/services': serviceStrategy,
  '/configmaps': configMapStrategy,
  '/secrets': secretStrategy,
  '/namespaces': namespaceStrategy,
  '/nodes': nodeStrategy,
  '/endpoints': endpointsStrategy,
  '/events': eventStrategy,
  '/limitranges': limitRangeStrategy,
  '/persistentvolumes': persistentVolumeStrategy,
  '/persistentvolumeclaims': persistentVolumeClaimStrategy,
  '/replicationcontrollers': replicationControllerStrategy,
  '/resourcequotas': resourceQuotaStrategy,
  '/serviceaccounts': serviceAccountStrategy,
  'apps/deployments': deploymentStrategy,
  'apps/replicasets': replicaSetStrategy,
  'apps/statefulsets': statefulSetStrategy,
  'apps/daemonsets': daemonSetStrategy,
  'apps/controllerrevisions': controllerRevisionStrategy,
  'batch/jobs': jobStrategy,
  'batch/cronjobs': cronJobStrategy,
};

const generic: Strategy = {};

export function getStrategy(group: string, resource: string): Strategy {
  return strategies[`${group}/${resource}`] ?? generic;
}
