/** batch/v1: jobs and cronjobs. */
import type { KubeObject } from '../../../apimachinery/object.js';
import type { TableConvertor } from '../strategy.js';
import { ageCell, ageColumn, column, nameCell, nameColumn, podTemplateCells, podTemplateColumns } from './columns.js';
import {
  NONE,
  at,
  formatLabelSelector,
  humanDuration,
  list,
  num,
  optNum,
  optStr,
  parseTime,
  printBoolPtr,
  rec,
  str,
  translateTimestampSince,
} from './format.js';


function jobCondition(o: KubeObject, type: string): boolean {
  for (const raw of list(at(o, 'status', 'conditions'))) {
    const c = rec(raw);
    if (c.type === type) return c.status === 'True';
  }
  return false;
}

/** Complete, Failed, Terminating, Suspended, FailureTarget or Running (first that applies). */
export function jobStatus(o: KubeObject): string {
  if (jobCondition(o, 'Complete')) return 'Complete';
  if (jobCondition(o, 'Failed')) return 'Failed';
  if (o.metadata.deletionTimestamp) return 'Terminating';
  if (jobCondition(o, 'Suspended')) return 'Suspended';
  if (jobCondition(o, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

/** `succeeded/completions`, `succeeded/1 of parallelism` for work queues, `succeeded/1` otherwise. */
export function jobCompletions(o: KubeObject): string {
  const succeeded = num(at(o, 'status', 'succeeded'));
  const completions = optNum(at(o, 'spec', 'completions'));
  if (completions !== undefined) return `${succeeded}/${completions}`;
  const parallelism = num(at(o, 'spec', 'parallelism'), 1);
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

export function jobDuration(o: KubeObject, now: Date): string {
  const start = parseTime(at(o, 'status', 'startTime'));
  if (start === undefined) return '';
  const end = parseTime(at(o, 'status', 'completionTime'));
  return humanDuration((end ?? now.getTime()) - start);
}

export const jobTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('Status', 'string', 'Status of the job.'),
    column('Completions', 'string', 'The number of pods which reached phase Succeeded.'),
    column('Duration', 'string', 'Time required to complete the job.'),
    ageColumn(),
    ...podTemplateColumns(),
  ],
  cells(o, now) {
    return [
      nameCell(o),
      jobStatus(o),
      jobCompletions(o),
      jobDuration(o, now),
      ageCell(o, now),
      ...podTemplateCells(at(o, 'spec', 'template'), formatLabelSelector(at(o, 'spec', 'selector'))),
    ];
  },
};

export const cronJobTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('Schedule', 'string', 'The schedule in Cron format.'),
    column('Timezone', 'string', 'The time zone name for the given schedule.'),
    column('Suspend', 'boolean', 'This flag tells the controller to suspend subsequent executions.'),
    column('Active', 'integer', 'A list of pointers to currently running jobs.'),
    column('Last Schedule', 'string', 'Information when was the last time the job was successfully scheduled.'),
    ageColumn(),
    ...podTemplateColumns(),
  ],
  cells(o, now) {
    const lastSchedule = at(o, 'status', 'lastScheduleTime');
    const jobSpec = at(o, 'spec', 'jobTemplate', 'spec');
    return [
      nameCell(o),
      str(at(o, 'spec', 'schedule')),
      optStr(at(o, 'spec', 'timeZone')) ?? NONE,
      printBoolPtr(at(o, 'spec', 'suspend')),
      list(at(o, 'status', 'active')).length,
      lastSchedule === undefined || lastSchedule === null ? NONE : translateTimestampSince(lastSchedule, now),
      ageCell(o, now),
      ...podTemplateCells(at(jobSpec, 'template'), formatLabelSelector(at(jobSpec, 'selector'))),
    ];
  },
};
