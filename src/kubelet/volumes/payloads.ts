/**
 * The file sets of the kubelet's API-backed volumes (upstream volume/configmap, secret,
 * downwardapi and projected MakePayload / CollectData): path → bytes and mode, ready for the
 * atomic writer. Pure apart from the lookups passed in.
 */
import type {
  ConfigMap, ConfigMapVolumeSource, DownwardAPIVolumeFile, KeyToPath, Pod, ProjectedVolumeSource, Secret, SecretVolumeSource,
} from '../../apimachinery/generated/types.js';
import type { ObjectLookup } from '../env/environment.js';
import type { PodRuntimeFacts } from '../env/field-path.js';
import { podFieldValue, podResourceValue } from '../env/field-path.js';
import type { Payload } from './atomic-writer.js';
import { fileOf } from './atomic-writer.js';

/** The API's default for configMap, secret, downwardAPI and projected `defaultMode`. */
export const DEFAULT_MODE = 0o644;

/** A volume that cannot be set up; the message is the upstream one (`configmap "x" not found`). */
export class VolumeSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VolumeSetupError';
  }
}

export interface PayloadContext {
  pod: Pod;
  lookup: Pick<ObjectLookup, 'configMap' | 'secret'>;
  facts: PodRuntimeFacts;
  allocatable: Record<string, string | number>;
  /**
   * A bound service account token for a projected volume, or `undefined` when the API server
   * cannot issue one (the caller then writes a placeholder).
   */
  serviceAccountToken?(audience: string, expirationSeconds: number): Promise<string | undefined>;
}

function keyedPayload(what: 'configmap' | 'secret', entries: Map<string, Uint8Array>, items: KeyToPath[] | undefined, defaultMode: number,
  optional: boolean): Payload {
  const out: Payload = new Map();
  if (!items || items.length === 0) {
    for (const [k, v] of entries) out.set(k, fileOf(v, defaultMode));
    return out;
  }
  for (const item of items) {
    const data = entries.get(item.key);
    if (!data) {
      if (optional) continue;
      throw new VolumeSetupError(what === 'configmap' ? `configmap references non-existent config key: ${item.key}`
        : `references non-existent secret key: ${item.key}`);
    }
    out.set(item.path, fileOf(data, item.mode ?? defaultMode));
  }
  return out;
}

function configMapEntries(cm: ConfigMap): Map<string, Uint8Array> {
  const m = new Map<string, Uint8Array>();
  for (const [k, v] of Object.entries(cm.data ?? {})) m.set(k, Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) m.set(k, Buffer.from(v, 'base64'));
  return m;
}

function secretEntries(s: Secret): Map<string, Uint8Array> {
  const m = new Map<string, Uint8Array>();
  for (const [k, v] of Object.entries(s.data ?? {})) m.set(k, Buffer.from(v, 'base64'));
  return m;
}

async function configMapFiles(ctx: PayloadContext, name: string, items: KeyToPath[] | undefined, mode: number, optional: boolean): Promise<Payload> {
  const cm = await ctx.lookup.configMap(ctx.pod.metadata?.namespace ?? 'default', name);
  if (!cm) {
    if (optional) return new Map();
    throw new VolumeSetupError(`configmap "${name}" not found`);
  }
  return keyedPayload('configmap', configMapEntries(cm), items, mode, optional);
}

async function secretFiles(ctx: PayloadContext, name: string, items: KeyToPath[] | undefined, mode: number, optional: boolean): Promise<Payload> {
  const s = await ctx.lookup.secret(ctx.pod.metadata?.namespace ?? 'default', name);
  if (!s) {
    if (optional) return new Map();
    throw new VolumeSetupError(`secret "${name}" not found`);
  }
  return keyedPayload('secret', secretEntries(s), items, mode, optional);
}

export function configMapPayload(src: ConfigMapVolumeSource, ctx: PayloadContext): Promise<Payload> {
  return configMapFiles(ctx, src.name ?? '', src.items, src.defaultMode ?? DEFAULT_MODE, src.optional === true);
}

export function secretPayload(src: SecretVolumeSource, ctx: PayloadContext): Promise<Payload> {
  return secretFiles(ctx, src.secretName ?? '', src.items, src.defaultMode ?? DEFAULT_MODE, src.optional === true);
}

export function downwardAPIPayload(items: DownwardAPIVolumeFile[] | undefined, defaultMode: number, ctx: PayloadContext): Payload {
  const out: Payload = new Map();
  const errors: string[] = [];
  for (const item of items ?? []) {
    try {
      let value = '';
      if (item.fieldRef) value = podFieldValue(ctx.pod, item.fieldRef.fieldPath, ctx.facts);
      else if (item.resourceFieldRef) value = podResourceValue(item.resourceFieldRef, ctx.pod, undefined, ctx.allocatable);
      out.set(item.path, fileOf(value, item.mode ?? defaultMode));
    } catch (err) {
      errors.push(err instanceof Error ? err.message : String(err));
    }
  }
  if (errors.length > 0) throw new VolumeSetupError(errors.length === 1 ? errors[0]! : `[${errors.join(', ')}]`);
  return out;
}

/** Written when the API server cannot issue bound tokens (no TokenRequest support). */
export const TOKEN_PLACEHOLDER = '';

export async function projectedPayload(src: ProjectedVolumeSource, ctx: PayloadContext): Promise<{ payload: Payload; notes: string[] }> {
  const mode = src.defaultMode ?? DEFAULT_MODE;
  const payload: Payload = new Map();
  const notes: string[] = [];
  const add = (p: Payload): void => {
    for (const [k, v] of p) payload.set(k, v);
  };
  for (const s of src.sources ?? []) {
    if (s.configMap) add(await configMapFiles(ctx, s.configMap.name ?? '', s.configMap.items, mode, s.configMap.optional === true));
    else if (s.secret) add(await secretFiles(ctx, s.secret.name ?? '', s.secret.items, mode, s.secret.optional === true));
    else if (s.downwardAPI) add(downwardAPIPayload(s.downwardAPI.items, mode, ctx));
    else if (s.serviceAccountToken) {
      const t = s.serviceAccountToken;
      const token = ctx.serviceAccountToken ? await ctx.serviceAccountToken(t.audience ?? '', t.expirationSeconds ?? 3600) : undefined;
      if (token === undefined) notes.push(`the API server issued no token for ${t.path} (TokenRequest unsupported); wrote an empty placeholder`);
      payload.set(t.path, fileOf(token ?? TOKEN_PLACEHOLDER, mode));
    } else if (s.clusterTrustBundle) {
      notes.push(`clusterTrustBundle source for ${s.clusterTrustBundle.path} is not supported; skipped`);
    }
  }
  return { payload, notes };
}
