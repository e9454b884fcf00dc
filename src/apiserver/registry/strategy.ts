/**
 * Per-resource behaviour (defaulting, validation, status/spec split, table columns, field
 * selectors). One module per resource under `registry/<group>/<resource>.ts` exports a Strategy;
 * `registry/index.ts` maps `group/resource` to it. Anything not given falls back to the generic
 * behaviour in the API server (name validation, metadata management, Name/Age table).
 *
 * Strategies are pure functions of their inputs: they mutate only the object passed in and never
 * touch storage. Work that needs storage (ClusterIP/NodePort allocation) lives in `allocators`.
 */
import type { FieldError } from '../../apimachinery/errors.js';
import type { KubeObject } from '../../apimachinery/object.js';

export interface TableColumnDefinition {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  /** 0 shows always; >0 only with `-o wide`. */
  priority: number;
}

export interface TableConvertor {
  /** Columns after the leading Name column is included by the convertor itself (Name first). */
  columns: TableColumnDefinition[];
  /** One row of cells, in column order, for this object. `now` is for ages. */
  cells(obj: KubeObject, now: Date): unknown[];
}

export interface StrategyContext {
  /** The namespace in the URL (empty for cluster-scoped). */
  namespace: string;
  now: Date;
}

export interface SubresourceUpdateStrategy {
  prepare(obj: KubeObject, old: KubeObject, ctx: StrategyContext): void;
  validate(obj: KubeObject, old: KubeObject, ctx: StrategyContext): FieldError[];
}

export interface Strategy {
  /** Apply upstream defaults (called on every create/update/patch result before validation). */
  defaults?(obj: KubeObject): void;
  /** Called on create after defaulting: e.g. reset status, set pod phase Pending. */
  prepareForCreate?(obj: KubeObject, ctx: StrategyContext): void;
  /** Called on main-resource update: e.g. keep old status when the resource has a status subresource. */
  prepareForUpdate?(obj: KubeObject, old: KubeObject, ctx: StrategyContext): void;
  /** Called on status-subresource update: keep old spec, take new status. */
  prepareForStatusUpdate?(obj: KubeObject, old: KubeObject, ctx: StrategyContext): void;
  /** Validation of a new object (metadata name/labels are validated generically). */
  validate?(obj: KubeObject, ctx: StrategyContext): FieldError[];
  /** Validation of an update, including immutable fields. */
  validateUpdate?(obj: KubeObject, old: KubeObject, ctx: StrategyContext): FieldError[];
  validateStatusUpdate?(obj: KubeObject, old: KubeObject, ctx: StrategyContext): FieldError[];
  /**
   * Other subresources that update one part of the object (e.g. `ephemeralcontainers` of pods):
   * `prepare` keeps everything else from `old`, `validate` replaces validateUpdate.
   */
  subresourceUpdates?: Record<string, SubresourceUpdateStrategy>;
  /** Table printing for `kubectl get`. */
  table?: TableConvertor;
  /** Values of the extra field selectors this resource supports (beyond metadata.name/namespace). */
  selectableFields?(obj: KubeObject): Record<string, string>;
  /** Whether the object's name must be a DNS-1123 subdomain (default) or label, or a path segment. */
  nameValidation?: 'subdomain' | 'label' | 'path-segment';
  /** Whether a change of these top-level fields bumps metadata.generation (default: `spec`). */
  generationFields?: string[];
}
