/**
 * The OpenAPI documents the server publishes: `/openapi/v2` and `/openapi/v3` (index plus one
 * document per group-version). Content comes from the committed files under
 * `apimachinery/generated/` (written by `npm run generate`), read lazily on first use and kept as
 * serialized buffers, so serving them is a buffer write.
 *
 * The files are read relative to this module, so a compiled `dist/` needs them copied alongside
 * (`tsx scripts/copy-assets.ts` after `tsc`). The metrics.k8s.io schemas are added in-process
 * (metrics/openapi.ts).
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { METRICS_V3_PATH, metricsV3Document, withMetricsV2 } from './metrics/openapi.js';

const generated = new URL('../apimachinery/generated/', import.meta.url);

interface IndexEntry { file: string; hash: string }

let v3Index: Record<string, IndexEntry> | undefined;
const v3Docs = new Map<string, Buffer>();
let v2Doc: { body: Buffer; etag: string } | undefined;

function index(): Record<string, IndexEntry> {
  if (!v3Index) {
    const files = JSON.parse(readFileSync(new URL('openapi-v3/index.json', generated), 'utf8')) as Record<string, IndexEntry>;
    // metrics.k8s.io is served in-process: its document is built here, not generated.
    const metrics = metricsV3Document(readFileSync(new URL(`openapi-v3/${files['api/v1']!.file}`, generated)));
    v3Docs.set(METRICS_V3_PATH, metrics);
    v3Index = { ...files, [METRICS_V3_PATH]: { file: '', hash: sha512(metrics) } };
  }
  return v3Index;
}

function sha512(body: Buffer): string {
  return createHash('sha512').update(body).digest('hex').toUpperCase();
}

/** Group-version paths with a v3 document (`api/v1`, `apis/apps/v1`, ...). */
export function openapiV3Paths(): string[] {
  return Object.keys(index());
}

/** GET /openapi/v3: each group-version path with its URL pinned to the document's content hash. */
export function openapiV3Index(): { paths: Record<string, { serverRelativeURL: string }> } {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [path, e] of Object.entries(index())) {
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${e.hash}` };
  }
  return { paths };
}

/** The content hash of a group-version's v3 document (its ETag, unquoted). */
export function openapiV3Hash(gvPath: string): string | undefined {
  return index()[normalize(gvPath)]?.hash;
}

/** Serialized JSON of the v3 document for `api/v1`, `apis/apps/v1`, ...; undefined if not served. */
export function openapiV3Document(gvPath: string): Buffer | undefined {
  const path = normalize(gvPath);
  const e = index()[path];
  if (!e) return undefined;
  const cached = v3Docs.get(path);
  if (cached) return cached;
  const body = readFileSync(new URL(`openapi-v3/${e.file}`, generated));
  v3Docs.set(path, body);
  return body;
}

/** Serialized JSON of the v2 document. */
export function openapiV2Document(): Buffer {
  return v2().body;
}

/** Strong ETag (quoted) of the v2 document. */
export function openapiV2Etag(): string {
  return v2().etag;
}

function v2(): { body: Buffer; etag: string } {
  if (!v2Doc) {
    const body = withMetricsV2(readFileSync(new URL('openapi-v2.json', generated)));
    v2Doc = { body, etag: `"${sha512(body)}"` };
  }
  return v2Doc;
}

function normalize(gvPath: string): string {
  return gvPath.replace(/^\/+/, '').replace(/^openapi\/v3\//, '').replace(/\/+$/, '');
}

/** True when an If-None-Match header names `etag` (or `*`), i.e. a 304 may be answered. */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((t) => {
    const v = t.trim().replace(/^W\//, '');
    return v === '*' || v === etag;
  });
}

export interface OpenAPIResponse {
  status: 200 | 301 | 304 | 404;
  headers: Record<string, string>;
  body?: Buffer;
}

/**
 * What kube-apiserver answers for GET /openapi/v3/<gvPath>[?hash=H]: the document with its ETag;
 * with a matching `hash`, marked immutable for a year; with a stale `hash`, a 301 to the current
 * URL; 304 when If-None-Match already names the current version.
 */
export function openapiV3Response(gvPath: string, opts: { hash?: string; ifNoneMatch?: string } = {}): OpenAPIResponse {
  const path = normalize(gvPath);
  const hash = openapiV3Hash(path);
  const body = openapiV3Document(path);
  if (!hash || !body) return { status: 404, headers: {} };
  const etag = `"${hash}"`;
  if (opts.hash !== undefined && opts.hash !== hash) {
    return { status: 301, headers: { Location: `/openapi/v3/${path}?hash=${hash}` } };
  }
  const headers: Record<string, string> = { 'Content-Type': 'application/json', ETag: etag };
  if (opts.hash !== undefined) {
    headers['Cache-Control'] = 'public, immutable';
    headers.Expires = new Date(Date.now() + 365 * 24 * 3600 * 1000).toUTCString();
  } else {
    headers['Cache-Control'] = 'no-cache, private';
  }
  if (etagMatches(opts.ifNoneMatch, etag)) return { status: 304, headers };
  return { status: 200, headers, body };
}
