/** Secrets (upstream ValidateSecret / ValidateSecretUpdate; stringData folding from conversion). */
import type { FieldError } from '../../../apimachinery/errors.js';
import type { KubeObject } from '../../../apimachinery/object.js';
import { invalidEach, invalidField, isConfigMapKey, key, required, tooLong, validateImmutableField } from '../../../apimachinery/validation/index.js';
import type { Strategy } from '../strategy.js';
import { asObj, ensureObj, str, strMap } from '../util.js';
import { MAX_SECRET_SIZE, validateImmutableData } from './configmaps.js';

/** Merges `stringData` into `data` (base64) and removes it; stringData wins on conflicts. */
export function foldStringData(obj: KubeObject): void {
  const sd = asObj(obj.stringData);
  if (sd) {
    const data = ensureObj(obj, 'data');
    for (const [k, v] of Object.entries(sd)) data[k] = Buffer.from(str(v), 'utf8').toString('base64');
  }
  delete obj.stringData;
}

function decoded(data: Record<string, unknown>, k: string): Buffer | undefined {
  return k in data ? Buffer.from(str(data[k]), 'base64') : undefined;
}

function jsonError(buf: Buffer): string | undefined {
  try {
    const v: unknown = JSON.parse(buf.toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? undefined : 'json: cannot unmarshal into map';
  } catch (e) {
    return (e as Error).message;
  }
}

function validateSecret(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const data = asObj(obj.data) ?? {};
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    errs.push(...invalidEach(key('data', k), k, isConfigMapKey(k)));
    if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v.replace(/\s/g, ''))) {
      errs.push(invalidField(key('data', k), '<secret contents redacted>', 'illegal base64 data'));
    }
    total += Buffer.from(str(v), 'base64').length;
  }
  if (total > MAX_SECRET_SIZE) errs.push(tooLong('data', MAX_SECRET_SIZE));
  const type = str(obj.type);
  switch (type) {
    case 'kubernetes.io/service-account-token':
      if (!strMap(obj.metadata.annotations)['kubernetes.io/service-account.name']) {
        errs.push(required(key('metadata.annotations', 'kubernetes.io/service-account.name')));
      }
      break;
    case 'kubernetes.io/dockercfg':
    case 'kubernetes.io/dockerconfigjson': {
      const k = type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
      const b = decoded(data, k);
      if (!b) errs.push(required(key('data', k)));
      else {
        const msg = jsonError(b);
        if (msg) errs.push(invalidField(key('data', k), '<secret contents redacted>', msg));
      }
      break;
    }
    case 'kubernetes.io/basic-auth':
      if (!('username' in data) && !('password' in data)) {
        errs.push(required(key('data', 'username')), required(key('data', 'password')));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (!decoded(data, 'ssh-privatekey')?.length) errs.push(required(key('data', 'ssh-privatekey')));
      break;
    case 'kubernetes.io/tls':
      if (!('tls.crt' in data)) errs.push(required(key('data', 'tls.crt')));
      if (!('tls.key' in data)) errs.push(required(key('data', 'tls.key')));
      break;
    default:
  }
  return errs;
}

export const secretStrategy: Strategy = {
  defaults(obj) {
    foldStringData(obj);
    if (!obj.type) obj.type = 'Opaque';
  },
  prepareForCreate(obj) {
    foldStringData(obj);
  },
  prepareForUpdate(obj) {
    foldStringData(obj);
  },
  validate: validateSecret,
  validateUpdate(obj, old) {
    return [
      ...validateImmutableField(obj.type ?? '', old.type ?? '', 'type'),
      ...validateImmutableData(obj, old, ['data']),
      ...validateSecret(obj),
    ];
  },
  selectableFields(obj) {
    return { type: str(obj.type) };
  },
  generationFields: [],
};
