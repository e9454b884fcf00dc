/** apps/v1: replicasets, deployments, statefulsets, daemonsets, controllerrevisions. */
import type { KubeObject } from '../../../apimachinery/object.js';
import type { TableConvertor } from '../strategy.js';
import { ageCell, ageColumn, column, nameCell, nameColumn, podTemplateCells, podTemplateColumns } from './columns.js';
import {
  NONE,
  at,
  formatLabelSelector,
  formatLabels,
  labelSelectorString,
  num,
} from './format.js';

/**
 * ReplicaSets and ReplicationControllers print alike (Desired, Current, Ready, Age, then the
 * template's wide columns); only the words in Ready's description and the selector's form differ.
 */
export function replicaCountTable(kindWords: string, formatSelector: (selector: unknown) => string): TableConvertor {
  return {
    columns: [
      nameColumn(),
      column('Desired', 'integer', 'Replicas is the number of desired replicas.'),
      column('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
      column('Ready', 'integer', `The number of ready replicas for this ${kindWords}.`),
      ageColumn(),
      ...podTemplateColumns(),
    ],
    cells: (o, now) => [
      nameCell(o),
      num(at(o, 'spec', 'replicas'), 1),
      num(at(o, 'status', 'replicas')),
      num(at(o, 'status', 'readyReplicas')),
      ageCell(o, now),
      ...podTemplateCells(at(o, 'spec', 'template'), formatSelector(at(o, 'spec', 'selector'))),
    ],
  };
}

export const replicaSetTable = replicaCountTable('replica set', formatLabelSelector);

export const deploymentTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('Ready', 'string', 'Number of the pod with ready state'),
    column('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    column('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
    ageColumn(),
    ...podTemplateColumns(),
  ],
  cells(o, now) {
    let selector: string;
    try {
      selector = labelSelectorString(at(o, 'spec', 'selector'));
    } catch {
      selector = '<invalid>';
    }
    return [
      nameCell(o),
      `${num(at(o, 'status', 'readyReplicas'))}/${num(at(o, 'spec', 'replicas'), 1)}`,
      num(at(o, 'status', 'updatedReplicas')),
      num(at(o, 'status', 'availableReplicas')),
      ageCell(o, now),
      ...podTemplateCells(at(o, 'spec', 'template'), selector),
    ];
  },
};

export const statefulSetTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('Ready', 'string', 'Number of the pod with ready state'),
    ageColumn(),
    ...podTemplateColumns({ selector: false }),
  ],
  cells: (o, now) => [
    nameCell(o),
    `${num(at(o, 'status', 'readyReplicas'))}/${num(at(o, 'spec', 'replicas'), 1)}`,
    ageCell(o, now),
    ...podTemplateCells(at(o, 'spec', 'template')),
  ],
};

export const daemonSetTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('Desired', 'integer', 'The total number of nodes that should be running the daemon pod.'),
    column('Current', 'integer', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.'),
    column('Ready', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.'),
    column('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod'),
    column('Available', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.'),
    column('Node Selector', 'string', "NodeSelector is a selector which must be true for the pod to fit on a node."),
    ageColumn(),
    ...podTemplateColumns(),
  ],
  cells(o, now) {
    return [
      nameCell(o),
      num(at(o, 'status', 'desiredNumberScheduled')),
      num(at(o, 'status', 'currentNumberScheduled')),
      num(at(o, 'status', 'numberReady')),
      num(at(o, 'status', 'updatedNumberScheduled')),
      num(at(o, 'status', 'numberAvailable')),
      formatLabels(at(o, 'spec', 'template', 'spec', 'nodeSelector')),
      ageCell(o, now),
      ...podTemplateCells(at(o, 'spec', 'template'), formatLabelSelector(at(o, 'spec', 'selector'))),
    ];
  },
};

/** `kind.group/name` (lower-case group kind) of the controlling owner, `<none>` without one. */
export function controllerName(o: KubeObject): string {
  const ref = (o.metadata.ownerReferences ?? []).find((r) => r.controller === true);
  if (ref === undefined) return NONE;
  const slash = ref.apiVersion.indexOf('/');
  const group = slash >= 0 ? ref.apiVersion.slice(0, slash) : '';
  if (ref.kind === '' && group === '') return ref.name;
  const groupKind = group === '' ? ref.kind : `${ref.kind}.${group}`;
  return `${groupKind.toLowerCase()}/${ref.name}`;
}

export const controllerRevisionTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('Controller', 'string', 'Controller of the object'),
    column('Revision', 'string', 'Revision indicates the revision of the state represented by Data.'),
    ageColumn(),
  ],
  cells: (o, now) => [nameCell(o), controllerName(o), num(o.revision), ageCell(o, now)],
};
