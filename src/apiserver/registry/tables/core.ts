/** Core (`""` group) resources other than pods. */
import type { KubeObject } from '../../../apimachinery/object.js';
import type { TableConvertor } from '../strategy.js';
import { replicaCountTable } from './apps.js';
import { ageCell, ageColumn, column, nameCell, nameColumn, wide } from './columns.js';
import {
  NONE,
  UNKNOWN,
  UNSET,
  at,
  compareStrings,
  formatLabels,
  joinHostPort,
  layoutContainerCells,
  list,
  num,
  optStr,
  parseTime,
  quantity,
  rec,
  str,
  translateTimestampSince,
  type JsonRecord,
} from './format.js';


export const podTemplateTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('Containers', 'string', 'Names of each container in the template.'),
    column('Images', 'string', 'Images referenced by each container in the template.'),
    column('Pod Labels', 'string', 'The labels for the pod template.'),
  ],
  cells(o) {
    const [names, images] = layoutContainerCells(at(o, 'template', 'spec', 'containers'));
    return [nameCell(o), names, images, formatLabels(at(o, 'template', 'metadata', 'labels'))];
  },
};

export const replicationControllerTable = replicaCountTable('replication controller', formatLabels);

/** Load-balancer ingress points: IPs or hostnames, de-duplicated and sorted. */
export function loadBalancerIngress(status: unknown): string {
  const set = new Set<string>();
  for (const raw of list(at(status, 'ingress'))) {
    const ing = rec(raw);
    if (str(ing.ip) !== '') set.add(str(ing.ip));
    else if (str(ing.hostname) !== '') set.add(str(ing.hostname));
  }
  return [...set].sort(compareStrings).join(',');
}

function serviceExternalIP(svc: KubeObject, type: string): string {
  const externalIPs = list(at(svc, 'spec', 'externalIPs')).filter((x): x is string => typeof x === 'string');
  switch (type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : NONE;
    case 'LoadBalancer': {
      const lb = loadBalancerIngress(at(svc, 'status', 'loadBalancer'));
      if (externalIPs.length > 0) {
        const results = lb.length > 0 ? lb.split(',') : [];
        return [...results, ...externalIPs].join(',');
      }
      return lb.length > 0 ? lb : '<pending>';
    }
    case 'ExternalName':
      return str(at(svc, 'spec', 'externalName'));
    default:
      return UNKNOWN;
  }
}

/** `80/TCP`, `80:30080/TCP`, comma-joined. */
export function servicePorts(ports: unknown): string {
  return list(ports)
    .map(rec)
    .map((p) => {
      const protocol = str(p.protocol) || 'TCP';
      const nodePort = num(p.nodePort);
      return nodePort > 0 ? `${num(p.port)}:${nodePort}/${protocol}` : `${num(p.port)}/${protocol}`;
    })
    .join(',');
}

export const serviceTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('Type', 'string', 'type determines how the Service is exposed.'),
    column('Cluster-IP', 'string', 'clusterIP is the IP address of the service.'),
    column('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
    column('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
    ageColumn(),
    wide('Selector', 'Route service traffic to pods with label keys and values matching this selector.'),
  ],
  cells(o, now) {
    const type = str(at(o, 'spec', 'type')) || 'ClusterIP';
    const clusterIPs = list(at(o, 'spec', 'clusterIPs')).filter((x): x is string => typeof x === 'string');
    let internalIP = NONE;
    if (clusterIPs.length > 0) internalIP = clusterIPs[0]!;
    else if (str(at(o, 'spec', 'clusterIP')) !== '') internalIP = str(at(o, 'spec', 'clusterIP'));
    const ports = servicePorts(at(o, 'spec', 'ports')) || NONE;
    return [
      nameCell(o),
      type,
      internalIP,
      serviceExternalIP(o, type),
      ports,
      ageCell(o, now),
      formatLabels(at(o, 'spec', 'selector')),
    ];
  },
};

/** Up to three `ip:port` endpoints, then `+ N more...`; `<none>` without subsets. */
export function formatEndpoints(o: KubeObject): string {
  const subsets = list(o.subsets).map(rec);
  if (subsets.length === 0) return NONE;
  const out: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addresses = list(ss.addresses).map(rec);
    const ports = list(ss.ports).map(rec);
    if (ports.length === 0) {
      count += addresses.length;
      for (const a of addresses) {
        if (out.length === max) {
          more = true;
          break;
        }
        out.push(str(a.ip));
      }
      continue;
    }
    for (const port of ports) {
      count += addresses.length;
      for (const a of addresses) {
        if (out.length === max) {
          more = true;
          break;
        }
        out.push(joinHostPort(str(a.ip), num(port.port)));
      }
    }
  }
  const ret = out.join(',');
  return more ? `${ret} + ${count - max} more...` : ret;
}

export const endpointsTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('Endpoints', 'string', 'The set of all endpoints is the union of all subsets.'),
    ageColumn(),
  ],
  cells: (o, now) => [nameCell(o), formatEndpoints(o), ageCell(o, now)],
};

const LABEL_NODE_ROLE_PREFIX = 'node-role.kubernetes.io/';
const NODE_LABEL_ROLE = 'kubernetes.io/role';

/** Roles from `node-role.kubernetes.io/<role>` keys and `kubernetes.io/role=<role>`, sorted. */
export function nodeRoles(node: KubeObject): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith(LABEL_NODE_ROLE_PREFIX)) {
      const role = k.slice(LABEL_NODE_ROLE_PREFIX.length);
      if (role.length > 0) roles.add(role);
    } else if (k === NODE_LABEL_ROLE && v !== '') {
      roles.add(v);
    }
  }
  return [...roles].sort(compareStrings);
}

function nodeAddress(node: KubeObject, type: string): string {
  for (const raw of list(at(node, 'status', 'addresses'))) {
    const a = rec(raw);
    if (a.type === type) return str(a.address);
  }
  return NONE;
}

export function nodeStatus(node: KubeObject): string {
  let ready: JsonRecord | undefined;
  for (const raw of list(at(node, 'status', 'conditions'))) {
    const c = rec(raw);
    if (c.type === 'Ready') ready = c;
  }
  const status: string[] = [];
  if (ready !== undefined) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  if (status.length === 0) status.push('Unknown');
  if (at(node, 'spec', 'unschedulable') === true) status.push('SchedulingDisabled');
  return status.join(',');
}

export const nodeTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('Status', 'string', 'The status of the node'),
    column('Roles', 'string', 'The roles of the node'),
    ageColumn(),
    column('Version', 'string', 'Kubelet Version reported by the node.'),
    wide('Internal-IP', 'List of addresses reachable to the node.'),
    wide('External-IP', 'List of addresses reachable to the node.'),
    wide('OS-Image', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).'),
    wide('Kernel-Version', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."),
    wide('Container-Runtime', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).'),
  ],
  cells(o, now) {
    const info = rec(at(o, 'status', 'nodeInfo'));
    const roles = nodeRoles(o).join(',') || NONE;
    return [
      nameCell(o),
      nodeStatus(o),
      roles,
      ageCell(o, now),
      str(info.kubeletVersion),
      nodeAddress(o, 'InternalIP'),
      nodeAddress(o, 'ExternalIP'),
      str(info.osImage) || UNKNOWN,
      str(info.kernelVersion) || UNKNOWN,
      str(info.containerRuntimeVersion) || UNKNOWN,
    ];
  },
};

export const namespaceTable: TableConvertor = {
  columns: [nameColumn(), column('Status', 'string', 'The status of the namespace'), ageColumn()],
  cells: (o, now) => [nameCell(o), str(at(o, 'status', 'phase')), ageCell(o, now)],
};

/** A core/v1 view of an Event from either core/v1 or events.k8s.io/v1. */
interface EventView {
  type: string;
  reason: string;
  message: string;
  involvedKind: string;
  involvedName: string;
  fieldPath: string;
  sourceComponent: string;
  sourceHost: string;
  reportingController: string;
  reportingInstance: string;
  firstTimestamp: unknown;
  lastTimestamp: unknown;
  eventTime: unknown;
  count: number;
  series: JsonRecord | undefined;
}

function eventView(o: KubeObject): EventView {
  const isNewAPI = (o.apiVersion ?? '').startsWith('events.k8s.io/') || ('regarding' in o && !('involvedObject' in o));
  const involved = rec(isNewAPI ? o.regarding : o.involvedObject);
  const source = rec(isNewAPI ? o.deprecatedSource : o.source);
  const series = o.series === undefined || o.series === null ? undefined : rec(o.series);
  return {
    type: str(o.type),
    reason: str(o.reason),
    message: str(isNewAPI ? o.note : o.message),
    involvedKind: str(involved.kind),
    involvedName: str(involved.name),
    fieldPath: str(involved.fieldPath),
    sourceComponent: str(source.component),
    sourceHost: str(source.host),
    reportingController: str(isNewAPI ? o.reportingController : o.reportingComponent),
    reportingInstance: str(o.reportingInstance),
    firstTimestamp: isNewAPI ? o.deprecatedFirstTimestamp : o.firstTimestamp,
    lastTimestamp: isNewAPI ? o.deprecatedLastTimestamp : o.lastTimestamp,
    eventTime: o.eventTime,
    count: num(isNewAPI ? o.deprecatedCount : o.count),
    series,
  };
}

export const eventTable: TableConvertor = {
  columns: [
    column('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
    column('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
    column('Reason', 'string', "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
    column('Object', 'string', 'The object that this event is about.'),
    wide('Subobject', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.'),
    wide('Source', 'The component reporting this event. Should be a short machine understandable string.'),
    column('Message', 'string', 'A human-readable description of the status of this operation.'),
    wide('First Seen', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)'),
    wide('Count', 'The number of times this event has occurred.'),
    nameColumn(1),
  ],
  cells(o, now) {
    const e = eventView(o);
    const first = parseTime(e.firstTimestamp) === undefined
      ? translateTimestampSince(e.eventTime, now)
      : translateTimestampSince(e.firstTimestamp, now);
    let last = parseTime(e.lastTimestamp) === undefined ? first : translateTimestampSince(e.lastTimestamp, now);
    let count = e.count;
    if (e.series !== undefined) {
      last = translateTimestampSince(e.series.lastObservedTime, now);
      count = num(e.series.count);
    } else if (count === 0) {
      count = 1;
    }
    const target = e.involvedName.length > 0
      ? `${e.involvedKind.toLowerCase()}/${e.involvedName}`
      : e.involvedKind.toLowerCase();
    const component = e.sourceComponent || e.reportingController;
    const host = e.sourceHost || e.reportingInstance;
    const source = host.length === 0 ? component : `${component}, ${host}`;
    return [last, e.type, e.reason, target, e.fieldPath, source, e.message.trim(), first, count, nameCell(o)];
  },
};

export const secretTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('Type', 'string', 'Used to facilitate programmatic handling of secret data.'),
    column('Data', 'string', 'Data contains the secret data.'),
    ageColumn(),
  ],
  cells: (o, now) => [nameCell(o), str(o.type), Object.keys(rec(o.data)).length, ageCell(o, now)],
};

export const configMapTable: TableConvertor = {
  columns: [nameColumn(), column('Data', 'string', 'Data contains the configuration data.'), ageColumn()],
  cells: (o, now) => [nameCell(o), Object.keys(rec(o.data)).length + Object.keys(rec(o.binaryData)).length, ageCell(o, now)],
};

export const serviceAccountTable: TableConvertor = {
  columns: [nameColumn(), column('Secrets', 'string', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'), ageColumn()],
  cells: (o, now) => [nameCell(o), list(o.secrets).length, ageCell(o, now)],
};

/** RWO,ROX,RWX,RWOP in that fixed order, duplicates dropped. */
export function accessModes(modes: unknown): string {
  const set = new Set(list(modes).filter((x): x is string => typeof x === 'string'));
  const out: string[] = [];
  if (set.has('ReadWriteOnce')) out.push('RWO');
  if (set.has('ReadOnlyMany')) out.push('ROX');
  if (set.has('ReadWriteMany')) out.push('RWX');
  if (set.has('ReadWriteOncePod')) out.push('RWOP');
  return out.join(',');
}

const BETA_STORAGE_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

function storageClassOf(o: KubeObject): string {
  const ann = o.metadata.annotations ?? {};
  if (BETA_STORAGE_CLASS_ANNOTATION in ann) return ann[BETA_STORAGE_CLASS_ANNOTATION] ?? '';
  return str(at(o, 'spec', 'storageClassName'));
}

export const persistentVolumeTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('Capacity', 'string', "capacity is the description of the persistent volume's resources and capacity."),
    column('Access Modes', 'string', 'accessModes contains all ways the volume can be mounted.'),
    column('Reclaim Policy', 'string', 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.'),
    column('Status', 'string', 'phase indicates if a volume is available, bound to a claim, or released by a claim.'),
    column('Claim', 'string', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.'),
    column('StorageClass', 'string', 'StorageClass of the pv'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
    column('Reason', 'string', 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.'),
    ageColumn(),
    wide('VolumeMode', 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.'),
  ],
  cells(o, now) {
    const claimRef = at(o, 'spec', 'claimRef');
    const claim = claimRef === undefined || claimRef === null ? '' : `${str(rec(claimRef).namespace)}/${str(rec(claimRef).name)}`;
    const phase = o.metadata.deletionTimestamp ? 'Terminating' : str(at(o, 'status', 'phase'));
    return [
      nameCell(o),
      quantity(at(o, 'spec', 'capacity', 'storage')),
      accessModes(at(o, 'spec', 'accessModes')),
      str(at(o, 'spec', 'persistentVolumeReclaimPolicy')),
      phase,
      claim,
      storageClassOf(o),
      optStr(at(o, 'spec', 'volumeAttributesClassName')) ?? UNSET,
      str(at(o, 'status', 'reason')),
      ageCell(o, now),
      optStr(at(o, 'spec', 'volumeMode')) ?? UNSET,
    ];
  },
};

export const persistentVolumeClaimTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('Status', 'string', 'phase represents the current phase of PersistentVolumeClaim.'),
    column('Volume', 'string', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
    column('Capacity', 'string', 'capacity represents the actual resources of the underlying volume.'),
    column('Access Modes', 'string', 'accessModes contains the actual access modes the volume backing the PVC has.'),
    column('StorageClass', 'string', 'StorageClass of the pvc'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
    ageColumn(),
    wide('VolumeMode', 'volumeMode defines what type of volume is required by the claim.'),
  ],
  cells(o, now) {
    const phase = o.metadata.deletionTimestamp ? 'Terminating' : str(at(o, 'status', 'phase'));
    const volumeName = str(at(o, 'spec', 'volumeName'));
    let capacity = '';
    let modes = '';
    if (volumeName !== '') {
      modes = accessModes(at(o, 'status', 'accessModes'));
      capacity = quantity(at(o, 'status', 'capacity', 'storage'));
    }
    return [
      nameCell(o),
      phase,
      volumeName,
      capacity,
      modes,
      storageClassOf(o),
      optStr(at(o, 'spec', 'volumeAttributesClassName')) ?? UNSET,
      ageCell(o, now),
      optStr(at(o, 'spec', 'volumeMode')) ?? UNSET,
    ];
  },
};

export const resourceQuotaTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    column('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
    ageColumn(),
  ],
  cells(o, now) {
    const hard = rec(at(o, 'status', 'hard'));
    const used = rec(at(o, 'status', 'used'));
    const requests: string[] = [];
    const limits: string[] = [];
    for (const r of Object.keys(hard).sort(compareStrings)) {
      const pieces = r.split('.');
      const target = pieces.length > 1 && pieces[0] === 'limits' ? limits : requests;
      target.push(`${r}: ${quantity(used[r])}/${quantity(hard[r])}`);
    }
    return [nameCell(o), requests.join(', '), limits.join(', '), ageCell(o, now)];
  },
};

export const componentStatusTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('Status', 'string', 'Status of the component conditions'),
    column('Message', 'string', 'Message of the component conditions'),
    column('Error', 'string', 'Error of the component conditions'),
  ],
  cells(o) {
    let status = 'Unknown';
    let message = '';
    let error = '';
    for (const raw of list(o.conditions)) {
      const c = rec(raw);
      if (c.type === 'Healthy') {
        status = c.status === 'True' ? 'Healthy' : 'Unhealthy';
        message = str(c.message);
        error = str(c.error);
        break;
      }
    }
    return [nameCell(o), status, message, error];
  },
};

