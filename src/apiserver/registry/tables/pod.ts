/** Pods: READY, STATUS (as upstream's printPod computes it), RESTARTS, AGE; wide IP, NODE, ... */
import type { KubeObject } from '../../../apimachinery/object.js';
import type { TableRowCondition, ConditionalTableConvertor } from './table.js';
import { ageCell, ageColumn, column, nameCell, nameColumn, wide } from './columns.js';
import { NONE, at, bool, list, num, parseTime, rec, str, translateTimestampSince, type JsonRecord } from './format.js';

/** Reason the node lifecycle controller sets on pods of an unreachable node. */
const NODE_UNREACHABLE_POD_REASON = 'NodeLost';
const SCHEDULING_GATED = 'SchedulingGated';

export interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
}

function isRestartableInit(c: JsonRecord | undefined): boolean {
  return c !== undefined && c.restartPolicy === 'Always';
}

function hasCondition(pod: KubeObject, type: string): boolean {
  for (const raw of list(at(pod, 'status', 'conditions'))) {
    const c = rec(raw);
    if (c.type === type) return c.status === 'True';
  }
  return false;
}

function terminatedFinishedAt(cs: JsonRecord): number | undefined {
  const term = at(cs, 'lastState', 'terminated');
  if (term === undefined || term === null) return undefined;
  return parseTime(rec(term).finishedAt);
}

/** READY, STATUS and RESTARTS of a pod at `now`, exactly as `kubectl get pods` shows them. */
export function summarizePod(pod: KubeObject, now: Date): PodSummary {
  const spec = rec(pod.spec);
  const status = rec(pod.status);
  const containers = list(spec.containers);
  const initSpecs = list(spec.initContainers).map(rec);

  let restarts = 0;
  let restartableInitRestarts = 0;
  let totalContainers = containers.length;
  let readyContainers = 0;
  let lastRestart: number | undefined;
  let lastRestartableInitRestart: number | undefined;
  const later = (cur: number | undefined, t: number | undefined): number | undefined =>
    t !== undefined && (cur === undefined || cur < t) ? t : cur;

  const phase = str(status.phase);
  let reason = phase;
  if (str(status.reason) !== '') reason = str(status.reason);

  for (const raw of list(status.conditions)) {
    const c = rec(raw);
    if (c.type === 'PodScheduled' && c.reason === SCHEDULING_GATED) reason = SCHEDULING_GATED;
  }

  const initByName = new Map<string, JsonRecord>();
  for (const c of initSpecs) {
    initByName.set(str(c.name), c);
    if (isRestartableInit(c)) totalContainers++;
  }

  let initializing = false;
  const initStatuses = list(status.initContainerStatuses).map(rec);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i]!;
    const state = rec(cs.state);
    const restartable = isRestartableInit(initByName.get(str(cs.name)));
    restarts += num(cs.restartCount);
    lastRestart = later(lastRestart, terminatedFinishedAt(cs));
    if (restartable) {
      restartableInitRestarts += num(cs.restartCount);
      lastRestartableInitRestart = later(lastRestartableInitRestart, terminatedFinishedAt(cs));
    }
    const terminated = state.terminated === undefined || state.terminated === null ? undefined : rec(state.terminated);
    const waiting = state.waiting === undefined || state.waiting === null ? undefined : rec(state.waiting);
    if (terminated !== undefined && num(terminated.exitCode) === 0) continue;
    if (restartable && cs.started === true) {
      if (bool(cs.ready)) readyContainers++;
      continue;
    }
    if (terminated !== undefined) {
      const tr = str(terminated.reason);
      if (tr === '') {
        reason = num(terminated.signal) !== 0
          ? `Init:Signal:${num(terminated.signal)}`
          : `Init:ExitCode:${num(terminated.exitCode)}`;
      } else {
        reason = `Init:${tr}`;
      }
    } else if (waiting !== undefined && str(waiting.reason) !== '' && waiting.reason !== 'PodInitializing') {
      reason = `Init:${str(waiting.reason)}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || hasCondition(pod, 'Initialized')) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses = list(status.containerStatuses).map(rec);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i]!;
      const state = rec(cs.state);
      restarts += num(cs.restartCount);
      lastRestart = later(lastRestart, terminatedFinishedAt(cs));
      const terminated = state.terminated === undefined || state.terminated === null ? undefined : rec(state.terminated);
      const waiting = state.waiting === undefined || state.waiting === null ? undefined : rec(state.waiting);
      const running = state.running !== undefined && state.running !== null;
      if (waiting !== undefined && str(waiting.reason) !== '') {
        reason = str(waiting.reason);
      } else if (terminated !== undefined && str(terminated.reason) !== '') {
        reason = str(terminated.reason);
      } else if (terminated !== undefined) {
        reason = num(terminated.signal) !== 0
          ? `Signal:${num(terminated.signal)}`
          : `ExitCode:${num(terminated.exitCode)}`;
      } else if (bool(cs.ready) && running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = hasCondition(pod, 'Ready') ? 'Running' : 'NotReady';
    }
  }

  const deleting = pod.metadata.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null;
  if (deleting && status.reason === NODE_UNREACHABLE_POD_REASON) {
    reason = 'Unknown';
  } else if (deleting && phase !== 'Failed' && phase !== 'Succeeded') {
    reason = 'Terminating';
  }

  let restartsText = String(restarts);
  if (restarts !== 0 && lastRestart !== undefined) {
    restartsText = `${restarts} (${translateTimestampSince(new Date(lastRestart).toISOString(), now)} ago)`;
  }
  return { ready: `${readyContainers}/${totalContainers}`, status: reason, restarts: restartsText };
}

function readinessGates(pod: KubeObject): string {
  const gates = list(at(pod, 'spec', 'readinessGates')).map(rec);
  if (gates.length === 0) return NONE;
  const conditions = list(at(pod, 'status', 'conditions')).map(rec);
  let trueCount = 0;
  for (const gate of gates) {
    const c = conditions.find((cond) => cond.type === gate.conditionType);
    if (c !== undefined && c.status === 'True') trueCount++;
  }
  return `${trueCount}/${gates.length}`;
}

function podConditions(pod: KubeObject): TableRowCondition[] | undefined {
  switch (at(pod, 'status', 'phase')) {
    case 'Succeeded':
      return [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
    case 'Failed':
      return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
    default:
      return undefined;
  }
}

export const podTable: ConditionalTableConvertor = {
  columns: [
    nameColumn(),
    column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'string', 'The aggregate status of the containers in this pod.'),
    column('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    ageColumn(),
    wide('IP', 'podIP address allocated to the pod.'),
    wide('Node', 'NodeName is the name of the node the pod is scheduled onto.'),
    wide('Nominated Node', 'nominatedNodeName is set when this pod preempts other pods on the node.'),
    wide('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness.'),
  ],
  cells(pod, now) {
    const s = summarizePod(pod, now);
    const ips = list(at(pod, 'status', 'podIPs')).map(rec);
    const podIP = (ips.length > 0 ? str(ips[0]!.ip) : '') || NONE;
    const nodeName = str(at(pod, 'spec', 'nodeName')) || NONE;
    const nominated = str(at(pod, 'status', 'nominatedNodeName')) || NONE;
    return [
      nameCell(pod),
      s.ready,
      s.status,
      s.restarts,
      ageCell(pod, now),
      podIP,
      nodeName,
      nominated,
      readinessGates(pod),
    ];
  },
  conditions: podConditions,
};
