/**
 * The generic REST storage for one resource: create, get, list, watch, update, patch, delete and
 * deletecollection on top of the Store and the watch cache, with the resource's Strategy for
 * defaulting, validation and the spec/status split. HTTP concerns live in the handlers.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  StatusError, alreadyExists, conflict, invalid, notFound, tooOldResourceVersion, badRequest,
} from '../../apimachinery/errors.js';
import type { FieldError, GroupResource } from '../../apimachinery/errors.js';
import type { KubeObject, ManagedFieldsEntry } from '../../apimachinery/object.js';
import { deepCopy, isPlainObject } from '../../apimachinery/object.js';
import type { ResourceInfo } from '../../apimachinery/resource-info.js';
import { groupVersion } from '../../apimachinery/resource-info.js';
import type { KeyValue, Store } from '../../storage/store.js';
import { CompactedError, ConflictError, KeyExistsError, NotFoundError } from '../../storage/store.js';
import type { Strategy, StrategyContext } from '../registry/strategy.js';
import { namespacePrefix, objectKey } from './keys.js';
import { decodeContinue, encodeContinue } from './continue-token.js';
import type { ObjectFilter } from './filter.js';
import type { ResourceWatchCache } from './cache.js';
import type { AdmissionAttributes, AdmissionChain } from '../admission/index.js';

export interface WriteOptions {
  dryRun: boolean;
  fieldManager: string;
  /** `status`, `scale`, ... or '' for the main resource. */
  subresource: string;
}

export interface DeleteOptions {
  dryRun: boolean;
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
}

export interface ListParams {
  resourceVersion: string;
  resourceVersionMatch: string;
  limit: number;
  continueToken: string;
  filter: ObjectFilter;
}

export interface ListOutcome {
  items: KubeObject[];
  resourceVersion: string;
  continueToken?: string;
  remainingItemCount?: number;
}

/** Hooks the server wires in for work that needs other resources (namespaces, allocators, managed fields). */
export interface RegistryHooks {
  /** Throws if objects may not be created in this namespace (missing / terminating). */
  checkNamespace(namespace: string, info: ResourceInfo, name?: string): Promise<void>;
  /** Allocate resources (ClusterIPs, NodePorts) before a create or update is persisted. */
  allocate?(info: ResourceInfo, obj: KubeObject, old: KubeObject | undefined, dryRun: boolean): Promise<void>;
  /** Release what `allocate` took once an object is gone (or a dry run / failed write). */
  release?(info: ResourceInfo, obj: KubeObject, old: KubeObject | undefined): void;
  /** Field-ownership tracking for non-apply writes. */
  updateManagedFields(args: {
    info: ResourceInfo; live: KubeObject | undefined; updated: KubeObject; manager: string; subresource: string; now: string;
  }): ManagedFieldsEntry[] | undefined;
  /** Whether a garbage collector runs (then Orphan/Foreground add finalizers as upstream). */
  garbageCollectorEnabled(): boolean;
  /** Admission plugins (mutating before validation, validating after). */
  admission?: AdmissionChain;
  /** Generic ObjectMeta validation. */
  validateMeta(obj: KubeObject, info: ResourceInfo, strategy: Strategy): FieldError[];
  validateMetaUpdate(obj: KubeObject, old: KubeObject): FieldError[];
}

/** A resource stored in another resource's storage (events.k8s.io Events live with core Events). */
export interface StoredConversion {
  storage: Pick<ResourceInfo, 'group' | 'resource' | 'namespaced'>;
  toStorage(obj: KubeObject): KubeObject;
  fromStorage(obj: KubeObject): KubeObject;
}

const immutableMeta = ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generateName'] as const;

function formatRfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The current second, formatted once per second. */
let currentSecond = { second: Number.NaN, text: '' };

export function nowRfc3339(d?: Date): string {
  if (d) return formatRfc3339(d);
  const second = Math.floor(Date.now() / 1000);
  if (second !== currentSecond.second) currentSecond = { second, text: formatRfc3339(new Date(second * 1000)) };
  return currentSecond.text;
}

function randomSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const bytes = randomBytes(5);
  let s = '';
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return s;
}

export class ResourceRegistry {
  readonly gr: GroupResource;

  constructor(
    readonly info: ResourceInfo,
    private readonly store: Store,
    private readonly cache: ResourceWatchCache,
    readonly strategy: Strategy,
    private readonly hooks: RegistryHooks,
    private readonly conversion?: StoredConversion,
  ) {
    this.gr = { group: info.group, resource: info.resource };
    this.keyInfo = conversion?.storage ?? info;
  }

  private readonly keyInfo: Pick<ResourceInfo, 'group' | 'resource' | 'namespaced'>;

  /** Turns a stored value into the object served at this resource's version. */
  decode(kv: KeyValue): KubeObject {
    let obj = JSON.parse(kv.value) as KubeObject;
    if (this.conversion) obj = this.conversion.fromStorage(obj);
    obj.apiVersion = groupVersion(this.info);
    obj.kind = this.info.kind;
    obj.metadata.resourceVersion = String(kv.modRevision);
    return obj;
  }

  /** What `decode` makes of `obj` stored at `modRevision` (no conversion). */
  private asServed(obj: KubeObject, modRevision: number): KubeObject {
    obj.apiVersion = groupVersion(this.info);
    obj.kind = this.info.kind;
    obj.metadata.resourceVersion = String(modRevision);
    return obj;
  }

  private encode(obj: KubeObject): string {
    const converted = this.conversion ? this.conversion.toStorage(obj) : obj;
    const copy = { ...converted, metadata: { ...converted.metadata } };
    delete copy.metadata.resourceVersion;
    return JSON.stringify(copy);
  }

  private ctx(namespace: string): StrategyContext {
    return { namespace, now: new Date() };
  }

  private hasSpec(obj: KubeObject): boolean {
    return this.info.resource !== 'pods' && (this.strategy.generationFields ?? ['spec']).some((f) => obj[f] !== undefined);
  }

  async getKv(namespace: string, name: string): Promise<KeyValue | undefined> {
    return this.store.get(objectKey(this.keyInfo, namespace, name));
  }

  /** A possibly slightly stale read from the watch cache, falling back to the store when absent. */
  async getCachedKv(namespace: string, name: string): Promise<KeyValue | undefined> {
    const key = objectKey(this.keyInfo, namespace, name);
    return (await this.cache.get(key)) ?? this.store.get(key);
  }

  async get(namespace: string, name: string): Promise<KubeObject> {
    const kv = await this.getKv(namespace, name);
    if (!kv) throw notFound(this.gr, name);
    return this.decode(kv);
  }

  async list(namespace: string, p: ListParams): Promise<ListOutcome> {
    const prefix = namespacePrefix(this.keyInfo, namespace);
    const match = p.resourceVersionMatch;
    const rv = p.resourceVersion;
    if (match && match !== 'Exact' && match !== 'NotOlderThan') {
      throw badRequest(`resourceVersionMatch: Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`);
    }
    if (match && rv === '') {
      throw new StatusError(422, 'Invalid', `resourceVersionMatch is forbidden unless resourceVersion is provided`);
    }
    if (p.continueToken && rv !== '') {
      throw new StatusError(422, 'Invalid', 'specifying resource version is not allowed when using continue');
    }
    if (rv !== '' && !/^\d+$/.test(rv)) throw badRequest(`resourceVersion: Invalid value: "${rv}": must be a non-negative integer`);
    const rvNum = rv === '' ? 0 : Number(rv);

    // Served from the watch cache: "any" (rv=0) and "not older than" lists without pagination.
    // (A consistent read, resourceVersion "", goes to the store: it is as fast as the cache here.)
    const fromCache = !p.continueToken && match !== 'Exact' && (rv === '0' || (rv !== '' && p.limit === 0));
    if (fromCache) {
      const snap = await this.cache.listAtLeast(rvNum);
      const items: KubeObject[] = [];
      for (const kv of snap.items) {
        if (!kv.key.startsWith(prefix)) continue;
        const obj = this.decode(kv);
        if (p.filter(obj)) items.push(obj);
      }
      return { items, resourceVersion: String(snap.revision) };
    }

    // Paginated or exact: read the store at one revision.
    let revision: number;
    let startKey = prefix;
    if (p.continueToken) {
      const t = decodeContinue(p.continueToken);
      if (!t.startKey.startsWith(prefix)) throw badRequest('continue key is not valid: key does not match the requested prefix');
      revision = t.revision;
      startKey = t.startKey;
    } else if (match === 'Exact') {
      revision = rvNum;
    } else {
      revision = await this.store.currentRevision();
      if (rvNum > revision) {
        throw new StatusError(504, 'Timeout', `Too large resource version: ${rvNum}, current: ${revision}`, { causes: [{ type: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
      }
    }
    const items: KubeObject[] = [];
    const limit = p.limit > 0 ? p.limit : 0;
    let nextKey: string | undefined;
    let remaining: number | undefined;
    try {
      for (;;) {
        const page = await this.store.list(prefix, { startKey, limit: limit ? Math.max(limit - items.length, 1) + 1 : 0, revision });
        let i = 0;
        for (; i < page.items.length; i++) {
          const kv = page.items[i];
          if (limit && items.length === limit) break;
          const obj = this.decode(kv);
          if (p.filter(obj)) items.push(obj);
        }
        if (limit && items.length === limit && (i < page.items.length || page.more)) {
          nextKey = i < page.items.length ? page.items[i].key : page.items[page.items.length - 1].key + '\x00';
          if (p.filter === matchEverything) {
            const left = await this.store.list(prefix, { startKey: nextKey, revision });
            remaining = left.items.length;
          }
          break;
        }
        if (!page.more || page.items.length === 0) break;
        startKey = page.items[page.items.length - 1].key + '\x00';
      }
    } catch (e) {
      if (e instanceof CompactedError) {
        if (p.continueToken) {
          throw new StatusError(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
        }
        throw tooOldResourceVersion(rvNum);
      }
      throw e;
    }
    const out: ListOutcome = { items, resourceVersion: String(revision) };
    if (nextKey !== undefined) {
      out.continueToken = encodeContinue({ revision, startKey: nextKey });
      if (remaining !== undefined) out.remainingItemCount = remaining;
    }
    return out;
  }

  private prepareNew(namespace: string, obj: KubeObject): void {
    if (!isPlainObject(obj.metadata)) obj.metadata = {};
    const m = obj.metadata;
    if (this.info.namespaced) m.namespace = namespace;
    else delete m.namespace;
    if (!m.name && m.generateName) m.name = `${m.generateName}${randomSuffix()}`;
    delete m.resourceVersion;
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
    delete m.selfLink;
    m.uid = randomUUID();
    m.creationTimestamp = nowRfc3339();
    if (this.hasSpec(obj)) m.generation = 1;
    else delete m.generation;
  }

  /** Create; returns the stored object (or what would be stored for a dry run). */
  async create(namespace: string, input: KubeObject, opts: WriteOptions & { managedFields?: ManagedFieldsEntry[]; inputOwned?: boolean }): Promise<KubeObject> {
    const obj = opts.inputOwned ? input : deepCopy(input);
    this.prepareNew(namespace, obj);
    const ctx = this.ctx(namespace);
    this.strategy.defaults?.(obj);
    this.strategy.prepareForCreate?.(obj, ctx);
    if (this.info.namespaced) await this.hooks.checkNamespace(namespace, this.info, obj.metadata.name ?? '');
    const attrs: AdmissionAttributes = {
      operation: 'CREATE', resource: this.info, subresource: opts.subresource, namespace, name: obj.metadata.name ?? '',
      object: obj, dryRun: opts.dryRun,
    };
    await this.hooks.admission?.mutate(attrs);
    const errs = [...this.hooks.validateMeta(obj, this.info, this.strategy), ...(this.strategy.validate?.(obj, ctx) ?? [])];
    if (errs.length > 0) throw invalid(this.info.kind, this.info.group, obj.metadata.name ?? '', errs);
    await this.hooks.admission?.validate(attrs);
    // A server-side apply that creates brings its own (Apply) managed fields.
    const mf = opts.managedFields ?? this.hooks.updateManagedFields({ info: this.info, live: undefined, updated: obj, manager: opts.fieldManager, subresource: opts.subresource, now: nowRfc3339() });
    if (mf) obj.metadata.managedFields = mf;
    const name = obj.metadata.name ?? '';
    const key = objectKey(this.keyInfo, namespace, name);
    if (opts.dryRun) {
      if (await this.store.get(key)) throw alreadyExists(this.gr, name);
      await this.hooks.allocate?.(this.info, obj, undefined, true);
      return obj;
    }
    await this.hooks.allocate?.(this.info, obj, undefined, false);
    try {
      const kv = await this.store.create(key, this.encode(obj));
      // Without a storage conversion the stored value is `obj` itself: skip parsing it back.
      return this.conversion ? this.decode(kv) : this.asServed(obj, kv.modRevision);
    } catch (e) {
      this.hooks.release?.(this.info, obj, undefined);
      if (e instanceof KeyExistsError) throw alreadyExists(this.gr, name);
      throw e;
    }
  }

  /**
   * Writes `next` over `current` (which was read at `current.metadata.resourceVersion`) with the
   * update rules: immutable metadata kept, strategy preparation and validation, generation bump,
   * managed fields. Throws a 409 Conflict when the stored revision moved on.
   */
  async writeUpdate(namespace: string, current: KubeObject, nextInput: KubeObject, opts: WriteOptions & { managedFields?: ManagedFieldsEntry[] }): Promise<KubeObject> {
    let next = deepCopy(nextInput);
    const name = current.metadata.name ?? '';
    if (!isPlainObject(next.metadata)) next.metadata = {};
    if (opts.subresource === 'finalize') {
      // Only spec.finalizers changes through /finalize.
      const finalizers = isPlainObject(next.spec) ? next.spec.finalizers : undefined;
      const merged = deepCopy(current);
      const spec = isPlainObject(merged.spec) ? merged.spec : (merged.spec = {});
      if (finalizers === undefined) delete spec.finalizers;
      else spec.finalizers = finalizers;
      merged.metadata.resourceVersion = next.metadata.resourceVersion;
      next = merged;
    }
    const m = next.metadata;
    if (m.name !== undefined && m.name !== name) {
      throw badRequest(`the name of the object (${m.name}) does not match the name on the URL (${name})`);
    }
    if (m.uid && m.uid !== current.metadata.uid) {
      throw conflict(this.gr, name, `Precondition failed: UID in precondition: ${m.uid}, UID in object meta: ${current.metadata.uid}`);
    }
    if (m.resourceVersion && m.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(this.gr, name);
    }
    m.name = name;
    if (this.info.namespaced) m.namespace = namespace;
    else delete m.namespace;
    for (const f of immutableMeta) {
      const v = current.metadata[f];
      if (v === undefined) delete m[f];
      else (m as Record<string, unknown>)[f] = v;
    }
    delete m.selfLink;
    const ctx = this.ctx(namespace);
    const sub = opts.subresource;
    // Clients cannot set generation; a strategy may bump it (e.g. deployments on annotation changes).
    if (current.metadata.generation === undefined) delete m.generation;
    else m.generation = current.metadata.generation;
    this.strategy.defaults?.(next);
    const partial = sub ? this.strategy.subresourceUpdates?.[sub] : undefined;
    if (sub === 'status') this.strategy.prepareForStatusUpdate?.(next, current, ctx);
    else if (partial) partial.prepare(next, current, ctx);
    else if (sub === '') this.strategy.prepareForUpdate?.(next, current, ctx);
    // generation: bump when a generation field changed.
    const strategyBumped = (next.metadata.generation ?? 0) > (current.metadata.generation ?? 0);
    if (!strategyBumped && (current.metadata.generation !== undefined || this.hasSpec(next))) {
      const fields = this.strategy.generationFields ?? ['spec'];
      const changed = fields.some((f) => !isDeepStrictEqual(next[f], current[f]));
      const gen = current.metadata.generation ?? (this.hasSpec(next) ? 1 : undefined);
      if (gen !== undefined) next.metadata.generation = changed && sub !== 'status' ? gen + 1 : gen;
    }
    const attrs: AdmissionAttributes = {
      operation: 'UPDATE', resource: this.info, subresource: sub, namespace, name, object: next, oldObject: current, dryRun: opts.dryRun,
    };
    await this.hooks.admission?.mutate(attrs);
    const errs = [
      ...this.hooks.validateMetaUpdate(next, current),
      ...(sub === 'status'
        ? this.strategy.validateStatusUpdate?.(next, current, ctx) ?? []
        : partial ? partial.validate(next, current, ctx)
          : sub === 'binding' ? [] : this.strategy.validateUpdate?.(next, current, ctx) ?? []),
    ];
    if (errs.length > 0) throw invalid(this.info.kind, this.info.group, name, errs);
    await this.hooks.admission?.validate(attrs);
    // Finalizers may only be removed, not added, once deletion started.
    if (current.metadata.deletionTimestamp) {
      const before = new Set(current.metadata.finalizers ?? []);
      const added = (m.finalizers ?? []).filter((f) => !before.has(f));
      if (added.length > 0) {
        throw invalid(this.info.kind, this.info.group, name, [{ type: 'FieldValueForbidden', field: 'metadata.finalizers', detail: `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}` }]);
      }
    }
    if (opts.managedFields) m.managedFields = opts.managedFields;
    else {
      const mf = this.hooks.updateManagedFields({ info: this.info, live: current, updated: next, manager: opts.fieldManager, subresource: sub, now: nowRfc3339() });
      if (mf) m.managedFields = mf;
    }
    m.resourceVersion = current.metadata.resourceVersion;
    if (isDeepStrictEqual(stripVolatile(next), stripVolatile(current))) return current;
    delete m.resourceVersion;
    if (opts.dryRun) {
      m.resourceVersion = current.metadata.resourceVersion;
      return next;
    }
    await this.hooks.allocate?.(this.info, next, current, false);
    const key = objectKey(this.keyInfo, namespace, name);
    const expected = Number(current.metadata.resourceVersion);
    const finishDelete = !!m.deletionTimestamp && (m.finalizers ?? []).length === 0 && (m.deletionGracePeriodSeconds ?? 0) === 0
      && !(this.isNamespace() && namespaceSpecFinalizers(next).length > 0);
    try {
      if (finishDelete) {
        const kv = await this.store.delete(key, expected);
        this.hooks.release?.(this.info, current, undefined);
        const gone = this.decode({ ...kv, value: this.encode(next) });
        return gone;
      }
      const kv = await this.store.update(key, this.encode(next), expected);
      this.hooks.release?.(this.info, current, next);
      return this.decode(kv);
    } catch (e) {
      if (e instanceof ConflictError) throw conflict(this.gr, name);
      if (e instanceof NotFoundError) throw notFound(this.gr, name);
      throw e;
    }
  }

  /**
   * Read-modify-write with retries on conflict: `mutate` receives a fresh copy of the current object
   * (undefined when absent) and returns the desired object, or throws. When `createIfMissing` and the
   * object is absent, the result is created.
   */
  async guaranteedUpdate(
    namespace: string, name: string,
    mutate: (current: KubeObject | undefined) => Promise<{ next: KubeObject; managedFields?: ManagedFieldsEntry[] }> | { next: KubeObject; managedFields?: ManagedFieldsEntry[] },
    opts: WriteOptions & { createIfMissing?: boolean; retryOnConflict?: boolean },
  ): Promise<{ object: KubeObject; created: boolean }> {
    for (let attempt = 0; ; attempt++) {
      const kv = await this.getKv(namespace, name);
      const current = kv ? this.decode(kv) : undefined;
      if (!current && !opts.createIfMissing) throw notFound(this.gr, name);
      const { next, managedFields } = await mutate(current ? deepCopy(current) : undefined);
      try {
        if (!current) {
          next.metadata = { ...next.metadata, name };
          if (managedFields) next.metadata.managedFields = managedFields;
          const created = await this.create(namespace, next, { ...opts, managedFields });
          return { object: created, created: true };
        }
        const object = await this.writeUpdate(namespace, current, next, { ...opts, managedFields });
        return { object, created: false };
      } catch (e) {
        const retriable = e instanceof StatusError && e.code === 409 && (e.reason === 'Conflict' || e.reason === 'AlreadyExists')
          && opts.retryOnConflict !== false && attempt < 8 && !(e.message.includes('Precondition failed'));
        if (!retriable) throw e;
      }
    }
  }

  /** Deletes per upstream's rules; returns the object and whether it is gone now. */
  async delete(namespace: string, name: string, opts: DeleteOptions): Promise<{ object: KubeObject; deleted: boolean }> {
    for (let attempt = 0; ; attempt++) {
      const kv = await this.getKv(namespace, name);
      if (!kv) throw notFound(this.gr, name);
      const current = this.decode(kv);
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== current.metadata.uid) {
        throw conflict(this.gr, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
        throw conflict(this.gr, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`);
      }
      const next = deepCopy(current);
      const m = next.metadata;
      const finalizers = new Set(m.finalizers ?? []);
      if (this.hooks.garbageCollectorEnabled()) {
        const policy = opts.propagationPolicy;
        if (policy === 'Orphan') { finalizers.add('orphan'); finalizers.delete('foregroundDeletion'); }
        if (policy === 'Foreground') { finalizers.add('foregroundDeletion'); finalizers.delete('orphan'); }
      }
      const grace = this.gracePeriod(current, opts.gracePeriodSeconds);
      // Namespaces (upstream registry/core/namespace/storage): the first delete only marks the
      // namespace Terminating; it goes once spec.finalizers (and metadata finalizers) are empty.
      const nsTerminating = this.isNamespace() && !m.deletionTimestamp;
      if (this.isNamespace() && m.deletionTimestamp && namespaceSpecFinalizers(current).length > 0) {
        throw conflict(this.gr, name, 'The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.');
      }
      if (nsTerminating) next.status = { ...(isPlainObject(next.status) ? next.status : {}), phase: 'Terminating' };
      const pending = finalizers.size > 0 || grace > 0 || nsTerminating;
      try {
        if (!pending) {
          if (opts.dryRun) return { object: current, deleted: true };
          const gone = await this.store.delete(objectKey(this.keyInfo, namespace, name), kv.modRevision);
          this.hooks.release?.(this.info, current, undefined);
          return { object: this.decode(gone), deleted: true };
        }
        if (m.deletionTimestamp) {
          // Already terminating: a shorter grace period may be requested; finalizer changes apply.
          const curGrace = m.deletionGracePeriodSeconds ?? 0;
          if (grace < curGrace) {
            m.deletionGracePeriodSeconds = grace;
            m.deletionTimestamp = nowRfc3339(new Date(Date.now() + grace * 1000));
          }
        } else {
          m.deletionTimestamp = nowRfc3339(new Date(Date.now() + grace * 1000));
          m.deletionGracePeriodSeconds = grace;
          if (m.generation !== undefined) m.generation += 1;
        }
        if (finalizers.size > 0) m.finalizers = [...finalizers];
        if (opts.dryRun) return { object: next, deleted: false };
        if (isDeepStrictEqual(next, current)) return { object: current, deleted: false };
        const updated = await this.store.update(objectKey(this.keyInfo, namespace, name), this.encode(next), kv.modRevision);
        return { object: this.decode(updated), deleted: false };
      } catch (e) {
        if ((e instanceof ConflictError) && attempt < 8) continue;
        if (e instanceof NotFoundError) throw notFound(this.gr, name);
        throw e;
      }
    }
  }

  private isNamespace(): boolean {
    return this.info.group === '' && this.info.resource === 'namespaces';
  }

  /** Grace period for a delete: only pods are deleted gracefully (when scheduled and not finished). */
  private gracePeriod(obj: KubeObject, requested: number | undefined): number {
    if (this.info.group !== '' || this.info.resource !== 'pods') return 0;
    const spec = (obj.spec ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
    const status = (obj.status ?? {}) as { phase?: string };
    if (!spec.nodeName) return 0;
    if (status.phase === 'Succeeded' || status.phase === 'Failed') return 0;
    const g = requested ?? spec.terminationGracePeriodSeconds ?? 30;
    return g < 0 ? 1 : g;
  }

  /** Every stored item under the namespace prefix at the current revision (a consistent read). */
  async snapshot(namespace: string): Promise<{ items: KeyValue[]; revision: number }> {
    const r = await this.store.list(namespacePrefix(this.keyInfo, namespace), {});
    return { items: r.items, revision: r.revision };
  }

  currentRevision(): Promise<number> {
    return this.store.currentRevision();
  }

  /** Watch through the cache; see handlers/watch.ts for the wire protocol. */
  watchCache(): ResourceWatchCache {
    return this.cache;
  }

  prefix(namespace: string): string {
    return namespacePrefix(this.keyInfo, namespace);
  }
}

function namespaceSpecFinalizers(o: KubeObject): unknown[] {
  const spec = o.spec;
  return isPlainObject(spec) && Array.isArray(spec.finalizers) ? spec.finalizers : [];
}

function stripVolatile(o: KubeObject): unknown {
  const c = { ...o, metadata: { ...o.metadata } };
  if (c.metadata.managedFields) {
    c.metadata.managedFields = c.metadata.managedFields.map((e) => ({ ...e, time: undefined }));
  }
  return c;
}

export function matchEverything(): boolean {
  return true;
}

export function isNotFound(e: unknown): boolean {
  return e instanceof StatusError && e.code === 404;
}
