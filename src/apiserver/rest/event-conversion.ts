/**
 * events.k8s.io/v1 Events are stored as core/v1 Events (one storage, two views), with upstream's
 * field mapping: regarding↔involvedObject, note↔message, reportingController↔reportingComponent,
 * deprecatedSource↔source, deprecatedFirstTimestamp↔firstTimestamp,
 * deprecatedLastTimestamp↔lastTimestamp, deprecatedCount↔count.
 */
import type { KubeObject } from '../../apimachinery/object.js';
import type { StoredConversion } from './resource-registry.js';

const pairs: [eventsV1: string, coreV1: string][] = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
];

function rename(obj: KubeObject, from: number, to: number): KubeObject {
  const out: KubeObject = { ...obj };
  for (const p of pairs) {
    const src = p[from];
    const dst = p[to];
    if (src in out) {
      const v = out[src];
      delete out[src];
      if (v !== undefined) out[dst] = v;
    }
  }
  return out;
}

export const eventsV1Conversion: StoredConversion = {
  storage: { group: '', resource: 'events', namespaced: true },
  toStorage: (obj) => ({ ...rename(obj, 0, 1), apiVersion: 'v1', kind: 'Event' }),
  fromStorage: (obj) => rename(obj, 1, 0),
};
