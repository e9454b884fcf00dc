/**
 * Server-side printing for `kubectl get`: the upstream 1.32 columns of every built-in resource.
 * Built-ins without an upstream printer (roles, clusterroles, limitranges) map to `defaultTable()`
 * (NAME, CREATED AT); anything unknown gets `undefined` and the API server's generic table.
 */
import type { TableConvertor } from '../strategy.js';
import * as apps from './apps.js';
import * as batch from './batch.js';
import * as cluster from './cluster.js';
import * as core from './core.js';
import * as networking from './networking.js';
import { podTable } from './pod.js';
import * as rbac from './rbac.js';
import * as storage from './storage.js';
import { defaultTable } from './table.js';

export { buildTable, defaultTable } from './table.js';
export type { BuildTableOptions, Table, TableRow, TableRowCondition } from './table.js';
export { humanDuration, translateTimestampSince, formatLabelSelector, formatLabels } from './format.js';
export { summarizePod } from './pod.js';

const DEFAULT = defaultTable();

/** `group/resource` → convertor (core group is the empty string). */
const TABLES: ReadonlyMap<string, TableConvertor> = new Map<string, TableConvertor>([
  ['/pods', podTable],
  ['/podtemplates', core.podTemplateTable],
  ['/replicationcontrollers', core.replicationControllerTable],
  ['/services', core.serviceTable],
  ['/endpoints', core.endpointsTable],
  ['/nodes', core.nodeTable],
  ['/namespaces', core.namespaceTable],
  ['/events', core.eventTable],
  ['/secrets', core.secretTable],
  ['/configmaps', core.configMapTable],
  ['/serviceaccounts', core.serviceAccountTable],
  ['/persistentvolumes', core.persistentVolumeTable],
  ['/persistentvolumeclaims', core.persistentVolumeClaimTable],
  ['/resourcequotas', core.resourceQuotaTable],
  ['/componentstatuses', core.componentStatusTable],
  ['/limitranges', DEFAULT],

  ['apps/replicasets', apps.replicaSetTable],
  ['apps/deployments', apps.deploymentTable],
  ['apps/statefulsets', apps.statefulSetTable],
  ['apps/daemonsets', apps.daemonSetTable],
  ['apps/controllerrevisions', apps.controllerRevisionTable],

  ['batch/jobs', batch.jobTable],
  ['batch/cronjobs', batch.cronJobTable],

  ['networking.k8s.io/ingresses', networking.ingressTable],
  ['networking.k8s.io/ingressclasses', networking.ingressClassTable],
  ['networking.k8s.io/networkpolicies', networking.networkPolicyTable],
  ['networking.k8s.io/servicecidrs', networking.serviceCIDRTable],
  ['networking.k8s.io/ipaddresses', networking.ipAddressTable],
  ['discovery.k8s.io/endpointslices', networking.endpointSliceTable],
  ['events.k8s.io/events', core.eventTable],

  ['storage.k8s.io/storageclasses', storage.storageClassTable],
  ['storage.k8s.io/csidrivers', storage.csiDriverTable],
  ['storage.k8s.io/csinodes', storage.csiNodeTable],
  ['storage.k8s.io/volumeattachments', storage.volumeAttachmentTable],
  ['storage.k8s.io/csistoragecapacities', storage.csiStorageCapacityTable],
  ['storage.k8s.io/volumeattributesclasses', storage.volumeAttributesClassTable],

  ['rbac.authorization.k8s.io/rolebindings', rbac.roleBindingTable],
  ['rbac.authorization.k8s.io/clusterrolebindings', rbac.clusterRoleBindingTable],
  ['rbac.authorization.k8s.io/roles', DEFAULT],
  ['rbac.authorization.k8s.io/clusterroles', DEFAULT],

  ['autoscaling/horizontalpodautoscalers', cluster.horizontalPodAutoscalerTable],
  ['policy/poddisruptionbudgets', cluster.podDisruptionBudgetTable],
  ['scheduling.k8s.io/priorityclasses', cluster.priorityClassTable],
  ['certificates.k8s.io/certificatesigningrequests', cluster.certificateSigningRequestTable],
  ['certificates.k8s.io/clustertrustbundles', cluster.clusterTrustBundleTable],
  ['coordination.k8s.io/leases', cluster.leaseTable],
  ['coordination.k8s.io/leasecandidates', cluster.leaseCandidateTable],
  ['node.k8s.io/runtimeclasses', cluster.runtimeClassTable],
  ['admissionregistration.k8s.io/validatingwebhookconfigurations', cluster.webhookConfigurationTable],
  ['admissionregistration.k8s.io/mutatingwebhookconfigurations', cluster.webhookConfigurationTable],
  ['admissionregistration.k8s.io/validatingadmissionpolicies', cluster.validatingAdmissionPolicyTable],
  ['admissionregistration.k8s.io/validatingadmissionpolicybindings', cluster.admissionPolicyBindingTable],
  ['admissionregistration.k8s.io/mutatingadmissionpolicies', cluster.mutatingAdmissionPolicyTable],
  ['admissionregistration.k8s.io/mutatingadmissionpolicybindings', cluster.admissionPolicyBindingTable],
  ['flowcontrol.apiserver.k8s.io/flowschemas', cluster.flowSchemaTable],
  ['flowcontrol.apiserver.k8s.io/prioritylevelconfigurations', cluster.priorityLevelConfigurationTable],
  ['apiregistration.k8s.io/apiservices', cluster.apiServiceTable],
  ['internal.apiserver.k8s.io/storageversions', cluster.storageVersionTable],
  ['storagemigration.k8s.io/storageversionmigrations', cluster.storageVersionMigrationTable],
  ['resource.k8s.io/deviceclasses', cluster.nameAgeTable],
  ['resource.k8s.io/resourceclaims', cluster.resourceClaimTable],
  ['resource.k8s.io/resourceclaimtemplates', cluster.nameAgeTable],
  ['resource.k8s.io/resourceslices', cluster.resourceSliceTable],
]);

/**
 * The table convertor for a built-in resource (`group` is `''` for the core group), or
 * `undefined` for resources this module does not know (callers then use `defaultTable()`).
 */
export function tableFor(group: string, resource: string): TableConvertor | undefined {
  return TABLES.get(`${group}/${resource}`);
}
