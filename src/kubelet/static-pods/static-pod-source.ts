/**
 * Static pods merged into a kubelet's pod source. Manifests come from a directory (every file not
 * starting with `.`; fs.watch plus a periodic rescan) and optionally a URL (polled). For each
 * static pod the source keeps a mirror pod in the API (`<name>-<node>`, owned by the Node,
 * `kubernetes.io/config.mirror: <hash>`); the kubelet runs the mirror pod like any pod bound to
 * it, so status shows in `kubectl get pods`. A mirror deleted through the API is recreated; a
 * changed manifest replaces the mirror (new hash); a removed manifest deletes it, which stops the
 * pod. Mirror pods with no current manifest (stale hash, orphan) are never handed to the kubelet.
 *
 * Gap against upstream: the pod runs through its mirror, so it needs the API to start, and a
 * recreated mirror restarts its containers.
 */
import type { FSWatcher } from 'node:fs';
import { readFileSync, readdirSync, statSync, watch } from 'node:fs';
import { join } from 'node:path';
import type { Pod } from '../../apimachinery/generated/types.js';
import type { KubeObject } from '../../apimachinery/object.js';
import type { Logger, RestClient } from '../../client/index.js';
import { isAlreadyExists, isNotFound } from '../../client/index.js';
import { errorText, silentLogger } from '../../client/logger.js';
import type { PodHandlers, PodSource } from '../pod-source.js';
import { PODS_GVR } from '../status-manager.js';
import { CONFIG_MIRROR_ANNOTATION, isMirrorPod, mirrorPodOf, parseManifest } from './manifest.js';
import type { StaticPod } from './manifest.js';

const NODES_GVR = { group: '', version: 'v1', resource: 'nodes' };

export interface StaticPodSourceOptions {
  /** The API pod source the kubelet would use otherwise. */
  inner: PodSource;
  client: RestClient;
  /** `--pod-manifest-path`. */
  manifestPath?: string;
  /** `--manifest-url`. */
  manifestUrl?: string;
  /** Rescan / poll interval (default 10 s). */
  intervalMs?: number;
  logger?: Logger;
}

/** Reads every manifest in a directory; unreadable or invalid files are reported and skipped. */
export function readManifestDir(dir: string, nodeName: string, onError: (err: unknown) => void): StaticPod[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') onError(err);
    return [];
  }
  const out: StaticPod[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const file = join(dir, name);
    try {
      if (!statSync(file).isFile()) continue;
      out.push(...parseManifest(readFileSync(file, 'utf8'), file, 'file', nodeName));
    } catch (err) {
      onError(err);
    }
  }
  return out;
}

export function createStaticPodSource(opts: StaticPodSourceOptions): PodSource {
  const { inner, client } = opts;
  const logger = opts.logger ?? silentLogger;
  const intervalMs = opts.intervalMs ?? 10_000;

  return {
    subscribe(nodeName, handlers) {
      let stopped = false;
      let fromFiles: StaticPod[] = [];
      let fromUrl: StaticPod[] = [];
      let urlOk = false;
      const desired = new Map<string, StaticPod>();
      const recompute = (): void => {
        desired.clear();
        for (const sp of [...fromFiles, ...fromUrl]) {
          const key = `${sp.pod.metadata?.namespace}/${sp.pod.metadata?.name}`;
          if (!desired.has(key)) desired.set(key, sp);
        }
      };
      const wanted = (pod: Pod): boolean => {
        const sp = desired.get(`${pod.metadata?.namespace}/${pod.metadata?.name}`);
        return sp !== undefined && sp.hash === pod.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION];
      };
      const scanFiles = (): void => {
        if (opts.manifestPath) {
          fromFiles = readManifestDir(opts.manifestPath, nodeName, (err) => logger.error({ err: errorText(err) }, 'static pod manifest'));
        }
      };
      scanFiles();
      recompute();

      let nodeUid = '';
      let running = false;
      let again = false;
      async function reconcile(): Promise<void> {
        if (running) {
          again = true;
          return;
        }
        running = true;
        try {
          do {
            again = false;
            if (stopped) return;
            if (!nodeUid) nodeUid = (await client.get(NODES_GVR, nodeName)).metadata.uid ?? '';
            const mirrors = new Map<string, Pod>();
            for (const p of inner.podsOn(nodeName)) {
              if (isMirrorPod(p)) mirrors.set(`${p.metadata?.namespace}/${p.metadata?.name}`, p);
            }
            for (const [key, m] of mirrors) {
              if (wanted(m)) continue;
              // Stale (changed manifest) or orphaned (removed manifest): delete now.
              try {
                await client.delete(PODS_GVR, m.metadata?.name ?? '', {
                  namespace: m.metadata?.namespace, gracePeriodSeconds: 0, preconditions: { uid: m.metadata?.uid ?? '' },
                });
              } catch (err) {
                if (!isNotFound(err)) logger.error({ pod: key, err: errorText(err) }, 'deleting mirror pod failed');
              }
              mirrors.delete(key);
            }
            for (const [key, sp] of desired) {
              if (mirrors.has(key)) continue;
              try {
                await client.create(PODS_GVR, mirrorPodOf(sp, { name: nodeName, uid: nodeUid }) as unknown as KubeObject, {
                  namespace: sp.pod.metadata?.namespace,
                });
                logger.info({ pod: key, hash: sp.hash }, 'created mirror pod');
              } catch (err) {
                // Already exists: an old mirror still terminating; the next pass replaces it.
                if (!isAlreadyExists(err)) logger.error({ pod: key, err: errorText(err) }, 'creating mirror pod failed');
              }
            }
          } while (again);
        } catch (err) {
          logger.error({ node: nodeName, err: errorText(err) }, 'static pod sync failed');
        } finally {
          running = false;
        }
      }
      let kickTimer: NodeJS.Timeout | undefined;
      const kick = (): void => {
        if (stopped || kickTimer) return;
        kickTimer = setTimeout(() => {
          kickTimer = undefined;
          void reconcile();
        }, 100);
      };

      async function pollUrl(): Promise<void> {
        if (!opts.manifestUrl) return;
        try {
          const res = await fetch(opts.manifestUrl, { signal: AbortSignal.timeout(10_000) });
          if (!res.ok) throw new Error(`${opts.manifestUrl}: HTTP ${res.status}`);
          const text = await res.text();
          fromUrl = text.trim() ? parseManifest(text, opts.manifestUrl, 'http', nodeName) : [];
          urlOk = true;
        } catch (err) {
          // Keep the last good set while the URL is unreachable (as upstream).
          if (!urlOk) fromUrl = [];
          logger.error({ url: opts.manifestUrl, err: errorText(err) }, 'static pod manifest URL');
        }
      }

      const rescan = (): void => {
        void (async () => {
          scanFiles();
          await pollUrl();
          if (stopped) return;
          recompute();
          await reconcile();
        })();
      };
      let watcher: FSWatcher | undefined;
      if (opts.manifestPath) {
        try {
          watcher = watch(opts.manifestPath, () => {
            scanFiles();
            recompute();
            kick();
          });
          watcher.on('error', () => undefined);
        } catch {
          // Directory missing: the periodic rescan picks it up once it exists.
        }
      }
      const interval = setInterval(rescan, intervalMs);
      interval.unref();

      const filtered: PodHandlers = {
        onUpsert(pod) {
          if (!isMirrorPod(pod)) return handlers.onUpsert(pod);
          if (wanted(pod)) handlers.onUpsert(pod);
          else kick();
        },
        onDelete(pod) {
          handlers.onDelete(pod);
          if (isMirrorPod(pod)) kick();
        },
      };
      const unsubscribe = inner.subscribe(nodeName, filtered);
      rescan();
      return () => {
        stopped = true;
        clearInterval(interval);
        if (kickTimer) clearTimeout(kickTimer);
        watcher?.close();
        unsubscribe();
      };
    },
    start: () => inner.start(),
    waitForSync: (signal) => inner.waitForSync(signal),
    stop: () => inner.stop(),
    podsOn: (nodeName) => inner.podsOn(nodeName),
  };
}
