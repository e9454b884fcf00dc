/**
 * Builds an OCI image archive (the `oci-layout` + `index.json` + `blobs/sha256/…` tar that
 * `ctr images import`, skopeo and podman read) from one filesystem layer, with no registry.
 * Every tag gets an index entry annotated with its full name (`io.containerd.image.name`) and its
 * tag (`org.opencontainers.image.ref.name`), so one import creates all the names.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { TarEntry } from './tar.js';
import { createTar } from './tar.js';

export const MEDIA_TYPE_INDEX = 'application/vnd.oci.image.index.v1+json';
export const MEDIA_TYPE_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const MEDIA_TYPE_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const MEDIA_TYPE_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string };
}

export interface ImageConfigSpec {
  env?: string[];
  entrypoint?: string[];
  cmd?: string[];
  workingDir?: string;
  user?: string;
  labels?: Record<string, string>;
}

export interface BuildImageOptions {
  /** Full references, e.g. `docker.io/library/busybox:latest`. */
  tags: string[];
  layer: TarEntry[];
  config: ImageConfigSpec;
  /** Seconds since the epoch for file times and `created` (reproducible builds). */
  created: number;
  architecture?: string;
}

export interface BuiltImage {
  archive: Buffer;
  /** The manifest digest (what `ctr images ls` shows as DIGEST). */
  manifestDigest: string;
  /** The config digest: the image id CRI reports. */
  imageId: string;
  tags: string[];
}

function sha256(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Node's `process.arch` in OCI/Go terms. */
export function ociArchitecture(arch: string = process.arch): string {
  switch (arch) {
    case 'x64': return 'amd64';
    case 'ia32': return '386';
    case 'arm64': return 'arm64';
    case 'arm': return 'arm';
    case 'ppc64': return 'ppc64le';
    case 's390x': return 's390x';
    case 'riscv64': return 'riscv64';
    default: return arch;
  }
}

/** The tag part of a reference (`docker.io/library/busybox:1.35` → `1.35`), `latest` when none. */
export function referenceTag(ref: string): string {
  const name = ref.split('@')[0] ?? ref;
  const last = name.slice(name.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  return colon >= 0 ? last.slice(colon + 1) : 'latest';
}

export function buildOciImage(opts: BuildImageOptions): BuiltImage {
  const architecture = opts.architecture ?? ociArchitecture();
  const layerTar = createTar(opts.layer, opts.created);
  const layerGz = gzipSync(layerTar, { level: 9 });
  const created = new Date(opts.created * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const config = Buffer.from(JSON.stringify({
    created,
    architecture,
    os: 'linux',
    config: {
      ...(opts.config.user ? { User: opts.config.user } : {}),
      Env: opts.config.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      ...(opts.config.entrypoint ? { Entrypoint: opts.config.entrypoint } : {}),
      ...(opts.config.cmd ? { Cmd: opts.config.cmd } : {}),
      ...(opts.config.workingDir ? { WorkingDir: opts.config.workingDir } : {}),
      ...(opts.config.labels ? { Labels: opts.config.labels } : {}),
    },
    rootfs: { type: 'layers', diff_ids: [sha256(layerTar)] },
    history: [{ created, created_by: 'skiff image build' }],
  }));
  const configDesc: Descriptor = { mediaType: MEDIA_TYPE_CONFIG, digest: sha256(config), size: config.length };
  const layerDesc: Descriptor = { mediaType: MEDIA_TYPE_LAYER_GZIP, digest: sha256(layerGz), size: layerGz.length };
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPE_MANIFEST, config: configDesc, layers: [layerDesc] }));
  const manifestDigest = sha256(manifest);
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_INDEX,
    manifests: opts.tags.map((tag): Descriptor => ({
      mediaType: MEDIA_TYPE_MANIFEST, digest: manifestDigest, size: manifest.length,
      annotations: { 'io.containerd.image.name': tag, 'org.opencontainers.image.ref.name': referenceTag(tag) },
      platform: { architecture, os: 'linux' },
    })),
  };
  const blob = (digest: string, data: Buffer): TarEntry => ({ type: 'file', path: `blobs/sha256/${digest.slice('sha256:'.length)}`, data });
  const archive = createTar([
    { type: 'file', path: 'oci-layout', data: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })) },
    { type: 'file', path: 'index.json', data: Buffer.from(JSON.stringify(index)) },
    { type: 'dir', path: 'blobs' },
    { type: 'dir', path: 'blobs/sha256' },
    blob(layerDesc.digest, layerGz),
    blob(configDesc.digest, config),
    blob(manifestDigest, manifest),
  ], opts.created);
  return { archive, manifestDigest, imageId: configDesc.digest, tags: [...opts.tags] };
}
