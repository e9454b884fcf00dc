/**
 * The kubelet's volume manager (upstream volumemanager + the in-tree plugins it uses): before a
 * pod's containers start, every volume is set up under
 * `<rootDir>/pods/<uid>/volumes/<plugin>/<name>` (plugin directories named as upstream:
 * `kubernetes.io~configmap`, `~secret`, `~downward-api`, `~projected`, `~empty-dir`), and while
 * the pod lives the API-backed volumes (configMap, secret, downwardAPI, projected) are re-synced
 * every `resyncMs` (default 2 s) through the atomic writer, so a changed ConfigMap shows up in the
 * running container within a few seconds. Files of a `subPath` mount are bound by their resolved
 * path at container creation, so they are not updated, as upstream.
 *
 * emptyDir is a 0777 directory in the pod directory; with `medium: Memory` (and for secret and
 * projected volumes, as upstream keeps secrets off disk) it is a tmpfs mount when the kubelet runs
 * as root, else a plain directory. hostPath volumes are the host path itself after the type
 * check. When the pod is gone, `tearDownPod` unmounts the tmpfs mounts and removes the directory.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Container, Pod, Volume } from '../../apimachinery/generated/types.js';
import { parseQuantity } from '../../apimachinery/quantity.js';
import { isNotFound } from '../../client/index.js';
import type { RestClient } from '../../client/rest-client.js';
import type { EnvVarValue, ObjectLookup } from '../env/environment.js';
import { expand, mappingFor } from '../env/expansion.js';
import type { PodRuntimeFacts } from '../env/field-path.js';
import type { Mount } from '../runtime/runtime.js';
import type { TimerHandle, TimerQueue } from '../timer-queue.js';
import type { Payload } from './atomic-writer.js';
import { writeAtomic } from './atomic-writer.js';
import { checkHostPathType } from './host-path.js';
import type { PayloadContext } from './payloads.js';
import { DEFAULT_MODE, VolumeSetupError, configMapPayload, downwardAPIPayload, projectedPayload, secretPayload } from './payloads.js';

const run = promisify(execFile);

export const PLUGIN_DIRS = {
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  downwardAPI: 'kubernetes.io~downward-api',
  projected: 'kubernetes.io~projected',
  emptyDir: 'kubernetes.io~empty-dir',
} as const;

export interface VolumeFailure {
  volume: string;
  message: string;
}

export interface VolumeManagerOptions {
  rootDir: string;
  lookup: ObjectLookup;
  timers: TimerQueue;
  /** Re-sync interval of API-backed volumes (ms); default 2000. */
  resyncMs?: number;
  allocatable(): Record<string, string | number>;
  facts(uid: string): PodRuntimeFacts;
  /** A bound token from the TokenRequest API, or undefined when the server has none to give. */
  serviceAccountToken?(pod: Pod, audience: string, expirationSeconds: number): Promise<string | undefined>;
  /** Resync failures and notes (placeholder token) for events or logs. */
  onProblem?(pod: Pod, volume: string, message: string, warning: boolean): void;
  /** Mount tmpfs for memory-backed volumes; default when running as root. */
  tmpfs?: boolean;
}

export interface VolumeManager {
  /** Sets up (or refreshes) every volume of the pod; returns the volumes that failed. */
  setUpPod(pod: Pod): Promise<VolumeFailure[]>;
  /** The runtime mounts of a container (subPath / subPathExpr resolved). */
  mountsFor(pod: Pod, container: Container, env: EnvVarValue[]): Promise<Mount[]>;
  /** Newer pod object (labels and annotations feed downwardAPI files). */
  updatePod(pod: Pod): void;
  /** Unmounts and removes the pod's volumes. */
  tearDownPod(uid: string): Promise<void>;
  podDir(uid: string): string;
  /** Re-syncs every pod's API-backed volumes once (the periodic loop calls this). */
  resync(): Promise<void>;
  stop(): void;
  readonly pods: number;
}

interface PodVolumes {
  pod: Pod;
  ready: Set<string>;
  notes: Set<string>;
}

function pluginOf(v: Volume): keyof typeof PLUGIN_DIRS | 'hostPath' | undefined {
  if (v.configMap) return 'configMap';
  if (v.secret) return 'secret';
  if (v.downwardAPI) return 'downwardAPI';
  if (v.projected) return 'projected';
  if (v.emptyDir) return 'emptyDir';
  if (v.hostPath) return 'hostPath';
  return undefined;
}

function isApiBacked(v: Volume): boolean {
  return !!(v.configMap || v.secret || v.downwardAPI || v.projected);
}

async function mountedAt(dir: string): Promise<boolean> {
  try {
    const info = await readFile('/proc/self/mountinfo', 'utf8');
    return info.split('\n').some((l) => l.split(' ')[4] === dir);
  } catch {
    return false;
  }
}

export function createVolumeManager(opts: VolumeManagerOptions): VolumeManager {
  const pods = new Map<string, PodVolumes>();
  const tmpfs = opts.tmpfs ?? (typeof process.getuid === 'function' && process.getuid() === 0);
  const resyncMs = opts.resyncMs ?? 2000;
  let timer: TimerHandle | undefined;
  let stopped = false;
  let resyncing = false;
  const tokens = new Map<string, { token: string; refreshAt: number }>();

  const podDir = (uid: string): string => path.join(opts.rootDir, 'pods', uid);
  const volumeDir = (uid: string, plugin: keyof typeof PLUGIN_DIRS, name: string): string =>
    path.join(podDir(uid), 'volumes', PLUGIN_DIRS[plugin], name);

  async function mountTmpfs(dir: string, sizeLimit: string | number | undefined): Promise<void> {
    if (!tmpfs || await mountedAt(dir)) return;
    const options = ['mode=0777'];
    if (sizeLimit !== undefined) options.push(`size=${parseQuantity(sizeLimit).value()}`);
    await run('mount', ['-t', 'tmpfs', '-o', options.join(','), 'tmpfs', dir]);
  }

  function context(st: PodVolumes): PayloadContext {
    const uid = st.pod.metadata?.uid ?? '';
    return {
      pod: st.pod, lookup: opts.lookup, facts: opts.facts(uid), allocatable: opts.allocatable(),
      serviceAccountToken: opts.serviceAccountToken ? async (audience, exp) => {
        const key = `${uid}|${audience}|${exp}`;
        const hit = tokens.get(key);
        if (hit && opts.timers.now() < hit.refreshAt) return hit.token;
        const token = await opts.serviceAccountToken!(st.pod, audience, exp);
        // Refresh at 80% of the lifetime (or after 24 h), as upstream's token manager.
        if (token !== undefined) tokens.set(key, { token, refreshAt: opts.timers.now() + Math.min(exp * 800, 24 * 3600 * 1000) });
        return token;
      } : undefined,
    };
  }

  async function setUpVolume(st: PodVolumes, v: Volume): Promise<void> {
    const uid = st.pod.metadata?.uid ?? '';
    const plugin = pluginOf(v);
    if (!plugin) throw new VolumeSetupError(`volume type of ${JSON.stringify(v.name)} is not supported by this kubelet`);
    if (plugin === 'hostPath') {
      await checkHostPathType(v.hostPath!.path, v.hostPath!.type);
      return;
    }
    const dir = volumeDir(uid, plugin, v.name);
    const fresh = !st.ready.has(v.name);
    if (fresh) {
      await mkdir(dir, { recursive: true, mode: 0o750 });
      if (plugin === 'emptyDir') {
        if (v.emptyDir!.medium === 'Memory') await mountTmpfs(dir, v.emptyDir!.sizeLimit);
        await chmod(dir, 0o777);
      } else if (plugin === 'secret' || plugin === 'projected') {
        await mountTmpfs(dir, undefined);
      }
    }
    if (plugin === 'emptyDir') return;
    const ctx = context(st);
    let payload: Payload;
    if (v.configMap) payload = await configMapPayload(v.configMap, ctx);
    else if (v.secret) payload = await secretPayload(v.secret, ctx);
    else if (v.downwardAPI) payload = downwardAPIPayload(v.downwardAPI.items, v.downwardAPI.defaultMode ?? DEFAULT_MODE, ctx);
    else {
      const r = await projectedPayload(v.projected!, ctx);
      payload = r.payload;
      for (const n of r.notes) {
        if (st.notes.has(n)) continue;
        st.notes.add(n);
        opts.onProblem?.(st.pod, v.name, n, false);
      }
    }
    await writeAtomic(dir, payload);
  }

  async function setUpPod(pod: Pod): Promise<VolumeFailure[]> {
    const uid = pod.metadata?.uid ?? '';
    let st = pods.get(uid);
    if (!st) {
      st = { pod, ready: new Set(), notes: new Set() };
      pods.set(uid, st);
    } else st.pod = pod;
    const failures: VolumeFailure[] = [];
    for (const v of pod.spec?.volumes ?? []) {
      try {
        await setUpVolume(st, v);
        st.ready.add(v.name);
      } catch (err) {
        failures.push({ volume: v.name, message: err instanceof Error ? err.message : String(err) });
      }
    }
    schedule();
    return failures;
  }

  function hostPathFor(uid: string, v: Volume): string {
    if (v.hostPath) return v.hostPath.path;
    const plugin = pluginOf(v);
    if (!plugin || plugin === 'hostPath') throw new VolumeSetupError(`volume ${JSON.stringify(v.name)} has no host path`);
    return volumeDir(uid, plugin, v.name);
  }

  async function mountsFor(pod: Pod, container: Container, env: EnvVarValue[]): Promise<Mount[]> {
    const uid = pod.metadata?.uid ?? '';
    const byName = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
    const out: Mount[] = [];
    const envMap = new Map(env.map((e) => [e.name, e.value]));
    for (const m of container.volumeMounts ?? []) {
      const v = byName.get(m.name);
      if (!v) throw new VolumeSetupError(`cannot find volume "${m.name}" to mount into container "${container.name}"`);
      const base = hostPathFor(uid, v);
      let hostPath = base;
      const sub = m.subPathExpr ? expand(m.subPathExpr, mappingFor(envMap)) : m.subPath;
      if (sub) {
        if (path.isAbsolute(sub) || sub.split('/').includes('..')) throw new VolumeSetupError(`invalid subpath "${sub}"`);
        const full = path.join(base, sub);
        try {
          await realpath(full);
        } catch {
          await mkdir(full, { recursive: true, mode: 0o755 });
        }
        // Bind the file or directory the path resolves to now (for atomic-writer volumes, inside
        // the current timestamped directory), so later updates do not reach it.
        hostPath = await realpath(full);
        const root = await realpath(base);
        if (hostPath !== root && !hostPath.startsWith(`${root}/`)) throw new VolumeSetupError(`subpath "${hostPath}" not within volume path "${root}"`);
      }
      out.push({ containerPath: m.mountPath, hostPath, readonly: m.readOnly === true || isApiBacked(v) });
    }
    return out;
  }

  async function resync(): Promise<void> {
    if (resyncing) return;
    resyncing = true;
    try {
      for (const st of [...pods.values()]) {
        for (const v of st.pod.spec?.volumes ?? []) {
          if (!isApiBacked(v) || !st.ready.has(v.name)) continue;
          try {
            await setUpVolume(st, v);
          } catch (err) {
            opts.onProblem?.(st.pod, v.name, err instanceof Error ? err.message : String(err), true);
          }
        }
      }
    } finally {
      resyncing = false;
    }
  }

  function schedule(): void {
    if (timer || stopped || pods.size === 0) return;
    timer = opts.timers.after(resyncMs, () => {
      void resync().finally(() => {
        timer = undefined;
        schedule();
      });
    });
  }

  async function tearDownPod(uid: string): Promise<void> {
    pods.delete(uid);
    for (const k of [...tokens.keys()]) if (k.startsWith(`${uid}|`)) tokens.delete(k);
    const dir = podDir(uid);
    const volumesDir = path.join(dir, 'volumes');
    // Unmount whatever tmpfs this kubelet mounted below the pod's volumes, deepest first.
    let mounts: string[] = [];
    try {
      const info = await readFile('/proc/self/mountinfo', 'utf8');
      mounts = info.split('\n').map((l) => l.split(' ')[4] ?? '').filter((p) => p.startsWith(`${volumesDir}/`));
    } catch {
      mounts = [];
    }
    mounts.sort((a, b) => b.length - a.length);
    for (const m of mounts) await run('umount', [m]);
    await rm(dir, { recursive: true, force: true });
  }

  return {
    setUpPod, mountsFor, tearDownPod, resync, podDir,
    updatePod(pod) {
      const st = pods.get(pod.metadata?.uid ?? '');
      if (st) st.pod = pod;
    },
    stop() {
      stopped = true;
      timer?.cancel();
      timer = undefined;
    },
    get pods() {
      return pods.size;
    },
  };
}

/**
 * A bound token for the pod's service account from the TokenRequest API
 * (`POST .../serviceaccounts/<name>/token`, audience and lifetime as asked, bound to the pod);
 * `undefined` when the server has no such subresource (404 / 405).
 */
export async function requestServiceAccountToken(client: RestClient, pod: Pod, audience: string, expirationSeconds: number): Promise<string | undefined> {
  const ns = pod.metadata?.namespace ?? 'default';
  const sa = pod.spec?.serviceAccountName || 'default';
  try {
    const res = await client.request<{ status?: { token?: string } }>({
      method: 'POST', path: `/api/v1/namespaces/${encodeURIComponent(ns)}/serviceaccounts/${encodeURIComponent(sa)}/token`,
      body: {
        apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest',
        spec: {
          audiences: audience ? [audience] : [], expirationSeconds,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' },
        },
      },
    });
    return res.status?.token;
  } catch (err) {
    if (isNotFound(err) || isMethodNotSupported(err)) return undefined;
    throw err;
  }
}

function isMethodNotSupported(err: unknown): boolean {
  const e = err as { code?: number; status?: { code?: number } } | undefined;
  return e?.code === 405 || e?.status?.code === 405;
}
