/**
 * The remaining groups: autoscaling, policy, scheduling, certificates, coordination, node,
 * admissionregistration, flowcontrol, apiregistration, resource, internal.apiserver,
 * storagemigration.
 */
import type { KubeObject } from '../../../apimachinery/object.js';
import type { TableConvertor } from '../strategy.js';
import type { SortingTableConvertor } from './table.js';
import { ageCell, ageColumn, column, nameCell, nameColumn } from './columns.js';
import {
  NONE,
  UNKNOWN,
  UNSET,
  at,
  bool,
  compareStrings,
  humanDuration,
  intOrString,
  labelSelectorString,
  list,
  listWithMore,
  num,
  optNum,
  optStr,
  quantity,
  rec,
  str,
  type JsonRecord,
} from './format.js';

const isSet = (v: unknown): boolean => v !== undefined && v !== null;

/** autoscaling/v1 objects seen through the v2 metric model. */
function hpaMetrics(o: KubeObject): { specs: JsonRecord[]; statuses: JsonRecord[] } {
  const spec = rec(o.spec);
  if ('metrics' in spec || !('targetCPUUtilizationPercentage' in spec || (o.apiVersion ?? '').endsWith('/v1'))) {
    return { specs: list(spec.metrics).map(rec), statuses: list(at(o, 'status', 'currentMetrics')).map(rec) };
  }
  const target = num(spec.targetCPUUtilizationPercentage, 80);
  const specs: JsonRecord[] = [
    { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target } } },
  ];
  const current = optNum(at(o, 'status', 'currentCPUUtilizationPercentage'));
  const statuses: JsonRecord[] = current === undefined
    ? []
    : [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: current } } }];
  return { specs, statuses };
}

function pct(v: unknown): string | undefined {
  const n = optNum(v);
  return n === undefined ? undefined : `${n}%`;
}

/** The TARGETS cell: `cpu: 40%/80%`, `<unknown>/500m`, at most two then `+ N more...`. */
export function formatHPAMetrics(specs: JsonRecord[], statuses: JsonRecord[]): string {
  if (specs.length === 0) return NONE;
  const out: string[] = [];
  const max = 2;
  specs.forEach((spec, i) => {
    const st = i < statuses.length ? statuses[i] : undefined;
    switch (spec.type) {
      case 'External':
      case 'Object': {
        const key = spec.type === 'External' ? 'external' : 'object';
        const target = rec(at(spec, key, 'target'));
        const cur = st !== undefined && isSet(st[key]) ? rec(at(st, key, 'current')) : undefined;
        if (isSet(target.averageValue)) {
          const current = cur !== undefined && isSet(cur.averageValue) ? quantity(cur.averageValue) : UNKNOWN;
          out.push(`${current}/${quantity(target.averageValue)} (avg)`);
        } else {
          const current = cur !== undefined ? quantity(cur.value) : UNKNOWN;
          out.push(`${current}/${quantity(target.value)}`);
        }
        break;
      }
      case 'Pods': {
        const current = st !== undefined && isSet(st.pods) ? quantity(at(st, 'pods', 'current', 'averageValue')) : UNKNOWN;
        out.push(`${current}/${quantity(at(spec, 'pods', 'target', 'averageValue'))}`);
        break;
      }
      case 'Resource':
      case 'ContainerResource': {
        const key = spec.type === 'Resource' ? 'resource' : 'containerResource';
        const res = rec(spec[key]);
        const target = rec(res.target);
        const stRes = st !== undefined && isSet(st[key]) ? rec(st[key]) : undefined;
        if (isSet(target.averageValue)) {
          const current = stRes !== undefined ? quantity(at(stRes, 'current', 'averageValue')) : UNKNOWN;
          out.push(`${str(res.name)}: ${current}/${quantity(target.averageValue)}`);
        } else {
          const current = (stRes !== undefined ? pct(at(stRes, 'current', 'averageUtilization')) : undefined) ?? UNKNOWN;
          const tgt = pct(target.averageUtilization) ?? '<auto>';
          out.push(`${str(res.name)}: ${current}/${tgt}`);
        }
        break;
      }
      default:
        out.push('<unknown type>');
    }
  });
  if (out.length > max) return `${out.slice(0, max).join(', ')} + ${out.length - max} more...`;
  return out.join(', ');
}

export const horizontalPodAutoscalerTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('Reference', 'string', 'scaleTargetRef points to the target resource to scale.'),
    column('Targets', 'string', 'metrics contains the specifications for which to use to calculate the desired replica count.'),
    column('MinPods', 'string', 'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.'),
    column('MaxPods', 'string', 'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up.'),
    column('Replicas', 'string', 'currentReplicas is current number of replicas of pods managed by this autoscaler.'),
    ageColumn(),
  ],
  cells(o, now) {
    const ref = rec(at(o, 'spec', 'scaleTargetRef'));
    const { specs, statuses } = hpaMetrics(o);
    const min = optNum(at(o, 'spec', 'minReplicas'));
    return [
      nameCell(o),
      `${str(ref.kind)}/${str(ref.name)}`,
      formatHPAMetrics(specs, statuses),
      min === undefined ? UNSET : String(min),
      num(at(o, 'spec', 'maxReplicas')),
      num(at(o, 'status', 'currentReplicas')),
      ageCell(o, now),
    ];
  },
};

export const podDisruptionBudgetTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('Min Available', 'string', 'The minimum number of pods that must be available.'),
    column('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
    column('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
    ageColumn(),
  ],
  cells(o, now) {
    const min = at(o, 'spec', 'minAvailable');
    const max = at(o, 'spec', 'maxUnavailable');
    return [
      nameCell(o),
      isSet(min) ? intOrString(min) : 'N/A',
      isSet(max) ? intOrString(max) : 'N/A',
      num(at(o, 'status', 'disruptionsAllowed')),
      ageCell(o, now),
    ];
  },
};

export const priorityClassTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('Value', 'integer', 'value represents the integer value of this priority class.'),
    column('Global-Default', 'boolean', 'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.'),
    ageColumn(),
    column('PreemptionPolicy', 'string', 'preemptionPolicy is the Policy for preempting pods with lower priority.'),
  ],
  cells: (o, now) => [nameCell(o), num(o.value), bool(o.globalDefault), ageCell(o, now), str(o.preemptionPolicy)],
};

/** Denied / Approved / Pending, then `,Failed` and `,Issued` as they apply. */
export function csrCondition(o: KubeObject): string {
  let approved = false;
  let denied = false;
  let failed = false;
  for (const raw of list(at(o, 'status', 'conditions'))) {
    const t = rec(raw).type;
    if (t === 'Approved') approved = true;
    else if (t === 'Denied') denied = true;
    else if (t === 'Failed') failed = true;
  }
  let status = denied ? 'Denied' : approved ? 'Approved' : 'Pending';
  if (failed) status += ',Failed';
  if (str(at(o, 'status', 'certificate')).length > 0) status += ',Issued';
  return status;
}

export const certificateSigningRequestTable: TableConvertor = {
  columns: [
    nameColumn(),
    ageColumn(),
    column('SignerName', 'string', 'signerName indicates the requested signer.'),
    column('Requestor', 'string', 'request contains an x509 certificate signing request encoded in a "CERTIFICATE REQUEST" PEM block.'),
    column('RequestedDuration', 'string', 'expirationSeconds is the requested duration of validity of the issued certificate.'),
    column('Condition', 'string', 'conditions applied to the request.'),
  ],
  cells(o, now) {
    const exp = optNum(at(o, 'spec', 'expirationSeconds'));
    return [
      nameCell(o),
      ageCell(o, now),
      str(at(o, 'spec', 'signerName')) || NONE,
      str(at(o, 'spec', 'username')),
      exp === undefined ? NONE : humanDuration(exp * 1000),
      csrCondition(o),
    ];
  },
};

export const clusterTrustBundleTable: TableConvertor = {
  columns: [nameColumn(), column('SignerName', 'string', 'signerName indicates the associated signer, if any.')],
  cells: (o) => [nameCell(o), str(at(o, 'spec', 'signerName')) || NONE],
};

export const leaseTable: TableConvertor = {
  columns: [nameColumn(), column('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.'), ageColumn()],
  cells: (o, now) => [nameCell(o), str(at(o, 'spec', 'holderIdentity')), ageCell(o, now)],
};

export const leaseCandidateTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('LeaseName', 'string', 'LeaseName is the name of the lease for which this candidate is contending.'),
    column('BinaryVersion', 'string', 'BinaryVersion is the binary version.'),
    column('EmulationVersion', 'string', 'EmulationVersion is the emulation version.'),
    ageColumn(),
  ],
  cells: (o, now) => [
    nameCell(o),
    str(at(o, 'spec', 'leaseName')),
    str(at(o, 'spec', 'binaryVersion')),
    str(at(o, 'spec', 'emulationVersion')),
    ageCell(o, now),
  ],
};

export const runtimeClassTable: TableConvertor = {
  columns: [nameColumn(), column('Handler', 'string', 'handler specifies the underlying runtime and configuration that the CRI implementation will use.'), ageColumn()],
  cells: (o, now) => [nameCell(o), str(o.handler), ageCell(o, now)],
};

export const webhookConfigurationTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('Webhooks', 'integer', 'Webhooks indicates the number of webhooks registered in this configuration'),
    ageColumn(),
  ],
  cells: (o, now) => [nameCell(o), list(o.webhooks).length, ageCell(o, now)],
};

function paramKind(o: KubeObject): string {
  const pk = at(o, 'spec', 'paramKind');
  if (!isSet(pk)) return UNSET;
  return `${str(rec(pk).apiVersion)}/${str(rec(pk).kind)}`;
}

function paramRef(o: KubeObject): string {
  const pr = at(o, 'spec', 'paramRef');
  if (!isSet(pr)) return UNSET;
  const ref = rec(pr);
  if (str(ref.name).length > 0) {
    return str(ref.namespace) !== '' ? `${str(ref.namespace)}/${str(ref.name)}` : `*/${str(ref.name)}`;
  }
  if (isSet(ref.selector)) {
    try {
      return labelSelectorString(ref.selector);
    } catch {
      return '<error>';
    }
  }
  return UNSET;
}

function policyTable(countColumn: string, countField: string, description: string): TableConvertor {
  return {
    columns: [
      nameColumn(),
      column(countColumn, 'integer', description),
      column('ParamKind', 'string', 'ParamKind specifies the kind of resources used to parameterize this policy'),
      ageColumn(),
    ],
    cells: (o, now) => [nameCell(o), list(at(o, 'spec', countField)).length, paramKind(o), ageCell(o, now)],
  };
}

export const validatingAdmissionPolicyTable = policyTable(
  'Validations',
  'validations',
  'Validations indicates the number of validation rules defined in this configuration',
);
export const mutatingAdmissionPolicyTable = policyTable(
  'Mutations',
  'mutations',
  'Mutation indicates the number of mutations rules defined in this configuration',
);

export const admissionPolicyBindingTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('PolicyName', 'string', 'PolicyName indicates the policy definition which the policy binding binded to'),
    column('ParamRef', 'string', 'ParamRef indicates the param resource which sets the configration param'),
    ageColumn(),
  ],
  cells: (o, now) => [nameCell(o), str(at(o, 'spec', 'policyName')), paramRef(o), ageCell(o, now)],
};

export const flowSchemaTable: SortingTableConvertor = {
  columns: [
    nameColumn(),
    column('PriorityLevel', 'string', '`name` is the name of the priority level configuration being referenced'),
    column('MatchingPrecedence', 'string', '`matchingPrecedence` is used to choose among the FlowSchemas that match a given request.'),
    column('DistinguisherMethod', 'string', '`distinguisherMethod` defines how to compute the flow distinguisher for requests that match this schema.'),
    ageColumn(),
    column('MissingPL', 'string', 'references a broken or non-existent PriorityLevelConfiguration'),
  ],
  cells(o, now) {
    let missing = '?';
    for (const raw of list(at(o, 'status', 'conditions'))) {
      const c = rec(raw);
      if (c.type === 'Dangling') {
        missing = str(c.status);
        break;
      }
    }
    const dm = at(o, 'spec', 'distinguisherMethod');
    return [
      nameCell(o),
      str(at(o, 'spec', 'priorityLevelConfiguration', 'name')),
      num(at(o, 'spec', 'matchingPrecedence')),
      isSet(dm) ? str(rec(dm).type) : NONE,
      ageCell(o, now),
      missing,
    ];
  },
  /** Lists print in matching order: precedence ascending, then name. */
  sort(objs) {
    return [...objs].sort((a, b) => {
      const pa = num(at(a, 'spec', 'matchingPrecedence'));
      const pb = num(at(b, 'spec', 'matchingPrecedence'));
      return pa !== pb ? pa - pb : compareStrings(nameCell(a), nameCell(b));
    });
  },
};

export const priorityLevelConfigurationTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('Type', 'string', '`type` indicates whether this priority level is subject to limitation on request execution.'),
    column('NominalConcurrencyShares', 'string', '`nominalConcurrencyShares` (NCS) contributes to the computation of the NominalConcurrencyLimit (NominalCL) of this level.'),
    column('Queues', 'string', '`queues` is the number of queues for this priority level.'),
    column('HandSize', 'string', '`handSize` is a small positive number that configures the shuffle sharding of requests into queues.'),
    column('QueueLengthLimit', 'string', '`queueLengthLimit` is the maximum number of requests allowed to be waiting in a given queue of this priority level at a time.'),
    ageColumn(),
  ],
  cells(o, now) {
    let ncs: number | string = NONE;
    let queues: number | string = NONE;
    let handSize: number | string = NONE;
    let queueLengthLimit: number | string = NONE;
    const limited = at(o, 'spec', 'limited');
    if (isSet(limited)) {
      ncs = num(rec(limited).nominalConcurrencyShares);
      const q = at(limited, 'limitResponse', 'queuing');
      if (isSet(q)) {
        queues = num(rec(q).queues);
        handSize = num(rec(q).handSize);
        queueLengthLimit = num(rec(q).queueLengthLimit);
      }
    }
    return [nameCell(o), str(at(o, 'spec', 'type')), ncs, queues, handSize, queueLengthLimit, ageCell(o, now)];
  },
};

export const apiServiceTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('Service', 'string', 'The reference to the service that hosts this API endpoint.'),
    column('Available', 'string', 'Whether this service is available.'),
    ageColumn(),
  ],
  cells(o, now) {
    const svc = at(o, 'spec', 'service');
    const service = isSet(svc) ? `${str(rec(svc).namespace)}/${str(rec(svc).name)}` : 'Local';
    let status = 'Unknown';
    const cond = list(at(o, 'status', 'conditions')).map(rec).find((c) => c.type === 'Available');
    if (cond !== undefined) {
      status = cond.status !== 'True' && str(cond.reason).length > 0
        ? `${str(cond.status)} (${str(cond.reason)})`
        : str(cond.status);
    }
    return [nameCell(o), service, status, ageCell(o, now)];
  },
};

export const storageVersionTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('CommonEncodingVersion', 'string', 'If all API server instances agree on the same encoding storage version, then this field is set to that version.'),
    column('StorageVersions', 'string', 'The reported versions per API server instance.'),
    ageColumn(),
  ],
  cells(o, now) {
    const max = 3;
    const items: string[] = [];
    let more = false;
    let count = 0;
    for (const raw of list(at(o, 'status', 'storageVersions'))) {
      const sv = rec(raw);
      if (items.length < max) items.push(`${str(sv.apiServerID)}=${str(sv.encodingVersion)}`);
      else if (items.length === max) more = true;
      count++;
    }
    return [
      nameCell(o),
      optStr(at(o, 'status', 'commonEncodingVersion')) ?? UNSET,
      listWithMore(items, more, count, max),
      ageCell(o, now),
    ];
  },
};

export const storageVersionMigrationTable: TableConvertor = {
  columns: [
    { ...nameColumn(), format: '' },
    column('Resource', 'string', 'Fully qualified resource to migrate'),
  ],
  cells(o) {
    const r = rec(at(o, 'spec', 'resource'));
    return [nameCell(o), `${str(r.resource)}.${str(r.version)}.${str(r.group)}`];
  },
};

export const nameAgeTable: TableConvertor = {
  columns: [nameColumn(), ageColumn()],
  cells: (o, now) => [nameCell(o), ageCell(o, now)],
};

export const resourceClaimTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('State', 'string', 'A summary of the current state (allocated, pending, reserved, etc.).'),
    ageColumn(),
  ],
  cells(o, now) {
    const states: string[] = [];
    const deleting = isSet(o.metadata.deletionTimestamp);
    if (deleting) states.push('deleted');
    if (!isSet(at(o, 'status', 'allocation'))) {
      if (!deleting) states.push('pending');
    } else {
      states.push('allocated');
      if (list(at(o, 'status', 'reservedFor')).length > 0) states.push('reserved');
    }
    return [nameCell(o), states.join(','), ageCell(o, now)];
  },
};

export const resourceSliceTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('Node', 'string', 'NodeName identifies the node which provides the resources in this pool.'),
    column('Driver', 'string', 'Driver identifies the DRA driver providing the capacity information.'),
    column('Pool', 'string', 'Name is used to identify the pool.'),
    ageColumn(),
  ],
  cells: (o, now) => [
    nameCell(o),
    str(at(o, 'spec', 'nodeName')),
    str(at(o, 'spec', 'driver')),
    str(at(o, 'spec', 'pool', 'name')),
    ageCell(o, now),
  ],
};
