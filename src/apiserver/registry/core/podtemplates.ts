/** PodTemplates: the template is defaulted and validated like a pod's. */
import type { Strategy } from '../strategy.js';
import { defaultPodTemplate, validatePodTemplateSpec } from './pod-spec.js';

export const podTemplateStrategy: Strategy = {
  defaults(obj) {
    defaultPodTemplate(obj.template);
  },
  validate: (obj) => validatePodTemplateSpec(obj.template, 'template'),
  validateUpdate: (obj) => validatePodTemplateSpec(obj.template, 'template'),
  generationFields: [],
};
