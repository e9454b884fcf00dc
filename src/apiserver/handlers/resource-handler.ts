/**
 * HTTP handling of resource requests: decodes bodies and query parameters, calls the
 * ResourceRegistry, and encodes objects, lists, tables and watch streams.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StatusError, badRequest, invalid, methodNotSupported, notFound } from '../../apimachinery/errors.js';
import type { KubeObject } from '../../apimachinery/object.js';
import { isPlainObject } from '../../apimachinery/object.js';
import type { ResourceInfo } from '../../apimachinery/resource-info.js';
import { groupVersion } from '../../apimachinery/resource-info.js';
import { definitionForKind, definitionNameForKind } from '../../apimachinery/schema.js';
import { goUnmarshalError } from '../../apimachinery/go-decode.js';
import { findDuplicateFields, findUnknownFields, strictDecodingMessage } from '../../apimachinery/field-validation.js';
import { decodeBody, mediaType, readBody, successStatus, writeJson } from '../codec.js';
import type { ResourceRequestInfo } from '../request-info.js';
import type { ResourceRegistry, WriteOptions } from '../rest/resource-registry.js';
import { nowRfc3339 } from '../rest/resource-registry.js';
import { buildFilter } from '../rest/filter.js';
import { boolParam, intParam, responseShape } from './negotiation.js';
import { toTable, toPartialMetadata, toPartialMetadataList } from './tables.js';
import { serveWatch } from './watch.js';
import { applyPatch } from './patch.js';
import { pruneFields } from './prune.js';
import { handleEviction } from './eviction.js';
import type { UserInfo } from '../auth/authenticator.js';
import type { TokenIssuer } from '../auth/service-account-token.js';
import { handleTokenRequest } from './token-request.js';
import { handlePodLog } from './pod-log.js';
import { handlePodStreamWithoutUpgrade } from './pod-stream.js';
import { handleProxy } from '../proxy/handler.js';

export interface HandlerContext {
  req: IncomingMessage;
  res: ServerResponse;
  info: ResourceRequestInfo;
  query: URLSearchParams;
  resource: ResourceInfo;
  registry: ResourceRegistry;
  user: UserInfo;
  /** Resolves another resource's registry (scale targets, bindings). */
  registryFor(group: string, resource: string): ResourceRegistry | undefined;
  /** Issues service account tokens (TokenRequest). */
  tokens?: TokenIssuer;
}

type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

function fieldValidationMode(q: URLSearchParams): FieldValidation {
  const v = q.get('fieldValidation') ?? '';
  if (v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw badRequest(`fieldValidation: Unsupported value: "${v}": supported values: "Ignore", "Strict", "Warn"`);
}

function dryRun(q: URLSearchParams): boolean {
  const all = q.getAll('dryRun');
  for (const v of all) {
    if (v !== 'All') throw badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  }
  return all.length > 0;
}

function defaultManager(req: IncomingMessage): string {
  const ua = String(req.headers['user-agent'] ?? 'unknown');
  // Upstream takes the user agent up to the first '/'.
  return ua.split('/')[0] || 'unknown';
}

function writeOptions(ctx: HandlerContext, subresource: string): WriteOptions {
  const fm = ctx.query.get('fieldManager');
  if (fm !== null && fm.length > 128) throw badRequest('fieldManager: Too long: may not be more than 128 bytes');
  return { dryRun: dryRun(ctx.query), fieldManager: fm || defaultManager(ctx.req), subresource };
}

/** Checks the decoded body is an object of this resource's kind and group/version. */
function checkKind(body: unknown, r: ResourceInfo, expectKind = r.kind, expectGv = groupVersion(r)): KubeObject {
  if (!isPlainObject(body)) throw badRequest('the body of the request was in an unknown format - accepted media types include: application/json, application/yaml');
  const kind = body.kind;
  const apiVersion = body.apiVersion;
  if (kind !== undefined && typeof kind !== 'string') throw badRequest('Object \'Kind\' is not a string');
  if (apiVersion !== undefined && typeof apiVersion !== 'string') throw badRequest('Object \'apiVersion\' is not a string');
  if (kind === undefined || kind === '') throw badRequest("Object 'Kind' is missing in '" + JSON.stringify(body).slice(0, 200) + "'");
  if (apiVersion !== undefined && apiVersion !== '' && apiVersion !== expectGv) {
    throw badRequest(`the API version in the data (${apiVersion}) does not match the expected API version (${expectGv})`);
  }
  if (kind !== expectKind) {
    throw badRequest(`${kind} in version "${apiVersion ?? ''}" cannot be handled as a ${expectKind}: no kind "${kind}" is registered for version "${expectGv}"`);
  }
  if (body.metadata !== undefined && !isPlainObject(body.metadata)) {
    throw badRequest(`${expectKind} in version "${expectGv}" cannot be handled as a ${expectKind}: json: cannot unmarshal ${Array.isArray(body.metadata) ? 'array' : typeof body.metadata} into Go struct field ${expectKind}.metadata of type v1.ObjectMeta`);
  }
  const obj = body as KubeObject;
  if (!obj.metadata) obj.metadata = {};
  return obj;
}

/** Strict/Warn/Ignore handling of unknown and duplicate fields; returns warnings to send. */
function checkFields(raw: Buffer, contentType: string | undefined, obj: KubeObject, r: ResourceInfo, mode: FieldValidation, kind = r.kind, group = r.group, version = r.version): string[] {
  if (mode === 'Ignore') {
    pruneFields(obj, definitionForKind(group, version, kind));
    return [];
  }
  const schema = definitionForKind(group, version, kind);
  const unknown = findUnknownFields(obj, schema);
  const dups = mediaType(contentType).includes('yaml') ? [] : findDuplicateFields(raw.toString('utf8'));
  if (unknown.length === 0 && dups.length === 0) return [];
  if (mode === 'Strict') throw badRequest(strictDecodingMessage(unknown, dups));
  pruneFields(obj, schema);
  return [...unknown.map((f) => `unknown field "${f}"`), ...dups.map((f) => `duplicate field "${f}"`)];
}

function warningHeaders(warnings: string[]): Record<string, string> | undefined {
  if (warnings.length === 0) return undefined;
  return { Warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ') };
}

function writeObject(ctx: HandlerContext, code: number, obj: KubeObject, warnings: string[] = []): void {
  const shape = responseShape(ctx.req.headers.accept);
  let body: unknown = obj;
  if (shape === 'table') body = toTable(ctx.resource, [obj], { query: ctx.query });
  else if (shape === 'metadata') body = toPartialMetadata(obj);
  writeJson(ctx.res, code, body, warningHeaders(warnings));
}

export async function handleResource(ctx: HandlerContext): Promise<void> {
  const { info, resource } = ctx;
  if (info.subresource) return handleSubresource(ctx);
  const allowed = new Set(resource.verbs);
  const verb = info.verb;
  if (!allowed.has(verb)) throw methodNotSupported({ group: resource.group, resource: resource.resource }, verb);
  switch (verb) {
    case 'get': return handleGet(ctx);
    case 'list': return handleList(ctx);
    case 'watch': return serveWatch(ctx);
    case 'create': return handleCreate(ctx);
    case 'update': return handleUpdate(ctx, '');
    case 'patch': return handlePatch(ctx, '');
    case 'delete': return handleDelete(ctx);
    case 'deletecollection': return handleDeleteCollection(ctx);
    default: throw methodNotSupported({ group: resource.group, resource: resource.resource }, verb);
  }
}

async function handleGet(ctx: HandlerContext): Promise<void> {
  const obj = await ctx.registry.get(ctx.info.namespace, ctx.info.name);
  writeObject(ctx, 200, obj);
}

async function handleList(ctx: HandlerContext): Promise<void> {
  const q = ctx.query;
  const filter = buildFilter({
    labelSelector: q.get('labelSelector') ?? '', fieldSelector: q.get('fieldSelector') ?? '',
    strategy: ctx.registry.strategy, namespaced: ctx.resource.namespaced, resource: ctx.resource.resource,
  });
  const limit = intParam(q, 'limit') ?? 0;
  const out = await ctx.registry.list(ctx.info.namespace, {
    resourceVersion: q.get('resourceVersion') ?? '', resourceVersionMatch: q.get('resourceVersionMatch') ?? '',
    limit: limit < 0 ? 0 : limit, continueToken: q.get('continue') ?? '', filter,
  });
  const listMeta: Record<string, unknown> = { resourceVersion: out.resourceVersion };
  if (out.continueToken) listMeta.continue = out.continueToken;
  if (out.remainingItemCount !== undefined) listMeta.remainingItemCount = out.remainingItemCount;
  const shape = responseShape(ctx.req.headers.accept);
  if (shape === 'table') {
    writeJson(ctx.res, 200, toTable(ctx.resource, out.items, { query: q, listMeta }));
    return;
  }
  if (shape === 'metadata') {
    writeJson(ctx.res, 200, toPartialMetadataList(out.items, listMeta));
    return;
  }
  writeJson(ctx.res, 200, {
    kind: ctx.resource.listKind, apiVersion: groupVersion(ctx.resource), metadata: listMeta, items: out.items,
  });
}

async function decodeObject(ctx: HandlerContext, opts?: { kind?: string; group?: string; version?: string }): Promise<{ obj: KubeObject; warnings: string[] }> {
  const raw = await readBody(ctx.req);
  const ct = ctx.req.headers['content-type'];
  const body = decodeBody(raw, ct);
  const kind = opts?.kind ?? ctx.resource.kind;
  const group = opts?.group ?? ctx.resource.group;
  const version = opts?.version ?? ctx.resource.version;
  const obj = checkKind(body, ctx.resource, kind, group ? `${group}/${version}` : version);
  // Upstream decodes into the Go type first; a JSON type mismatch fails the request there.
  const typeError = goUnmarshalError(obj, definitionNameForKind(group, version, kind));
  if (typeError) throw badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: ${typeError}`);
  let warnings: string[];
  try {
    warnings = checkFields(raw, ct, obj, ctx.resource, fieldValidationMode(ctx.query), kind, group, version);
  } catch (e) {
    // Upstream's create/update handlers wrap decoding errors (transformDecodeError).
    if (e instanceof StatusError && e.code === 400 && e.message.startsWith('strict decoding error')) {
      throw badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: ${e.message}`);
    }
    throw e;
  }
  return { obj, warnings };
}

function checkNamespaceMatch(ctx: HandlerContext, obj: KubeObject): void {
  const ns = obj.metadata.namespace;
  if (ctx.resource.namespaced && ns && ns !== ctx.info.namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
}

async function handleCreate(ctx: HandlerContext): Promise<void> {
  const { obj, warnings } = await decodeObject(ctx);
  if (ctx.resource.namespaced && !ctx.info.namespace) {
    throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
  }
  checkNamespaceMatch(ctx, obj);
  if (ctx.info.name) throw methodNotSupported({ group: ctx.resource.group, resource: ctx.resource.resource }, 'create');
  const created = await ctx.registry.create(ctx.info.namespace, obj, { ...writeOptions(ctx, ''), inputOwned: true });
  writeObject(ctx, 201, created, warnings);
}

async function handleUpdate(ctx: HandlerContext, subresource: string): Promise<void> {
  const { obj, warnings } = await decodeObject(ctx);
  checkNamespaceMatch(ctx, obj);
  if (obj.metadata.name && obj.metadata.name !== ctx.info.name) {
    throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${ctx.info.name})`);
  }
  const opts = writeOptions(ctx, subresource);
  const current = await ctx.registry.get(ctx.info.namespace, ctx.info.name);
  const updated = await ctx.registry.writeUpdate(ctx.info.namespace, current, obj, opts);
  writeObject(ctx, 200, updated, warnings);
}

async function handlePatch(ctx: HandlerContext, subresource: string): Promise<void> {
  const raw = await readBody(ctx.req);
  const ct = mediaType(ctx.req.headers['content-type']);
  const opts = writeOptions(ctx, subresource);
  const mode = fieldValidationMode(ctx.query);
  const force = boolParam(ctx.query, 'force');
  const isApply = ct === 'application/apply-patch+yaml' || ct === 'application/apply-patch+cbor';
  if (isApply && !ctx.query.get('fieldManager')) {
    throw new StatusError(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch', { causes: [{ type: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }] });
  }
  if (force && !isApply) throw new StatusError(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
  const warnings: string[] = [];
  const { object, created } = await ctx.registry.guaranteedUpdate(ctx.info.namespace, ctx.info.name, (current) => {
    const result = applyPatch({
      contentType: ct, raw, current, resource: ctx.resource, manager: opts.fieldManager, force, subresource,
      namespace: ctx.info.namespace, name: ctx.info.name,
    });
    if (!isApply && subresource === '') {
      // Upstream decodes the patched JSON into the Go type; a type mismatch is a 422 on "patch"
      // showing the patched object (as Go re-marshals it: sorted keys).
      const typeError = goUnmarshalError(result.next, definitionNameForKind(ctx.resource.group, ctx.resource.version, ctx.resource.kind));
      if (typeError) throw invalid('', '', '', [{ type: 'FieldValueInvalid', field: 'patch', value: JSON.stringify(sortKeys(result.next)), detail: typeError }]);
    }
    const w = checkFields(Buffer.from(JSON.stringify(result.next)), 'application/json', result.next, ctx.resource, mode);
    warnings.splice(0, warnings.length, ...w);
    return result;
  }, { ...opts, createIfMissing: isApply && subresource === '', retryOnConflict: true });
  writeObject(ctx, created ? 201 : 200, object, warnings);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]);
  return out;
}

interface DeleteBody {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: string[];
}

async function deleteOptions(ctx: HandlerContext): Promise<DeleteBody & { dry: boolean }> {
  const raw = await readBody(ctx.req);
  let body: DeleteBody = {};
  if (raw.length > 0 && raw.toString('utf8').trim() !== '') {
    const decoded = decodeBody(raw, ctx.req.headers['content-type']);
    if (!isPlainObject(decoded)) throw badRequest('DeleteOptions must be an object');
    body = decoded as DeleteBody;
  }
  const q = ctx.query;
  const grace = intParam(q, 'gracePeriodSeconds') ?? body.gracePeriodSeconds;
  let policy = (q.get('propagationPolicy') as DeleteBody['propagationPolicy'] | null) ?? body.propagationPolicy;
  const orphan = q.get('orphanDependents') ?? (body.orphanDependents === undefined ? null : String(body.orphanDependents));
  if (!policy && orphan !== null) policy = orphan === 'true' ? 'Orphan' : 'Background';
  if (policy && !['Orphan', 'Background', 'Foreground'].includes(policy)) {
    throw new StatusError(422, 'Invalid', `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan", "nil"`);
  }
  const dry = dryRun(q) || (body.dryRun ?? []).includes('All');
  return { gracePeriodSeconds: grace, propagationPolicy: policy, preconditions: body.preconditions, dry };
}

async function handleDelete(ctx: HandlerContext): Promise<void> {
  const o = await deleteOptions(ctx);
  const { object, deleted } = await ctx.registry.delete(ctx.info.namespace, ctx.info.name, {
    dryRun: o.dry, gracePeriodSeconds: o.gracePeriodSeconds, preconditions: o.preconditions, propagationPolicy: o.propagationPolicy,
  });
  const returnObject = ctx.resource.group === '' && (ctx.resource.resource === 'pods' || ctx.resource.resource === 'namespaces');
  if (!deleted) {
    writeObject(ctx, 200, object);
    return;
  }
  if (returnObject) {
    writeObject(ctx, 200, object);
    return;
  }
  writeJson(ctx.res, 200, successStatus({ name: ctx.info.name, group: ctx.resource.group || undefined, kind: ctx.resource.resource, uid: object.metadata.uid }));
}

async function handleDeleteCollection(ctx: HandlerContext): Promise<void> {
  const o = await deleteOptions(ctx);
  const q = ctx.query;
  const filter = buildFilter({
    labelSelector: q.get('labelSelector') ?? '', fieldSelector: q.get('fieldSelector') ?? '',
    strategy: ctx.registry.strategy, namespaced: ctx.resource.namespaced, resource: ctx.resource.resource,
  });
  const list = await ctx.registry.list(ctx.info.namespace, { resourceVersion: '', resourceVersionMatch: '', limit: 0, continueToken: '', filter });
  const items: KubeObject[] = [];
  for (const item of list.items) {
    try {
      const r = await ctx.registry.delete(item.metadata.namespace ?? '', item.metadata.name ?? '', {
        dryRun: o.dry, gracePeriodSeconds: o.gracePeriodSeconds, propagationPolicy: o.propagationPolicy,
      });
      items.push(r.object);
    } catch (e) {
      if (!(e instanceof StatusError && e.code === 404)) throw e;
    }
  }
  writeJson(ctx.res, 200, { kind: ctx.resource.listKind, apiVersion: groupVersion(ctx.resource), metadata: { resourceVersion: list.resourceVersion }, items });
}

// ---- subresources ----

async function handleSubresource(ctx: HandlerContext): Promise<void> {
  const { info, resource } = ctx;
  const sub = resource.subresources.find((s) => s.name === info.subresource);
  if (!sub) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
  switch (sub.name) {
    case 'status': case 'ephemeralcontainers': {
      if (info.verb === 'get') return handleGet(ctx);
      if (info.verb === 'update') return handleUpdate(ctx, sub.name);
      if (info.verb === 'patch') return handlePatch(ctx, sub.name);
      break;
    }
    case 'scale': return handleScale(ctx);
    case 'binding': return handleBinding(ctx);
    case 'eviction': {
      if (info.verb === 'create') return handleEviction(ctx);
      break;
    }
    case 'token': return handleTokenRequest(ctx);
    case 'log': {
      if (resource.resource === 'pods' && resource.group === '') return handlePodLog(ctx);
      break;
    }
    case 'exec': case 'attach': case 'portforward': {
      if (resource.resource === 'pods' && resource.group === '') return handlePodStreamWithoutUpgrade(ctx);
      break;
    }
    case 'proxy': {
      if (resource.group === '') return handleProxy(ctx);
      break;
    }
    case 'finalize': {
      if (info.verb === 'update') return handleUpdate(ctx, 'finalize');
      break;
    }
    default: break;
  }
  throw methodNotSupported({ group: resource.group, resource: `${resource.resource}/${sub.name}` }, info.verb);
}

interface ScaleSpecHolder { spec?: { replicas?: number; selector?: unknown }; status?: { replicas?: number; selector?: string } }

function selectorString(sel: unknown): string {
  if (!isPlainObject(sel)) return '';
  const parts: string[] = [];
  const ml = sel.matchLabels;
  if (isPlainObject(ml)) for (const [k, v] of Object.entries(ml).sort()) parts.push(`${k}=${String(v)}`);
  const me = sel.matchExpressions;
  if (Array.isArray(me)) {
    for (const e of me) {
      if (!isPlainObject(e)) continue;
      const vals = Array.isArray(e.values) ? (e.values as string[]).slice().sort().join(',') : '';
      if (e.operator === 'In') parts.push(`${String(e.key)} in (${vals})`);
      else if (e.operator === 'NotIn') parts.push(`${String(e.key)} notin (${vals})`);
      else if (e.operator === 'Exists') parts.push(String(e.key));
      else if (e.operator === 'DoesNotExist') parts.push(`!${String(e.key)}`);
    }
  }
  return parts.join(',');
}

function scaleOf(obj: KubeObject): KubeObject {
  const o = obj as KubeObject & ScaleSpecHolder;
  const sel = o.spec?.selector;
  const selector = isPlainObject(sel) && ('matchLabels' in sel || 'matchExpressions' in sel) ? selectorString(sel)
    : isPlainObject(sel) ? Object.entries(sel).map(([k, v]) => `${k}=${String(v)}`).join(',') : '';
  return {
    kind: 'Scale', apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name, namespace: obj.metadata.namespace, uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion, creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: o.spec?.replicas ?? 0 },
    status: { replicas: o.status?.replicas ?? 0, selector },
  };
}

async function handleScale(ctx: HandlerContext): Promise<void> {
  const { info } = ctx;
  if (info.verb === 'get') {
    const obj = await ctx.registry.get(info.namespace, info.name);
    writeJson(ctx.res, 200, scaleOf(obj));
    return;
  }
  if (info.verb !== 'update' && info.verb !== 'patch') throw methodNotSupported({ group: ctx.resource.group, resource: `${ctx.resource.resource}/scale` }, info.verb);
  const opts = writeOptions(ctx, 'scale');
  let scaleBody: KubeObject | undefined;
  let patchRaw: Buffer | undefined;
  if (info.verb === 'update') {
    const raw = await readBody(ctx.req);
    const body = decodeBody(raw, ctx.req.headers['content-type']);
    scaleBody = checkKind(body, ctx.resource, 'Scale', 'autoscaling/v1');
  } else {
    patchRaw = await readBody(ctx.req);
  }
  const ct = mediaType(ctx.req.headers['content-type']);
  const { object } = await ctx.registry.guaranteedUpdate(info.namespace, info.name, (current) => {
    if (!current) throw notFound({ group: ctx.resource.group, resource: ctx.resource.resource }, info.name);
    let desired = scaleBody;
    if (patchRaw) {
      desired = applyPatch({
        contentType: ct, raw: patchRaw, current: scaleOf(current), resource: ctx.resource, manager: opts.fieldManager,
        force: boolParam(ctx.query, 'force'), subresource: 'scale', namespace: info.namespace, name: info.name, kindOverride: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
      }).next;
    }
    const d = desired as KubeObject & ScaleSpecHolder;
    if (d.metadata.resourceVersion && d.metadata.resourceVersion !== current.metadata.resourceVersion) {
      throw new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${ctx.resource.resource}${ctx.resource.group ? '.' + ctx.resource.group : ''} "${info.name}": the object has been modified; please apply your changes to the latest version and try again`);
    }
    const replicas = d.spec?.replicas ?? 0;
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw new StatusError(422, 'Invalid', `Scale.autoscaling "${info.name}" is invalid: spec.replicas: Invalid value: ${replicas}: must be greater than or equal to 0`, { name: info.name, group: 'autoscaling', kind: 'Scale', causes: [{ type: 'FieldValueInvalid', message: `Invalid value: ${replicas}: must be greater than or equal to 0`, field: 'spec.replicas' }] });
    }
    const next = current as KubeObject & ScaleSpecHolder;
    next.spec = { ...(next.spec ?? {}), replicas };
    return { next };
  }, { ...opts, retryOnConflict: !scaleBody?.metadata.resourceVersion });
  writeJson(ctx.res, 200, scaleOf(object));
}

async function handleBinding(ctx: HandlerContext): Promise<void> {
  const { info } = ctx;
  if (info.verb !== 'create') throw methodNotSupported({ group: '', resource: 'pods/binding' }, info.verb);
  const raw = await readBody(ctx.req);
  const body = checkKind(decodeBody(raw, ctx.req.headers['content-type']), ctx.resource, 'Binding', 'v1');
  await bindPod(ctx, info.name, body);
}

/** As upstream's binding: the PodScheduled condition becomes True (replacing an Unschedulable one). */
function markScheduled(pod: KubeObject): void {
  const status = (pod.status ?? {}) as { conditions?: { type: string; status: string; lastTransitionTime?: string }[] };
  const conditions = status.conditions ?? [];
  const i = conditions.findIndex((c) => c.type === 'PodScheduled');
  if (i >= 0 && conditions[i]!.status === 'True') return;
  const scheduled = { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: nowRfc3339() };
  status.conditions = i >= 0 ? conditions.map((c, j) => (j === i ? scheduled : c)) : [...conditions, scheduled];
  pod.status = status;
}

export async function bindPod(ctx: HandlerContext, podName: string, binding: KubeObject): Promise<void> {
  const target = (binding as { target?: { name?: string; kind?: string } }).target;
  if (!target?.name) {
    throw new StatusError(422, 'Invalid', `Binding "${podName}" is invalid: target.name: Required value`, { causes: [{ type: 'FieldValueRequired', field: 'target.name', message: 'Required value' }] });
  }
  const pods = ctx.registryFor('', 'pods');
  if (!pods) throw notFound({ group: '', resource: 'pods' }, podName);
  const opts = writeOptions(ctx, 'binding');
  await pods.guaranteedUpdate(ctx.info.namespace, podName, (current) => {
    if (!current) throw notFound({ group: '', resource: 'pods' }, podName);
    const pod = current as KubeObject & { spec?: { nodeName?: string } };
    if (pod.metadata.deletionTimestamp) {
      throw new StatusError(409, 'Conflict', `Operation cannot be fulfilled on pods/binding "${podName}": pod ${podName} is being deleted, cannot be assigned to a host`);
    }
    if (pod.spec?.nodeName) {
      throw new StatusError(409, 'Conflict', `Operation cannot be fulfilled on pods/binding "${podName}": pod ${podName} is already assigned to node "${pod.spec.nodeName}"`);
    }
    pod.spec = { ...(pod.spec ?? {}), nodeName: target.name };
    markScheduled(pod);
    const ann = binding.metadata.annotations;
    if (ann) pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), ...ann };
    return { next: pod };
  }, { ...opts, subresource: 'binding' });
  writeJson(ctx.res, 201, successStatus());
}
