/**
 * Admission: plugins that see every write after defaulting and before it is stored. Mutating
 * plugins run before validation (they may change the object); validating plugins run after
 * validation and may only refuse (throw a StatusError). Plugins read other objects through the
 * `lookup` given at construction, never by touching storage directly.
 */
import type { KubeObject } from '../../apimachinery/object.js';
import type { ResourceInfo } from '../../apimachinery/resource-info.js';

export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE';

export interface AdmissionAttributes {
  operation: AdmissionOperation;
  resource: ResourceInfo;
  /** '' for the main resource, else `status`, `scale`, `binding`, ... */
  subresource: string;
  namespace: string;
  name: string;
  /** The object being written (mutable for mutating plugins); for DELETE the current object. */
  object: KubeObject;
  /** The stored object for UPDATE and DELETE. */
  oldObject?: KubeObject;
  dryRun: boolean;
}

export interface AdmissionPlugin {
  readonly name: string;
  /** May change `attrs.object`; throws a StatusError to refuse. */
  mutate?(attrs: AdmissionAttributes): Promise<void> | void;
  /** Throws a StatusError to refuse; must not change the object. */
  validate?(attrs: AdmissionAttributes): Promise<void> | void;
}

export interface AdmissionChain {
  mutate(attrs: AdmissionAttributes): Promise<void>;
  validate(attrs: AdmissionAttributes): Promise<void>;
}

export function createAdmissionChain(plugins: readonly AdmissionPlugin[]): AdmissionChain {
  return {
    async mutate(attrs) {
      for (const p of plugins) if (p.mutate) await p.mutate(attrs);
    },
    async validate(attrs) {
      for (const p of plugins) if (p.validate) await p.validate(attrs);
    },
  };
}
