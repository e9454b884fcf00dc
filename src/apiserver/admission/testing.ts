/**
 * Test support for admission plugins: an in-memory stand-in for the registries a plugin reads
 * (`list`, `getKv`, `getCachedKv`, `decode`, `writeUpdate` with resourceVersion checks) and a
 * builder for AdmissionAttributes. Only for unit tests.
 */
import type { KubeObject } from '../../apimachinery/object.js';
import { deepCopy } from '../../apimachinery/object.js';
import { conflict, notFound } from '../../apimachinery/errors.js';
import type { ResourceInfo } from '../../apimachinery/resource-info.js';
import { RESOURCES } from '../../apimachinery/generated/resources.js';
import type { KeyValue } from '../../storage/store.js';
import type { ListOutcome, ResourceRegistry } from '../rest/resource-registry.js';
import type { AdmissionAttributes, AdmissionOperation } from './admission.js';
import type { AdmissionDeps } from './index.js';

export interface FakeRegistry {
  objects: Map<string, KubeObject>;
  /** Status writes made through `writeUpdate`. */
  writes: KubeObject[];
  /** Makes the next N `writeUpdate` calls fail with 409 after bumping the stored version. */
  failNextWrites: number;
}

export interface FakeDeps extends AdmissionDeps {
  /** Adds (or replaces) an object of `group/resource`. */
  put(group: string, resource: string, obj: KubeObject): void;
  registry(group: string, resource: string): FakeRegistry;
}

let revision = 100;

export function createFakeDeps(): FakeDeps {
  const regs = new Map<string, FakeRegistry & { impl: ResourceRegistry }>();
  const keyOf = (ns: string, name: string): string => `${ns}/${name}`;

  function makeRegistry(group: string, resource: string): FakeRegistry & { impl: ResourceRegistry } {
    const state: FakeRegistry = { objects: new Map(), writes: [], failNextWrites: 0 };
    const kvOf = (obj: KubeObject): KeyValue => ({
      key: keyOf(obj.metadata.namespace ?? '', obj.metadata.name ?? ''), value: JSON.stringify(obj),
      createRevision: 1, modRevision: Number(obj.metadata.resourceVersion ?? '1'),
    });
    const impl = {
      gr: { group, resource },
      async list(namespace: string): Promise<ListOutcome> {
        const items = [...state.objects.values()].filter((o) => !namespace || (o.metadata.namespace ?? '') === namespace);
        return { items: items.map((o) => deepCopy(o)), resourceVersion: String(revision) };
      },
      async getKv(namespace: string, name: string): Promise<KeyValue | undefined> {
        const o = state.objects.get(keyOf(namespace, name));
        return o ? kvOf(o) : undefined;
      },
      async getCachedKv(namespace: string, name: string): Promise<KeyValue | undefined> {
        const o = state.objects.get(keyOf(namespace, name));
        return o ? kvOf(o) : undefined;
      },
      decode(kv: KeyValue): KubeObject {
        return JSON.parse(kv.value) as KubeObject;
      },
      async writeUpdate(namespace: string, current: KubeObject, next: KubeObject): Promise<KubeObject> {
        const name = current.metadata.name ?? '';
        const key = keyOf(namespace, name);
        const stored = state.objects.get(key);
        if (!stored) throw notFound({ group, resource }, name);
        if (state.failNextWrites > 0) {
          state.failNextWrites--;
          stored.metadata.resourceVersion = String(++revision);
        }
        if (stored.metadata.resourceVersion !== current.metadata.resourceVersion) throw conflict({ group, resource }, name);
        const written = deepCopy(next);
        written.metadata.resourceVersion = String(++revision);
        state.objects.set(key, written);
        state.writes.push(deepCopy(written));
        return written;
      },
    };
    return Object.assign(state, { impl: impl as unknown as ResourceRegistry });
  }

  const get = (group: string, resource: string): FakeRegistry & { impl: ResourceRegistry } => {
    const k = `${group}/${resource}`;
    let r = regs.get(k);
    if (!r) regs.set(k, (r = makeRegistry(group, resource)));
    return r;
  };

  return {
    registryFor: (group, resource) => get(group, resource).impl,
    put(group, resource, obj) {
      const copy = deepCopy(obj);
      copy.metadata.resourceVersion ??= String(++revision);
      get(group, resource).objects.set(keyOf(copy.metadata.namespace ?? '', copy.metadata.name ?? ''), copy);
    },
    registry: (group, resource) => get(group, resource),
  };
}

export function resourceInfo(group: string, resource: string): ResourceInfo {
  const info = RESOURCES.find((r) => r.group === group && r.resource === resource);
  if (!info) throw new Error(`unknown resource ${group}/${resource}`);
  return info;
}

/** Attributes for a write of `object` (namespace and name taken from its metadata). */
export function attributes(
  operation: AdmissionOperation, group: string, resource: string, object: KubeObject,
  opts: { oldObject?: KubeObject; subresource?: string; dryRun?: boolean } = {},
): AdmissionAttributes {
  return {
    operation, resource: resourceInfo(group, resource), subresource: opts.subresource ?? '',
    namespace: object.metadata.namespace ?? '', name: object.metadata.name ?? '', object,
    oldObject: opts.oldObject, dryRun: opts.dryRun ?? false,
  };
}
