/** Core v1 Events (upstream pkg/registry/core/event/strategy.go, legacy event validation). */
import type { FieldError } from '../../../apimachinery/errors.js';
import type { KubeObject } from '../../../apimachinery/object.js';
import { invalidField } from '../../../apimachinery/validation/index.js';
import type { Strategy } from '../strategy.js';
import { asObj, str } from '../util.js';

function validateEvent(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const involved = asObj(obj.involvedObject) ?? {};
  const ns = str(involved.namespace);
  if (ns && obj.metadata.namespace && ns !== obj.metadata.namespace) {
    errs.push(invalidField('involvedObject.namespace', ns, 'does not match event.namespace'));
  }
  return errs;
}

/** Field-selectable values of a core/v1 Event (also used by events.k8s.io). */
export function eventSelectableFields(obj: KubeObject): Record<string, string> {
  const involved = asObj(obj.involvedObject) ?? asObj(obj.regarding) ?? {};
  const reportingComponent = str(obj.reportingComponent) || str(obj.reportingController);
  const source = str(asObj(obj.source)?.component) || str(asObj(obj.deprecatedSource)?.component) || reportingComponent;
  return {
    'involvedObject.kind': str(involved.kind),
    'involvedObject.namespace': str(involved.namespace),
    'involvedObject.name': str(involved.name),
    'involvedObject.uid': str(involved.uid),
    'involvedObject.apiVersion': str(involved.apiVersion),
    'involvedObject.resourceVersion': str(involved.resourceVersion),
    'involvedObject.fieldPath': str(involved.fieldPath),
    reason: str(obj.reason),
    reportingComponent,
    source,
    type: str(obj.type),
  };
}

export const eventStrategy: Strategy = {
  validate: validateEvent,
  validateUpdate: validateEvent,
  selectableFields: eventSelectableFields,
  generationFields: [],
};
