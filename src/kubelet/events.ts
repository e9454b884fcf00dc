/**
 * core/v1 Events as the kubelet's recorder writes them: source `kubelet` on this host, named
 * `<object>.<hex nanoseconds>`, and repeats of the same event (same object, type, reason and
 * message) folded into one whose `count` and `lastTimestamp` move (upstream's event correlator).
 * Writing is fire-and-forget through a shared concurrency limit; failures are logged, never thrown.
 */
import type { Event, ObjectReference } from '../apimachinery/generated/types.js';
import type { KubeObject } from '../apimachinery/object.js';
import type { RestClient } from '../client/rest-client.js';
import type { Logger } from '../client/logger.js';
import { errorText, silentLogger } from '../client/logger.js';
import type { Limiter } from './limiter.js';
import { createLimiter } from './limiter.js';

export const EVENTS_GVR = { group: '', version: 'v1', resource: 'events' };

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  event(ref: ObjectReference, type: EventType, reason: string, message: string): void;
}

export interface EventSink {
  /** One recorder per host (node name). */
  recorderFor(host: string): EventRecorder;
  /** Resolves once every write issued so far has finished. */
  flush(): Promise<void>;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  first: string;
  pending: Promise<void> | undefined;
}

const MAX_REMEMBERED = 4096;

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

export function createEventSink(client: RestClient, opts: { limiter?: Limiter; logger?: Logger; enabled?: boolean } = {}): EventSink {
  const limiter = opts.limiter ?? createLimiter(16);
  const logger = opts.logger ?? silentLogger;
  const seen = new Map<string, Seen>();
  const inflight = new Set<Promise<void>>();

  function track(p: Promise<void>): void {
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  }

  function record(host: string, ref: ObjectReference, type: EventType, reason: string, message: string): void {
    if (opts.enabled === false) return;
    const now = new Date();
    const namespace = ref.namespace || 'default';
    const key = [host, ref.kind, namespace, ref.name, ref.uid, ref.fieldPath, type, reason, message].join('\u0000');
    const prior = seen.get(key);
    if (prior) {
      prior.count++;
      // Refresh LRU position.
      seen.delete(key);
      seen.set(key, prior);
      const count = prior.count;
      const after = prior.pending ?? Promise.resolve();
      const p = after.then(() => limiter.run(async () => {
        try {
          await client.patch(EVENTS_GVR, prior.name, {
            namespace: prior.namespace, type: 'merge', patch: { count, lastTimestamp: rfc3339(now) },
          });
        } catch (err) {
          logger.debug({ err: errorText(err), reason }, 'event update failed');
        }
      }));
      prior.pending = p;
      track(p);
      return;
    }
    const name = `${ref.name ?? 'unknown'}.${(BigInt(now.getTime()) * 1_000_000n + BigInt(Math.floor(Math.random() * 1e6))).toString(16)}`;
    const ts = rfc3339(now);
    const ev: Event = {
      apiVersion: 'v1', kind: 'Event',
      metadata: { name, namespace },
      involvedObject: ref, reason, message, type,
      source: { component: 'kubelet', host },
      firstTimestamp: ts, lastTimestamp: ts, count: 1,
      reportingComponent: 'kubelet', reportingInstance: host,
    };
    const entry: Seen = { name, namespace, count: 1, first: ts, pending: undefined };
    seen.set(key, entry);
    if (seen.size > MAX_REMEMBERED) {
      const oldest = seen.keys().next().value;
      if (oldest !== undefined) seen.delete(oldest);
    }
    const p = limiter.run(async () => {
      try {
        await client.create(EVENTS_GVR, ev as unknown as KubeObject, { namespace });
      } catch (err) {
        logger.debug({ err: errorText(err), reason }, 'event create failed');
      }
    });
    entry.pending = p;
    track(p);
  }

  return {
    recorderFor(host) {
      return { event: (ref, type, reason, message) => record(host, ref, type, reason, message) };
    },
    async flush() {
      while (inflight.size > 0) await Promise.all([...inflight]);
    },
  };
}
