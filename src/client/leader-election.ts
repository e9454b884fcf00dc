/**
 * Lease-based leader election (client-go leaderelection with a LeaseLock):
 * - a candidate tries every `retryPeriod` (with jitter) to create or take over the Lease; a lease
 *   held by someone else is taken only when this candidate has not seen it change for
 *   `leaseDuration` (measured on the local clock, so clock skew between machines does not matter);
 * - the leader renews every `retryPeriod`; when no renewal succeeded for `renewDeadline` it stops
 *   leading: the signal given to `onStartedLeading` aborts and `onStoppedLeading` runs;
 * - with `releaseOnCancel`, aborting the outer signal hands the lease back (empty holder,
 *   1 s duration) so the next candidate need not wait.
 */
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Lease } from '../apimachinery/generated/types.js';
import type { KubeObject } from '../apimachinery/object.js';
import type { GroupVersionResource, RestClient } from './rest-client.js';
import { isNotFound } from './rest-client.js';
import type { Logger } from './logger.js';
import { errorText, silentLogger } from './logger.js';

export const LEASES: GroupVersionResource = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' };

type LeaseObject = Lease & KubeObject;

export interface LeaderElectionOptions {
  client: RestClient;
  /** Lease name, e.g. `kube-controller-manager`. */
  name: string;
  namespace?: string;
  /** Default `<hostname>_<uuid>`. */
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  releaseOnCancel?: boolean;
  /** Runs once leadership is won; `signal` aborts when it is lost or the election ends. */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  onStoppedLeading?(): void;
  onNewLeader?(identity: string): void;
  signal: AbortSignal;
  logger?: Logger;
  now?: () => number;
}

export function defaultIdentity(): string {
  return `${hostname()}_${randomUUID()}`;
}

/** RFC 3339 with microseconds, as metav1.MicroTime. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function jittered(ms: number, factor = 1.2): number {
  return ms + Math.random() * ms * (factor - 1);
}

/**
 * Runs the election until `signal` aborts. Resolves after leadership (if won) ended; a
 * candidate that lost its lease does not campaign again (as client-go: the caller restarts).
 */
export async function runLeaderElection(opts: LeaderElectionOptions): Promise<void> {
  const client = opts.client;
  const namespace = opts.namespace ?? 'kube-system';
  const identity = opts.identity ?? defaultIdentity();
  const leaseDurationMs = opts.leaseDurationMs ?? 15_000;
  const renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
  const retryPeriodMs = opts.retryPeriodMs ?? 2_000;
  const logger = opts.logger ?? silentLogger;
  const now = opts.now ?? Date.now;
  if (leaseDurationMs <= renewDeadlineMs) throw new Error('leaseDuration must be greater than renewDeadline');
  if (renewDeadlineMs <= retryPeriodMs * 1.2) throw new Error('renewDeadline must be greater than retryPeriod*1.2');

  let observedSpec = '';
  let observedTime = 0;
  let observedHolder = '';
  let current: LeaseObject | undefined;

  const observe = (lease: LeaseObject): void => {
    const spec = JSON.stringify(lease.spec ?? {});
    if (spec !== observedSpec) {
      observedSpec = spec;
      observedTime = now();
    }
    const holder = lease.spec?.holderIdentity ?? '';
    if (holder !== observedHolder) {
      observedHolder = holder;
      if (holder) opts.onNewLeader?.(holder);
    }
    current = lease;
  };

  async function tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const t = now();
    const desired = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.round(leaseDurationMs / 1000),
      acquireTime: microTime(t),
      renewTime: microTime(t),
      leaseTransitions: 0,
    };
    let lease: LeaseObject;
    try {
      lease = await client.get<LeaseObject>(LEASES, opts.name, { namespace, signal });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      const created = await client.create<LeaseObject>(LEASES, {
        apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: opts.name, namespace }, spec: desired,
      }, { namespace, signal });
      observe(created);
      return true;
    }
    observe(lease);
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const duration = (spec.leaseDurationSeconds ?? 0) * 1000;
    if (holder && holder !== identity && observedTime + duration > t) return false;
    if (holder === identity) {
      desired.acquireTime = spec.acquireTime ?? desired.acquireTime;
      desired.leaseTransitions = spec.leaseTransitions ?? 0;
    } else {
      desired.leaseTransitions = (spec.leaseTransitions ?? 0) + 1;
    }
    const updated = await client.update<LeaseObject>(LEASES, { ...lease, spec: { ...spec, ...desired } }, { namespace, signal });
    observe(updated);
    return true;
  }

  const attempt = async (signal: AbortSignal): Promise<boolean> => {
    try {
      return await tryAcquireOrRenew(signal);
    } catch (err) {
      if (!signal.aborted) logger.debug({ lease: `${namespace}/${opts.name}`, err: errorText(err) }, 'leader election attempt failed');
      return false;
    }
  };

  // Acquire.
  while (!opts.signal.aborted) {
    if (await attempt(opts.signal)) break;
    await sleep(jittered(retryPeriodMs), opts.signal);
  }
  if (opts.signal.aborted) return;
  logger.info({ lease: `${namespace}/${opts.name}`, identity }, 'became leader');

  const leading = new AbortController();
  // Every informer and worker of the leader listens on this signal.
  setMaxListeners(0, leading.signal);
  const stopLeading = (): void => leading.abort();
  opts.signal.addEventListener('abort', stopLeading, { once: true });
  void Promise.resolve()
    .then(() => opts.onStartedLeading(leading.signal))
    .catch((err: unknown) => logger.error({ err: errorText(err) }, 'leader callback failed'));

  // Renew.
  let lastRenew = now();
  while (!leading.signal.aborted) {
    await sleep(retryPeriodMs, leading.signal);
    if (leading.signal.aborted) break;
    let renewed = false;
    while (!leading.signal.aborted && now() - lastRenew < renewDeadlineMs) {
      const timeout = AbortSignal.timeout(Math.max(1, renewDeadlineMs - (now() - lastRenew)));
      if (await attempt(AbortSignal.any([leading.signal, timeout]))) {
        renewed = true;
        break;
      }
      await sleep(retryPeriodMs / 2, leading.signal);
    }
    if (!renewed) {
      if (!leading.signal.aborted) logger.error({ lease: `${namespace}/${opts.name}`, identity }, 'leader election lost');
      break;
    }
    lastRenew = now();
  }
  leading.abort();
  opts.signal.removeEventListener('abort', stopLeading);

  if (opts.releaseOnCancel && opts.signal.aborted && current?.spec?.holderIdentity === identity) {
    try {
      const t = now();
      await client.update<LeaseObject>(LEASES, {
        ...current,
        spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(t), acquireTime: microTime(t) },
      }, { namespace, signal: AbortSignal.timeout(retryPeriodMs * 2) });
    } catch (err) {
      logger.debug({ err: errorText(err) }, 'releasing the lease failed');
    }
  }
  opts.onStoppedLeading?.();
}
