/** Applies a PATCH body of any of the four patch types to the current object. */
import { StatusError, badRequest } from '../../apimachinery/errors.js';
import type { KubeObject, ManagedFieldsEntry } from '../../apimachinery/object.js';
import { isPlainObject } from '../../apimachinery/object.js';
import type { ResourceInfo } from '../../apimachinery/resource-info.js';
import { groupVersion } from '../../apimachinery/resource-info.js';
import { definitionForKind } from '../../apimachinery/schema.js';
import { applyJsonPatch } from '../../apimachinery/patch/json-patch.js';
import { applyMergePatch } from '../../apimachinery/patch/merge-patch.js';
import { applyStrategicMergePatch } from '../../apimachinery/patch/strategic-merge-patch.js';
import { serverSideApply } from '../../apimachinery/apply/index.js';
import { decodeBody } from '../codec.js';
import { nowRfc3339 } from '../rest/resource-registry.js';

export interface PatchInput {
  contentType: string;
  raw: Buffer;
  current: KubeObject | undefined;
  resource: ResourceInfo;
  manager: string;
  force: boolean;
  subresource: string;
  namespace: string;
  name: string;
  kindOverride?: { group: string; version: string; kind: string };
}

export function applyPatch(p: PatchInput): { next: KubeObject; managedFields?: ManagedFieldsEntry[] } {
  const k = p.kindOverride ?? { group: p.resource.group, version: p.resource.version, kind: p.resource.kind };
  const schema = definitionForKind(k.group, k.version, k.kind);
  const gv = k.group ? `${k.group}/${k.version}` : k.version;
  if (p.contentType === 'application/apply-patch+yaml') {
    const applied = decodeBody(p.raw, 'application/yaml');
    if (!isPlainObject(applied)) throw badRequest('error decoding YAML: object expected');
    const obj = applied as KubeObject;
    if (!isPlainObject(obj.metadata)) obj.metadata = {};
    if (obj.kind !== k.kind || (obj.apiVersion !== gv)) {
      if (!obj.kind || !obj.apiVersion) {
        throw badRequest(`invalid object type: ${obj.apiVersion ?? ''}, Kind=${obj.kind ?? ''}`);
      }
      throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${gv})`);
    }
    if (obj.metadata.name && obj.metadata.name !== p.name) {
      throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${p.name})`);
    }
    if (p.resource.namespaced && obj.metadata.namespace && obj.metadata.namespace !== p.namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const next = serverSideApply({
      live: p.current, applied: obj, manager: p.manager, force: p.force, schema, apiVersion: gv,
      now: nowRfc3339(), subresource: p.subresource || undefined,
    });
    return { next, managedFields: next.metadata.managedFields };
  }
  if (!p.current) throw new StatusError(404, 'NotFound', `${p.resource.resource} "${p.name}" not found`);
  const body = decodeBody(p.raw, 'application/json');
  let result: unknown;
  switch (p.contentType) {
    case 'application/json-patch+json':
      result = applyJsonPatch(p.current, body);
      break;
    case 'application/merge-patch+json':
      if (!isPlainObject(body)) throw badRequest('merge patch must be a JSON object');
      result = applyMergePatch(p.current, body);
      break;
    case 'application/strategic-merge-patch+json':
      if (!isPlainObject(body)) throw badRequest('strategic merge patch must be a JSON object');
      result = applyStrategicMergePatch(p.current, body, schema);
      break;
    default:
      throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`);
  }
  if (!isPlainObject(result)) throw badRequest('the patch produced something that is not an object');
  const next = result as KubeObject;
  if (!isPlainObject(next.metadata)) next.metadata = {};
  if (next.kind !== undefined && next.kind !== k.kind) throw badRequest(`the kind of the patched object (${String(next.kind)}) does not match ${k.kind}`);
  next.apiVersion = p.kindOverride ? gv : groupVersion(p.resource);
  next.kind = k.kind;
  return { next };
}
