/** CronJobs (upstream SetDefaults_CronJob, ValidateCronJob). */
import type { FieldError } from '../../../apimachinery/errors.js';
import type { KubeObject } from '../../../apimachinery/object.js';
import { invalidField, notSupported, required, validateAnnotations, validateLabels, validateNonnegativeField } from '../../../apimachinery/validation/index.js';
import type { Strategy } from '../strategy.js';
import { asObj, ensureObj, num, setDefault, str, strMap } from '../util.js';
import { statusSubresource } from '../status.js';
import { defaultPodTemplate } from '../core/pod-spec.js';
import { validateJobSpec } from './jobs.js';
import { cronScheduleError } from './cron.js';

function validateCronJob(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const name = obj.metadata.name ?? '';
  if (name.length > 52) errs.push(invalidField('metadata.name', name, 'must be no more than 52 characters'));
  const spec = asObj(obj.spec) ?? {};
  const schedule = str(spec.schedule);
  if (!schedule) errs.push(required('spec.schedule'));
  else {
    if (/^\s*(CRON_)?TZ=/.test(schedule)) {
      errs.push(invalidField('spec.schedule', schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
    } else {
      const err = cronScheduleError(schedule);
      if (err) errs.push(invalidField('spec.schedule', schedule, err));
    }
  }
  const tz = spec.timeZone;
  if (tz !== undefined && tz !== null) {
    const z = str(tz);
    let ok = z.length > 0 && !z.includes(' ') && z !== 'Local';
    if (ok) {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: z });
      } catch {
        ok = false;
      }
    }
    if (!ok) errs.push(invalidField('spec.timeZone', z, 'unknown time zone ' + z));
  }
  errs.push(...validateNonnegativeField(num(spec.startingDeadlineSeconds), 'spec.startingDeadlineSeconds'));
  const cp = str(spec.concurrencyPolicy);
  if (!cp) errs.push(required('spec.concurrencyPolicy'));
  else if (!['Allow', 'Forbid', 'Replace'].includes(cp)) errs.push(notSupported('spec.concurrencyPolicy', cp, ['Allow', 'Forbid', 'Replace']));
  errs.push(...validateNonnegativeField(num(spec.successfulJobsHistoryLimit), 'spec.successfulJobsHistoryLimit'));
  errs.push(...validateNonnegativeField(num(spec.failedJobsHistoryLimit), 'spec.failedJobsHistoryLimit'));
  const jt = asObj(spec.jobTemplate);
  if (!jt) {
    errs.push(required('spec.jobTemplate'));
    return errs;
  }
  const jtMeta = asObj(jt.metadata) ?? {};
  errs.push(...validateLabels(strMap(jtMeta.labels), 'spec.jobTemplate.metadata.labels'));
  errs.push(...validateAnnotations(strMap(jtMeta.annotations), 'spec.jobTemplate.metadata.annotations'));
  const jspec = asObj(jt.spec) ?? {};
  errs.push(...validateJobSpec(jspec, 'spec.jobTemplate.spec', { requireSelector: false }));
  if (jspec.selector !== undefined && jspec.selector !== null) {
    errs.push(invalidField('spec.jobTemplate.spec.selector', jspec.selector, '`selector` will be auto-generated'));
  }
  if (jspec.manualSelector === true) {
    errs.push(notSupported('spec.jobTemplate.spec.manualSelector', true, ['nil', 'false']));
  }
  return errs;
}

export const cronJobStrategy: Strategy = {
  defaults(obj) {
    const spec = ensureObj(obj, 'spec');
    setDefault(spec, 'concurrencyPolicy', 'Allow');
    setDefault(spec, 'suspend', false);
    setDefault(spec, 'successfulJobsHistoryLimit', 3);
    setDefault(spec, 'failedJobsHistoryLimit', 1);
    const jt = asObj(spec.jobTemplate);
    if (jt) defaultPodTemplate(asObj(jt.spec)?.template);
  },
  ...statusSubresource({}),
  validate: validateCronJob,
  validateUpdate: validateCronJob,
};
