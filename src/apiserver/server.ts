/**
 * The API server: HTTPS listener, authentication, non-resource endpoints (health, version,
 * discovery, OpenAPI) and routing of resource requests to per-resource registries.
 */
import https from 'node:https';
import { ServerResponse } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { StatusError, unauthorized } from '../apimachinery/errors.js';
import type { ResourceInfo } from '../apimachinery/resource-info.js';
import { RESOURCES } from '../apimachinery/generated/resources.js';
import type { Store } from '../storage/store.js';
import { writeError, writeJson } from './codec.js';
import { parseRequestInfo } from './request-info.js';
import type { ResourceRequestInfo } from './request-info.js';
import {
  acceptsAggregatedDiscovery, aggregatedDiscovery, AGGREGATED_DISCOVERY_CONTENT_TYPE, apiGroup, apiGroupList,
  apiResourceList, apiVersions, findResource,
} from './discovery.js';
import { openapiV2Document, openapiV3Index, openapiV3Response } from './openapi.js';
import { OPENAPI_V2_PROTO_ACCEPT, OPENAPI_V2_PROTO_CONTENT_TYPE, openapiV2Protobuf } from './openapi-v2-proto.js';
import { handleResource } from './handlers/resource-handler.js';
import type { HandlerContext } from './handlers/resource-handler.js';
import { handleVirtual } from './handlers/virtual.js';
import { handleMetrics } from './metrics/handler.js';
import { METRICS_GROUP, SERVED_RESOURCES } from './metrics/resources.js';
import { createSummaryCache } from './metrics/summary-client.js';
import { handlePodStreamUpgrade, parsePodStreamPath } from './handlers/pod-stream.js';
import type { Authenticator, UserInfo } from './auth/authenticator.js';
import type { TokenIssuer } from './auth/service-account-token.js';
import type { OpenRoute } from './node-join.js';
import { ResourceRegistry } from './rest/resource-registry.js';
import { resourcePrefix } from './rest/keys.js';
import { createResourceCache } from './rest/store-cache.js';
import type { ResourceWatchCache } from './rest/cache.js';
import { getStrategy } from './registry/index.js';
import { createRegistryHooks } from './rest/hooks.js';
import { createAdmissionChain, defaultPlugins } from './admission/index.js';
import { eventsV1Conversion } from './rest/event-conversion.js';
import { hpaV1Conversion } from './rest/hpa-conversion.js';
import type { ServiceAllocators } from './allocators/service-allocators.js';
import { createServiceAllocators } from './allocators/service-allocators.js';
import { log } from '../cli/log.js';

export const SERVER_VERSION = {
  major: '1', minor: '32', gitVersion: 'v1.32.4-skiff', gitCommit: 'skiff', gitTreeState: 'clean',
  buildDate: '2026-11-24T00:00:00Z', goVersion: `node${process.versions.node}`, compiler: 'tsc',
  platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
};

export interface ApiServerOptions {
  store: Store;
  tls: { cert: string; key: string; ca: string };
  authenticator: Authenticator;
  serviceCidr: string;
  nodePortRange: string;
  /**
   * A garbage collector runs against this server (default true), so Orphan/Foreground deletes
   * add the `orphan` / `foregroundDeletion` finalizers as upstream.
   */
  garbageCollector?: boolean;
  /** Issues service account tokens for the TokenRequest API. */
  tokens?: TokenIssuer;
  /** Endpoints served before authentication (node join: `/cacerts`, kubelet certificates). */
  openRoutes?: OpenRoute[];
}

export interface ApiServer {
  listen(port: number, host: string): Promise<number>;
  /** Resolves once caches are filled and requests can be served. */
  ready: Promise<void>;
  /** Makes /readyz answer 200 (after bootstrap objects exist). */
  markReady(): void;
  registryFor(group: string, resource: string): ResourceRegistry | undefined;
  allocators: ServiceAllocators;
  close(): Promise<void>;
}

export function createApiServer(opts: ApiServerOptions): ApiServer {
  const caches = new Map<string, ResourceWatchCache & { close(): void; ready: Promise<void> }>();
  const registries = new Map<string, ResourceRegistry>();
  const byGroupResource = new Map<string, ResourceRegistry>();
  const allocators = createServiceAllocators({ serviceCidr: opts.serviceCidr, nodePortRange: opts.nodePortRange });
  const summaries = createSummaryCache();
  const hooks = createRegistryHooks({
    registryFor: (g, r) => byGroupResource.get(`${g}/${r}`), allocators,
    gcEnabled: () => opts.garbageCollector ?? true,
    admission: createAdmissionChain(defaultPlugins({ registryFor: (g, r) => byGroupResource.get(`${g}/${r}`) })),
  });

  for (const info of RESOURCES) {
    if (info.virtual) continue;
    const conversion = info.group === 'events.k8s.io' && info.resource === 'events' ? eventsV1Conversion
      : info.group === 'autoscaling' && info.version === 'v1' && info.resource === 'horizontalpodautoscalers' ? hpaV1Conversion
        : undefined;
    const prefix = resourcePrefix(conversion?.storage ?? info);
    let cache = caches.get(prefix);
    if (!cache) {
      cache = createResourceCache(opts.store, prefix);
      caches.set(prefix, cache);
    }
    const reg = new ResourceRegistry(info, opts.store, cache, getStrategy(info.group, info.resource), hooks, conversion);
    registries.set(`${info.group}/${info.version}/${info.resource}`, reg);
    // The preferred (first listed) version serves in-process lookups.
    if (!byGroupResource.has(`${info.group}/${info.resource}`)) byGroupResource.set(`${info.group}/${info.resource}`, reg);
  }

  let isReady = false;
  let cachesReady = false;
  const ready = (async () => {
    await Promise.all([...caches.values()].map((c) => c.ready));
    await allocators.repair(byGroupResource.get('/services'));
    cachesReady = true;
  })();

  const server = https.createServer({
    cert: opts.tls.cert, key: opts.tls.key, ca: opts.tls.ca, requestCert: true, rejectUnauthorized: false,
    keepAlive: true,
  }, onRequest);

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    handle(req, res).catch((err) => {
      if (!(err instanceof StatusError)) log.error({ err: String(err instanceof Error ? err.stack : err), url: req.url }, 'request failed');
      writeError(res, err);
    });
  }

  // Pod exec/attach/portforward upgrade; any other upgrade request is served as a plain request.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const stream = parsePodStreamPath(new URL(req.url ?? '/', 'https://localhost'));
    if (stream) {
      void handlePodStreamUpgrade(req, socket, head, stream, { authenticator: opts.authenticator, registryFor: (g, r) => byGroupResource.get(`${g}/${r}`), ready });
      return;
    }
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    res.on('finish', () => socket.end());
    onRequest(req, res);
  });
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  server.requestTimeout = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (log.level >= 4) log.debug({ method: req.method, url: req.url }, 'request');
    // Open endpoints.
    if (path === '/healthz' || path === '/livez') return void writeRaw(res, 200, 'ok');
    if (path === '/readyz') return void (isReady ? writeRaw(res, 200, 'ok') : writeRaw(res, 500, '[-]informer-sync failed: reason withheld\nreadyz check failed'));
    if (path === '/version') return void writeJson(res, 200, SERVER_VERSION);
    for (const route of opts.openRoutes ?? []) if (await route(req, res, path)) return;

    const user = opts.authenticator.authenticate(req);
    if (!user) throw unauthorized();

    const info = parseRequestInfo(req.method ?? 'GET', url.pathname, url.searchParams);
    if (!info.isResourceRequest) return handleNonResource(req, res, path, url);
    if (!cachesReady) await ready;
    return routeResource(req, res, info, url.searchParams, user);
  }

  function writeRaw(res: ServerResponse, code: number, text: string): void {
    res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
    res.end(text);
  }

  function handleNonResource(req: IncomingMessage, res: ServerResponse, path: string, url: URL): void {
    const accept = req.headers.accept;
    if (path === '/api') {
      if (acceptsAggregatedDiscovery(accept)) return void writeJson(res, 200, aggregatedDiscovery('api', SERVED_RESOURCES), { 'Content-Type': AGGREGATED_DISCOVERY_CONTENT_TYPE });
      const host = String(req.headers.host ?? '127.0.0.1:6443');
      return void writeJson(res, 200, apiVersions(host));
    }
    if (path === '/apis') {
      if (acceptsAggregatedDiscovery(accept)) return void writeJson(res, 200, aggregatedDiscovery('apis', SERVED_RESOURCES), { 'Content-Type': AGGREGATED_DISCOVERY_CONTENT_TYPE });
      return void writeJson(res, 200, apiGroupList(SERVED_RESOURCES));
    }
    if (path === '/api/v1') {
      const l = apiResourceList('', 'v1');
      if (l) return void writeJson(res, 200, l);
    }
    const groupMatch = /^\/apis\/([^/]+)$/.exec(path);
    if (groupMatch) {
      const g = apiGroup(groupMatch[1], SERVED_RESOURCES);
      if (g) return void writeJson(res, 200, g);
    }
    const gvMatch = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
    if (gvMatch) {
      const l = apiResourceList(gvMatch[1], gvMatch[2], SERVED_RESOURCES);
      if (l) return void writeJson(res, 200, l);
    }
    if (path === '/openapi/v2') {
      const proto = accept ? OPENAPI_V2_PROTO_ACCEPT.exec(accept) : null;
      const json = accept ? /application\/json|\*\/\*/.exec(accept) : null;
      if (proto && (!json || proto.index < json.index)) {
        res.writeHead(200, { 'Content-Type': OPENAPI_V2_PROTO_CONTENT_TYPE });
        return void res.end(openapiV2Protobuf(openapiV2Document()));
      }
      if (accept && !/application\/json|\*\/\*/.test(accept)) {
        throw new StatusError(406, 'NotAcceptable', `only the following media types are accepted: application/json`);
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return void res.end(openapiV2Document());
    }
    if (path === '/openapi/v3') return void writeJson(res, 200, openapiV3Index());
    if (path.startsWith('/openapi/v3/')) {
      const r = openapiV3Response(path.slice('/openapi/v3/'.length), {
        hash: url.searchParams.get('hash') ?? undefined, ifNoneMatch: req.headers['if-none-match'],
      });
      res.writeHead(r.status, r.headers);
      return void res.end(r.body);
    }
    if (path === '/') {
      return void writeJson(res, 200, { paths: ['/api', '/api/v1', '/apis', '/healthz', '/livez', '/openapi/v2', '/openapi/v3', '/readyz', '/version'] });
    }
    throw new StatusError(404, 'NotFound', 'the server could not find the requested resource', { causes: [{ type: 'UnexpectedServerResponse', message: '404 page not found' }] });
  }

  async function routeResource(req: IncomingMessage, res: ServerResponse, info: ResourceRequestInfo, query: URLSearchParams, user: UserInfo): Promise<void> {
    const resource: ResourceInfo | undefined = findResource(info.group, info.version, info.resource, SERVED_RESOURCES);
    if (!resource) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
    if (!resource.namespaced && info.namespace) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
    if (resource.group === METRICS_GROUP) return handleMetrics({ info, query, res, accept: req.headers.accept, registryFor: (g, r) => byGroupResource.get(`${g}/${r}`) }, summaries);
    if (resource.virtual) return handleVirtual({ req, res, info, query, resource, user, registryFor: (g, r) => byGroupResource.get(`${g}/${r}`) });
    const registry = registries.get(`${info.group}/${info.version}/${info.resource}`);
    if (!registry) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
    if (resource.namespaced && !info.namespace && info.name) {
      throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
    }
    const ctx: HandlerContext = { req, res, info, query, resource, registry, user, registryFor: (g, r) => byGroupResource.get(`${g}/${r}`), tokens: opts.tokens };
    return handleResource(ctx);
  }

  return {
    ready,
    allocators,
    markReady() { isReady = true; },
    registryFor: (g, r) => byGroupResource.get(`${g}/${r}`),
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
      });
    },
    async close() {
      for (const c of caches.values()) c.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
