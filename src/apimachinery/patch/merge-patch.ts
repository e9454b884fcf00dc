/**
 * RFC 7386 JSON Merge Patch (`application/merge-patch+json`): objects merge recursively, `null`
 * deletes a key, every other value (arrays included) replaces. A patch that is not a JSON object
 * is rejected with 400 "Invalid JSON Patch", as kube-apiserver does for resources.
 */
import { badRequest } from '../errors.js';
import { deepCopy, isPlainObject } from '../object.js';

function merge(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return deepCopy(patch);
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = merge(out[k], v);
  }
  return out;
}

/** Applies a merge patch; neither argument is modified. */
export function applyMergePatch(doc: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) throw badRequest('Invalid JSON Patch');
  return merge(deepCopy(doc), patch);
}
