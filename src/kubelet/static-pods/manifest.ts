/**
 * Static pod manifests (upstream pkg/kubelet/config/common.go, reduced): one pod per file (YAML
 * or JSON), named `<name>-<nodeName>`, namespace from the file or `default`, bound to the node,
 * with a deterministic UID / config hash (the content and the node name) and the
 * `kubernetes.io/config.*` annotations. The mirror pod in the API carries the same hash in
 * `kubernetes.io/config.mirror`.
 */
import { createHash } from 'node:crypto';
import { parse } from 'yaml';
import type { Pod } from '../../apimachinery/generated/types.js';

export const CONFIG_SOURCE_ANNOTATION = 'kubernetes.io/config.source';
export const CONFIG_HASH_ANNOTATION = 'kubernetes.io/config.hash';
export const CONFIG_SEEN_ANNOTATION = 'kubernetes.io/config.seen';
export const CONFIG_MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

export interface StaticPod {
  /** Where it came from (file path or URL), for messages. */
  origin: string;
  /** `file` or `http`. */
  source: 'file' | 'http';
  hash: string;
  pod: Pod;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses one manifest's text (a Pod; from a URL also a List / PodList of pods) into static pods. */
export function parseManifest(text: string, origin: string, source: 'file' | 'http', nodeName: string, now: Date = new Date()): StaticPod[] {
  const doc: unknown = parse(text);
  if (!isRecord(doc)) throw new Error(`${origin}: not a pod manifest`);
  const docs = (doc.kind === 'List' || doc.kind === 'PodList') && Array.isArray(doc.items) ? doc.items as unknown[] : [doc];
  return docs.map((d) => staticPodFrom(d, origin, source, nodeName, now));
}

function staticPodFrom(doc: unknown, origin: string, source: 'file' | 'http', nodeName: string, now: Date): StaticPod {
  if (!isRecord(doc)) throw new Error(`${origin}: not a pod manifest`);
  if (doc.kind !== undefined && doc.kind !== 'Pod') throw new Error(`${origin}: kind ${String(doc.kind)}, want Pod`);
  if (doc.apiVersion !== undefined && doc.apiVersion !== 'v1') throw new Error(`${origin}: apiVersion ${String(doc.apiVersion)}, want v1`);
  const pod = structuredClone(doc) as Pod;
  const meta = pod.metadata ?? {};
  if (!meta.name) throw new Error(`${origin}: metadata.name is required`);
  if (!isRecord(pod.spec) || !Array.isArray(pod.spec.containers) || pod.spec.containers.length === 0) {
    throw new Error(`${origin}: spec.containers is required`);
  }
  const hash = createHash('md5').update(JSON.stringify(doc)).update(`\0${nodeName}\0${source}`).digest('hex');
  pod.apiVersion = 'v1';
  pod.kind = 'Pod';
  pod.metadata = {
    ...meta,
    name: `${meta.name}-${nodeName}`,
    namespace: meta.namespace || 'default',
    uid: hash,
    annotations: {
      ...(meta.annotations ?? {}),
      [CONFIG_SOURCE_ANNOTATION]: source,
      [CONFIG_HASH_ANNOTATION]: hash,
      [CONFIG_SEEN_ANNOTATION]: now.toISOString(),
    },
  };
  delete pod.metadata.resourceVersion;
  delete pod.metadata.generateName;
  delete pod.status;
  pod.spec = { ...pod.spec, nodeName };
  return { origin, source, hash, pod };
}

/** The mirror pod for a static pod: owned by the Node, marked with `config.mirror`. */
export function mirrorPodOf(sp: StaticPod, node: { name: string; uid: string }): Pod {
  const meta = sp.pod.metadata ?? {};
  const { uid: _uid, ...rest } = meta;
  return {
    ...sp.pod,
    metadata: {
      ...rest,
      annotations: { ...(meta.annotations ?? {}), [CONFIG_MIRROR_ANNOTATION]: sp.hash },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node.name, uid: node.uid, controller: true }],
    },
  };
}

export function isMirrorPod(pod: Pod): boolean {
  return pod.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION] !== undefined;
}
