/**
 * The watch stream: newline-delimited JSON events over a chunked HTTP response, fed by the
 * resource's watch cache, filtered by namespace, name and selectors (objects moving into or out
 * of a selector become ADDED / DELETED as upstream), with bookmarks and timeouts.
 */
import { CompactedError } from '../../storage/store.js';
import type { KeyValue, WatchEvent } from '../../storage/store.js';
import type { KubeObject } from '../../apimachinery/object.js';
import { groupVersion } from '../../apimachinery/resource-info.js';
import { tooOldResourceVersion, badRequest } from '../../apimachinery/errors.js';
import { buildFilter } from '../rest/filter.js';
import { boolParam, intParam, responseShape } from './negotiation.js';
import { toPartialMetadata, toTable } from './tables.js';
import type { HandlerContext } from './resource-handler.js';

const BOOKMARK_INTERVAL_MS = 5000;
const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;

export async function serveWatch(ctx: HandlerContext): Promise<void> {
  const { req, res, query: q, registry, resource } = ctx;
  const namespace = ctx.info.namespace;
  let fieldSelector = q.get('fieldSelector') ?? '';
  if (ctx.info.name) fieldSelector = [fieldSelector, `metadata.name=${ctx.info.name}`].filter(Boolean).join(',');
  const filter = buildFilter({
    labelSelector: q.get('labelSelector') ?? '', fieldSelector,
    strategy: registry.strategy, namespaced: resource.namespaced, resource: resource.resource,
  });
  const prefix = registry.prefix(namespace);
  const rv = q.get('resourceVersion') ?? '';
  if (rv !== '' && !/^\d+$/.test(rv)) throw badRequest(`resourceVersion: Invalid value: "${rv}": must be a non-negative integer`);
  const bookmarks = boolParam(q, 'allowWatchBookmarks');
  const sendInitial = q.get('sendInitialEvents');
  const timeoutSeconds = intParam(q, 'timeoutSeconds');
  const shape = responseShape(req.headers.accept);

  // Initial state: rv "" or "0" (or sendInitialEvents=true) lists first, then streams from there.
  const initial = sendInitial === 'true' || (sendInitial === null && (rv === '' || rv === '0'));
  let startRevision = rv === '' ? 0 : Number(rv);
  let initialItems: KeyValue[] = [];
  const cache = registry.watchCache();
  if (initial) {
    const snap = rv === '' ? await registry.snapshot(namespace) : await cache.listAtLeast(Number(rv));
    initialItems = snap.items.filter((kv) => kv.key.startsWith(prefix));
    startRevision = snap.revision;
  } else if (rv === '') {
    startRevision = await registryCurrent(ctx);
  }

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  let firstTable = true;
  let closed = false;
  let lastSent = Date.now();

  const encodeObject = (obj: KubeObject): unknown => {
    if (shape === 'table') {
      const t = toTable(resource, [obj], { query: q, omitColumns: !firstTable });
      firstTable = false;
      return t;
    }
    if (shape === 'metadata') return toPartialMetadata(obj);
    return obj;
  };
  const send = (type: string, obj: unknown): void => {
    if (closed) return;
    res.write(JSON.stringify({ type, object: obj }) + '\n');
    lastSent = Date.now();
    if (res.writableLength > MAX_BUFFERED_BYTES) finish();
  };
  const bookmark = (revision: number, extra?: Record<string, string>): void => {
    send('BOOKMARK', {
      kind: resource.kind, apiVersion: groupVersion(resource),
      metadata: { resourceVersion: String(revision), ...(extra ? { annotations: extra } : {}) },
    });
  };

  let timer: NodeJS.Timeout | undefined;
  const watcherRef: { close(): void } = { close() {} };
  const finish = (): void => {
    if (closed) return;
    closed = true;
    if (timer) clearTimeout(timer);
    watcherRef.close();
    res.end();
  };
  req.on('close', finish);
  res.on('close', finish);
  if (timeoutSeconds !== undefined && timeoutSeconds > 0) timer = setTimeout(finish, timeoutSeconds * 1000);

  for (const kv of initialItems) {
    const obj = registry.decode(kv);
    if (filter(obj)) send('ADDED', encodeObject(obj));
  }
  if (initial && sendInitial === 'true' && bookmarks) bookmark(startRevision, { 'k8s.io/initial-events-end': 'true' });

  const onEvent = (ev: WatchEvent): void => {
    if (!ev.kv.key.startsWith(prefix)) return;
    const cur = registry.decode(ev.kv);
    if (ev.type === 'create') {
      if (filter(cur)) send('ADDED', encodeObject(cur));
      return;
    }
    const prev = ev.prevKv ? registry.decode(ev.prevKv) : undefined;
    if (ev.type === 'delete') {
      const gone = prev ?? cur;
      gone.metadata.resourceVersion = String(ev.revision);
      if (filter(gone)) send('DELETED', encodeObject(gone));
      return;
    }
    const was = prev ? filter(prev) : false;
    const is = filter(cur);
    if (was && is) send('MODIFIED', encodeObject(cur));
    else if (is) send('ADDED', encodeObject(cur));
    else if (was) send('DELETED', encodeObject(cur));
  };

  if (closed) return;
  const w = cache.watch(startRevision, {
    onEvents(events) {
      for (const ev of events) onEvent(ev);
    },
    onError(err) {
      if (err instanceof CompactedError) {
        send('ERROR', tooOldResourceVersion(startRevision).toStatus());
      } else {
        send('ERROR', { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: err.message, reason: 'InternalError', code: 500 });
      }
      finish();
    },
    onBookmark(revision) {
      if (bookmarks && Date.now() - lastSent >= BOOKMARK_INTERVAL_MS) bookmark(revision);
    },
  });
  watcherRef.close = () => w.close();
  if (closed) w.close();
}

async function registryCurrent(ctx: HandlerContext): Promise<number> {
  return ctx.registry.currentRevision();
}
