/**
 * RFC 6902 JSON Patch (`application/json-patch+json`) as the API server applies it.
 *
 * Error mapping follows kube-apiserver: a body that is not a list of operation objects is a
 * 400 BadRequest; more than 10000 operations is 413; any failure while applying (a failed
 * `test`, a missing path, an unknown op) is a 422 whose message is the generic
 * "the server rejected our request due to an error in our request".
 */
import { StatusError, badRequest, tooLarge } from '../errors.js';
import { deepCopy, isPlainObject } from '../object.js';

export const MAX_JSON_PATCH_OPERATIONS = 10000;

export const UNPROCESSABLE_MESSAGE = 'the server rejected our request due to an error in our request';

/** The 422 upstream returns for patches that cannot be applied; `why` is kept only as the cause. */
export function unprocessable(why: string): StatusError {
  return new StatusError(422, 'Invalid', UNPROCESSABLE_MESSAGE, {}, { cause: new Error(why) });
}

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
  hasValue: boolean;
}

function decode(patch: unknown): Operation[] {
  if (!Array.isArray(patch)) {
    const got = patch === null ? 'null' : typeof patch === 'object' ? 'object' : typeof patch;
    throw badRequest(`json: cannot unmarshal ${got} into Go value of type jsonpatch.Patch`);
  }
  return patch.map((raw) => {
    if (!isPlainObject(raw)) {
      const got = Array.isArray(raw) ? 'array' : raw === null ? 'null' : typeof raw;
      throw badRequest(`json: cannot unmarshal ${got} into Go value of type jsonpatch.Operation`);
    }
    return {
      op: typeof raw.op === 'string' ? raw.op : '',
      path: typeof raw.path === 'string' ? raw.path : '',
      from: typeof raw.from === 'string' ? raw.from : undefined,
      value: raw.value,
      hasValue: Object.prototype.hasOwnProperty.call(raw, 'value'),
    };
  });
}

/** Splits an RFC 6901 pointer into unescaped tokens; `""` is the whole document. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw unprocessable(`invalid JSON pointer ${JSON.stringify(pointer)}`);
  return pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(token: string, length: number, forInsert: boolean): number {
  if (forInsert && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw unprocessable(`invalid array index ${JSON.stringify(token)}`);
  const i = Number(token);
  if (i > length || (!forInsert && i === length)) throw unprocessable(`array index ${i} out of bounds`);
  return i;
}

/** Resolves the container holding the last token of `tokens`. */
function parentOf(doc: unknown, tokens: string[], path: string): unknown {
  let cur = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(t, cur.length, false)];
    else if (isPlainObject(cur) && Object.prototype.hasOwnProperty.call(cur, t)) cur = cur[t];
    else throw unprocessable(`missing value at ${path}`);
  }
  return cur;
}

function getAt(doc: unknown, path: string): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return doc;
  const parent = parentOf(doc, tokens, path);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) return parent[arrayIndex(last, parent.length, false)];
  if (isPlainObject(parent) && Object.prototype.hasOwnProperty.call(parent, last)) return parent[last];
  throw unprocessable(`missing value at ${path}`);
}

function addAt(doc: unknown, path: string, value: unknown): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, path);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, true), 0, value);
  else if (isPlainObject(parent)) parent[last] = value;
  else throw unprocessable(`cannot add at ${path}: parent is not a container`);
  return doc;
}

function removeAt(doc: unknown, path: string): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) throw unprocessable('cannot remove the whole document');
  const parent = parentOf(doc, tokens, path);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, false), 1);
  else if (isPlainObject(parent) && Object.prototype.hasOwnProperty.call(parent, last)) delete parent[last];
  else throw unprocessable(`Unable to remove nonexistent key: ${last}: missing value`);
  return doc;
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

function requireValue(op: Operation): unknown {
  if (!op.hasValue) throw unprocessable(`missing value for ${op.op} operation`);
  return deepCopy(op.value);
}

/** Applies an RFC 6902 patch; neither argument is modified. */
export function applyJsonPatch(doc: unknown, patch: unknown): unknown {
  const ops = decode(patch);
  if (ops.length > MAX_JSON_PATCH_OPERATIONS) {
    throw tooLarge(`Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`);
  }
  let out = deepCopy(doc);
  for (const op of ops) {
    switch (op.op) {
      case 'add':
        out = addAt(out, op.path, requireValue(op));
        break;
      case 'remove':
        out = removeAt(out, op.path);
        break;
      case 'replace': {
        const value = requireValue(op);
        getAt(out, op.path);
        const tokens = parsePointer(op.path);
        if (tokens.length === 0) { out = value; break; }
        const parent = parentOf(out, tokens, op.path);
        const last = tokens[tokens.length - 1];
        if (Array.isArray(parent)) parent[arrayIndex(last, parent.length, false)] = value;
        else if (isPlainObject(parent)) parent[last] = value;
        break;
      }
      case 'move': {
        if (op.from === undefined) throw unprocessable('missing from for move operation');
        if (op.path !== op.from && op.path.startsWith(op.from + '/')) {
          throw unprocessable('move operation cannot move a value into one of its children');
        }
        const value = getAt(out, op.from);
        out = removeAt(out, op.from);
        out = addAt(out, op.path, value);
        break;
      }
      case 'copy': {
        if (op.from === undefined) throw unprocessable('missing from for copy operation');
        out = addAt(out, op.path, deepCopy(getAt(out, op.from)));
        break;
      }
      case 'test': {
        const expected = op.hasValue ? op.value : null;
        let actual: unknown;
        try {
          actual = getAt(out, op.path);
        } catch {
          actual = undefined;
        }
        if (actual === undefined ? expected !== null : !jsonEqual(actual, expected)) {
          throw unprocessable(`testing value ${op.path} failed: test failed`);
        }
        break;
      }
      default:
        throw unprocessable(`Unexpected kind: ${op.op}`);
    }
  }
  return out;
}
