/** LimitRanges (upstream SetDefaults_LimitRangeItem + ValidateLimitRange basics). */
import type { FieldError } from '../../../apimachinery/errors.js';
import type { KubeObject } from '../../../apimachinery/object.js';
import { child, index, notSupported, required } from '../../../apimachinery/validation/index.js';
import type { Strategy } from '../strategy.js';
import { asObj, objArray, str, canonicalizeResourceList } from '../util.js';
import { validateResourceList } from './resourcequotas.js';

const LIMIT_TYPES = ['Container', 'PersistentVolumeClaim', 'Pod'];

function fillMissing(target: Record<string, unknown>, from: unknown): void {
  for (const [k, v] of Object.entries(asObj(from) ?? {})) if (target[k] === undefined) target[k] = v;
}

function validateLimitRange(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  objArray(asObj(obj.spec)?.limits).forEach((item, i) => {
    const p = index('spec.limits', i);
    const type = str(item.type);
    if (!type) errs.push(required(child(p, 'type')));
    else if (!LIMIT_TYPES.includes(type)) errs.push(notSupported(child(p, 'type'), type, LIMIT_TYPES));
    for (const f of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) {
      errs.push(...validateResourceList(item[f], child(p, f)));
    }
  });
  return errs;
}

export const limitRangeStrategy: Strategy = {
  defaults(obj) {
    for (const item of objArray(asObj(obj.spec)?.limits)) {
      for (const f of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) canonicalizeResourceList(item[f]);
      if (item.type !== 'Container') continue;
      const def: Record<string, unknown> = { ...(asObj(item.default) ?? {}) };
      fillMissing(def, item.max);
      const req: Record<string, unknown> = { ...(asObj(item.defaultRequest) ?? {}) };
      fillMissing(req, def);
      fillMissing(req, item.min);
      if (Object.keys(def).length) item.default = def;
      if (Object.keys(req).length) item.defaultRequest = req;
    }
  },
  validate: validateLimitRange,
  validateUpdate: validateLimitRange,
  generationFields: [],
};
