/**
 * The HTTPS client every controller uses to reach the API server (the API is the only door, even
 * in-process). Requests go over one keep-alive agent; a non-2xx answer becomes a `StatusError`
 * built from the server's `Status` body. Watches stream newline-delimited JSON events as an async
 * iterator that ends when the server closes the stream, the timeout passes or the signal aborts.
 */
import https from 'node:https';
import tls from 'node:tls';
import type { IncomingMessage } from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { StatusError } from '../apimachinery/errors.js';
import type { Status, StatusDetails, StatusReason } from '../apimachinery/errors.js';
import type { KubeList, KubeObject } from '../apimachinery/object.js';
import { isPlainObject } from '../apimachinery/object.js';

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

/** `configmaps` or `deployments.v1.apps`-like key for maps. */
export function gvrKey(gvr: GroupVersionResource): string {
  return gvr.group ? `${gvr.resource}.${gvr.version}.${gvr.group}` : `${gvr.resource}.${gvr.version}`;
}

export function gvrApiVersion(gvr: Pick<GroupVersionResource, 'group' | 'version'>): string {
  return gvr.group ? `${gvr.group}/${gvr.version}` : gvr.version;
}

interface BaseConfig {
  /** `https://127.0.0.1:6443` */
  server: string;
  caPem: string;
  userAgent?: string;
  /** Per-request timeout for everything but watches; default 60 s. */
  timeoutMs?: number;
}

export type RestClientConfig =
  | (BaseConfig & { certPem: string; keyPem: string; token?: undefined })
  | (BaseConfig & { token: string; certPem?: undefined; keyPem?: undefined });

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

const METADATA_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';
const METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';

export interface NamespaceOption {
  /** Omit (or '') for cluster-scoped resources and all-namespace lists/watches. */
  namespace?: string;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface WriteOptions extends NamespaceOption, RequestOptions {
  dryRun?: boolean;
  fieldManager?: string;
}

export interface GetOptions extends NamespaceOption, RequestOptions {
  resourceVersion?: string;
  /** Ask for PartialObjectMetadata (only `metadata` is filled). */
  metadataOnly?: boolean;
}

export interface ListOptions extends NamespaceOption, RequestOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  limit?: number;
  continue?: string;
  metadataOnly?: boolean;
}

export interface WatchOptions extends NamespaceOption, RequestOptions {
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  sendInitialEvents?: boolean;
  metadataOnly?: boolean;
}

export interface PatchOptions extends WriteOptions {
  type: PatchType;
  patch: unknown;
  subresource?: string;
  force?: boolean;
}

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

export interface DeleteOptions extends NamespaceOption, RequestOptions {
  propagationPolicy?: PropagationPolicy;
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface DeleteCollectionOptions extends DeleteOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export type WatchEvent<T extends KubeObject = KubeObject> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: T }
  | { type: 'ERROR'; object: Status };

export interface RawRequest extends RequestOptions {
  method: string;
  /** Absolute path, e.g. `/apis`; query parameters go in `query`. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  accept?: string;
}

export interface RestClient {
  readonly server: string;
  /** Any request; the decoded JSON answer or a thrown `StatusError`. */
  request<T = unknown>(req: RawRequest): Promise<T>;
  get<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, name: string, opts?: GetOptions): Promise<T>;
  list<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, opts?: ListOptions): Promise<KubeList<T>>;
  /** The namespace defaults to `obj.metadata.namespace`. */
  create<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, obj: T, opts?: WriteOptions): Promise<T>;
  update<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, obj: T, opts?: WriteOptions): Promise<T>;
  updateStatus<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, obj: T, opts?: WriteOptions): Promise<T>;
  /** PUT to any subresource (`finalize`, `scale`, ...). */
  updateSubresource<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, obj: KubeObject, opts: WriteOptions & { subresource: string }): Promise<T>;
  patch<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, name: string, opts: PatchOptions): Promise<T>;
  /** The server's answer: the object (still present, being finalized) or a Success Status. */
  delete(gvr: GroupVersionResource, name: string, opts?: DeleteOptions): Promise<KubeObject | Status>;
  deleteCollection(gvr: GroupVersionResource, opts?: DeleteCollectionOptions): Promise<unknown>;
  watch<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, opts?: WatchOptions): AsyncIterableIterator<WatchEvent<T>>;
  /** Closes idle keep-alive sockets. */
  close(): void;
}

const REASON_BY_CODE: Record<number, StatusReason> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed',
  406: 'NotAcceptable', 409: 'Conflict', 410: 'Expired', 413: 'RequestEntityTooLarge', 415: 'UnsupportedMediaType',
  422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout',
};

/** Turns a failed response into a StatusError, preferring the server's Status body. */
export function statusErrorFromResponse(code: number, body: string): StatusError {
  try {
    const parsed: unknown = JSON.parse(body);
    if (isPlainObject(parsed) && parsed.kind === 'Status') {
      const reason = (typeof parsed.reason === 'string' ? parsed.reason : REASON_BY_CODE[code] ?? '') as StatusReason;
      const message = typeof parsed.message === 'string' ? parsed.message : `the server responded with status ${code}`;
      const details = isPlainObject(parsed.details) ? (parsed.details as StatusDetails) : undefined;
      const statusCode = typeof parsed.code === 'number' && parsed.code > 0 ? parsed.code : code;
      return new StatusError(statusCode, reason, message, details);
    }
  } catch {
    // not JSON: fall through
  }
  const text = body.trim().slice(0, 1000);
  return new StatusError(code, REASON_BY_CODE[code] ?? '', text ? `the server responded with status ${code}: ${text}` : `the server responded with status ${code}`);
}

/** Error for a Status that arrived as a watch ERROR event. */
export function statusErrorFromStatus(status: Status): StatusError {
  return new StatusError(status.code, status.reason ?? '', status.message ?? `watch error ${status.code}`, status.details);
}

export function isNotFound(e: unknown): boolean {
  return e instanceof StatusError && e.code === 404;
}

export function isConflict(e: unknown): boolean {
  return e instanceof StatusError && e.code === 409 && e.reason === 'Conflict';
}

export function isAlreadyExists(e: unknown): boolean {
  return e instanceof StatusError && e.code === 409 && e.reason === 'AlreadyExists';
}

/** 410 Gone / "too old resource version": the caller must list again. */
export function isResourceExpired(e: unknown): boolean {
  return e instanceof StatusError && (e.code === 410 || e.reason === 'Expired' || e.reason === 'Gone');
}

export function isMethodNotSupported(e: unknown): boolean {
  return e instanceof StatusError && (e.code === 405 || e.reason === 'MethodNotAllowed');
}

function resourcePath(gvr: GroupVersionResource, namespace: string | undefined, name?: string, subresource?: string): string {
  const base = gvr.group ? `/apis/${gvr.group}/${gvr.version}` : `/api/${gvr.version}`;
  const parts = [base];
  if (namespace && !(gvr.group === '' && gvr.resource === 'namespaces')) parts.push('namespaces', encodeURIComponent(namespace));
  parts.push(gvr.resource);
  if (name !== undefined) parts.push(encodeURIComponent(name));
  if (subresource) parts.push(subresource);
  return parts.join('/');
}

function queryString(query: RawRequest['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

function objectName(obj: KubeObject): string {
  const name = obj.metadata?.name;
  if (!name) throw new StatusError(400, 'BadRequest', 'the object has no metadata.name');
  return name;
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('response aborted')));
  });
}

export function createRestClient(config: RestClientConfig): RestClient {
  const url = new URL(config.server);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port ? Number(url.port) : 443;
  // One TLS context for the client's lifetime: parsing the CA, certificate and key per connection
  // (what passing them to the agent does) costs more than the handshake it serves.
  const secureContext = tls.createSecureContext({
    ca: config.caPem,
    ...(config.certPem ? { cert: config.certPem, key: config.keyPem } : {}),
  });
  const agent = new https.Agent({ keepAlive: true, secureContext });
  const userAgent = config.userAgent ?? 'skiff-client';
  const timeoutMs = config.timeoutMs ?? 60_000;

  function headers(accept: string | undefined, contentType: string | undefined, length: number | undefined): Record<string, string | number> {
    const h: Record<string, string | number> = { accept: accept ?? 'application/json', 'user-agent': userAgent };
    if (config.token) h.authorization = `Bearer ${config.token}`;
    if (contentType) h['content-type'] = contentType;
    if (length !== undefined) h['content-length'] = length;
    return h;
  }

  function open(req: RawRequest, opts: { timeout: boolean }): Promise<IncomingMessage> {
    let payload: Buffer | undefined;
    if (req.body !== undefined) payload = Buffer.from(typeof req.body === 'string' ? req.body : JSON.stringify(req.body));
    return new Promise((resolve, reject) => {
      if (req.signal?.aborted) {
        reject(req.signal.reason instanceof Error ? req.signal.reason : new Error('aborted'));
        return;
      }
      const r = https.request({
        host, port, agent, method: req.method, path: req.path + queryString(req.query),
        headers: headers(req.accept, payload ? (req.contentType ?? 'application/json') : undefined, payload?.length),
        signal: req.signal,
      }, resolve);
      if (opts.timeout) r.setTimeout(timeoutMs, () => r.destroy(new Error(`${req.method} ${req.path}: no answer within ${timeoutMs}ms`)));
      r.on('error', reject);
      if (payload) r.write(payload);
      r.end();
    });
  }

  async function request<T>(req: RawRequest): Promise<T> {
    const res = await open(req, { timeout: true });
    const body = await readBody(res);
    const code = res.statusCode ?? 0;
    if (code < 200 || code > 299) throw statusErrorFromResponse(code, body);
    if (!body) return undefined as T;
    try {
      return JSON.parse(body) as T;
    } catch (e) {
      throw new StatusError(500, 'InternalError', `${req.method} ${req.path}: response is not JSON`, undefined, { cause: e });
    }
  }

  async function* watch<T extends KubeObject>(gvr: GroupVersionResource, opts: WatchOptions = {}): AsyncIterableIterator<WatchEvent<T>> {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await open({
        method: 'GET', path: resourcePath(gvr, opts.namespace), signal: controller.signal,
        accept: opts.metadataOnly ? METADATA_ACCEPT : 'application/json',
        query: {
          watch: 'true', resourceVersion: opts.resourceVersion, labelSelector: opts.labelSelector,
          fieldSelector: opts.fieldSelector, allowWatchBookmarks: opts.allowWatchBookmarks ? 'true' : undefined,
          timeoutSeconds: opts.timeoutSeconds,
          sendInitialEvents: opts.sendInitialEvents === undefined ? undefined : String(opts.sendInitialEvents),
        },
      }, { timeout: false });
      const code = res.statusCode ?? 0;
      if (code < 200 || code > 299) throw statusErrorFromResponse(code, await readBody(res));
      let buffered = '';
      try {
        for await (const chunk of res as AsyncIterable<Buffer>) {
          buffered += chunk.toString('utf8');
          let nl: number;
          while ((nl = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, nl).trim();
            buffered = buffered.slice(nl + 1);
            if (!line) continue;
            yield JSON.parse(line) as WatchEvent<T>;
          }
        }
      } catch (e) {
        // An aborted or reset stream simply ends the watch; the caller re-watches.
        if (opts.signal?.aborted || controller.signal.aborted) return;
        if (e instanceof SyntaxError) throw e;
        return;
      }
    } catch (e) {
      if (opts.signal?.aborted) return;
      throw e;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      controller.abort();
    }
  }

  const client: RestClient = {
    server: config.server,
    request,
    get<T extends KubeObject>(gvr: GroupVersionResource, name: string, opts: GetOptions = {}) {
      return request<T>({
        method: 'GET', path: resourcePath(gvr, opts.namespace, name), signal: opts.signal,
        accept: opts.metadataOnly ? METADATA_ACCEPT : undefined, query: { resourceVersion: opts.resourceVersion },
      });
    },
    list<T extends KubeObject>(gvr: GroupVersionResource, opts: ListOptions = {}) {
      return request<KubeList<T>>({
        method: 'GET', path: resourcePath(gvr, opts.namespace), signal: opts.signal,
        accept: opts.metadataOnly ? METADATA_LIST_ACCEPT : undefined,
        query: {
          labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, resourceVersion: opts.resourceVersion,
          resourceVersionMatch: opts.resourceVersionMatch, limit: opts.limit, continue: opts.continue,
        },
      });
    },
    create<T extends KubeObject>(gvr: GroupVersionResource, obj: T, opts: WriteOptions = {}) {
      return request<T>({
        method: 'POST', path: resourcePath(gvr, opts.namespace ?? obj.metadata?.namespace), body: obj, signal: opts.signal,
        query: { dryRun: opts.dryRun ? 'All' : undefined, fieldManager: opts.fieldManager },
      });
    },
    update<T extends KubeObject>(gvr: GroupVersionResource, obj: T, opts: WriteOptions = {}) {
      return request<T>({
        method: 'PUT', path: resourcePath(gvr, opts.namespace ?? obj.metadata?.namespace, objectName(obj)), body: obj, signal: opts.signal,
        query: { dryRun: opts.dryRun ? 'All' : undefined, fieldManager: opts.fieldManager },
      });
    },
    updateStatus<T extends KubeObject>(gvr: GroupVersionResource, obj: T, opts: WriteOptions = {}) {
      return client.updateSubresource<T>(gvr, obj, { ...opts, subresource: 'status' });
    },
    updateSubresource<T extends KubeObject>(gvr: GroupVersionResource, obj: KubeObject, opts: WriteOptions & { subresource: string }) {
      return request<T>({
        method: 'PUT', path: resourcePath(gvr, opts.namespace ?? obj.metadata?.namespace, objectName(obj), opts.subresource),
        body: obj, signal: opts.signal, query: { dryRun: opts.dryRun ? 'All' : undefined, fieldManager: opts.fieldManager },
      });
    },
    patch<T extends KubeObject>(gvr: GroupVersionResource, name: string, opts: PatchOptions) {
      return request<T>({
        method: 'PATCH', path: resourcePath(gvr, opts.namespace, name, opts.subresource), signal: opts.signal,
        body: typeof opts.patch === 'string' ? opts.patch : JSON.stringify(opts.patch), contentType: PATCH_CONTENT_TYPES[opts.type],
        query: { dryRun: opts.dryRun ? 'All' : undefined, fieldManager: opts.fieldManager, force: opts.force ? 'true' : undefined },
      });
    },
    delete(gvr: GroupVersionResource, name: string, opts: DeleteOptions = {}) {
      return request<KubeObject | Status>({
        method: 'DELETE', path: resourcePath(gvr, opts.namespace, name), signal: opts.signal, body: deleteBody(opts),
      });
    },
    deleteCollection(gvr: GroupVersionResource, opts: DeleteCollectionOptions = {}) {
      return request<unknown>({
        method: 'DELETE', path: resourcePath(gvr, opts.namespace), signal: opts.signal, body: deleteBody(opts),
        query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector },
      });
    },
    watch,
    close() {
      agent.destroy();
    },
  };
  return client;
}

function deleteBody(opts: DeleteOptions): Record<string, unknown> {
  const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
  if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
  if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
  if (opts.preconditions) body.preconditions = opts.preconditions;
  if (opts.dryRun) body.dryRun = ['All'];
  return body;
}

interface KubeconfigFile {
  'current-context'?: string;
  clusters?: { name: string; cluster: Record<string, string | undefined> }[];
  users?: { name: string; user: Record<string, string | undefined> }[];
  contexts?: { name: string; context: { cluster: string; user: string } }[];
}

/** Reads a kubeconfig (current context; inline `-data` or file references, or a token). */
export function configFromKubeconfig(file: string): RestClientConfig {
  const text = readFileSync(file, 'utf8');
  const kc = parseYaml(text) as KubeconfigFile;
  const dir = path.dirname(path.resolve(file));
  const ctxName = kc['current-context'];
  const ctx = kc.contexts?.find((c) => c.name === ctxName) ?? kc.contexts?.[0];
  if (!ctx) throw new Error(`${file}: no context`);
  const cluster = kc.clusters?.find((c) => c.name === ctx.context.cluster)?.cluster;
  const user = kc.users?.find((u) => u.name === ctx.context.user)?.user ?? {};
  if (!cluster?.server) throw new Error(`${file}: cluster ${ctx.context.cluster} has no server`);
  const pem = (data: string | undefined, ref: string | undefined): string | undefined => {
    if (data) return Buffer.from(data, 'base64').toString('utf8');
    if (ref) return readFileSync(path.resolve(dir, ref), 'utf8');
    return undefined;
  };
  const caPem = pem(cluster['certificate-authority-data'], cluster['certificate-authority']);
  if (!caPem) throw new Error(`${file}: cluster ${ctx.context.cluster} has no certificate authority`);
  const certPem = pem(user['client-certificate-data'], user['client-certificate']);
  const keyPem = pem(user['client-key-data'], user['client-key']);
  if (certPem && keyPem) return { server: cluster.server, caPem, certPem, keyPem };
  const token = user.token ?? (user.tokenFile ? readFileSync(path.resolve(dir, user.tokenFile), 'utf8').trim() : undefined);
  if (token) return { server: cluster.server, caPem, token };
  throw new Error(`${file}: user ${ctx.context.user} has neither a client certificate nor a token`);
}

export function clientFromKubeconfig(file: string, opts: { userAgent?: string } = {}): RestClient {
  return createRestClient({ ...configFromKubeconfig(file), ...(opts.userAgent ? { userAgent: opts.userAgent } : {}) });
}
