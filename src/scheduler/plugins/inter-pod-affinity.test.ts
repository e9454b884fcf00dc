import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Affinity, PodAffinityTerm } from '../../apimachinery/generated/types.js';
import { Snapshot } from '../framework/snapshot.js';
import {
  create,
  ERR_REASON_AFFINITY_RULES_NOT_MATCH as AFF,
  ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH as ANTI,
  ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH as EXISTING,
} from './inter-pod-affinity.js';
import { build, filterAll, makeNode, makePod, scoreAll } from './testing.js';

const ZONE = 'topology.kubernetes.io/zone';
const HOST = 'kubernetes.io/hostname';
const term = (app: string, topologyKey: string, extra: Partial<PodAffinityTerm> = {}): PodAffinityTerm => ({ labelSelector: { matchLabels: { app } }, topologyKey, ...extra });

const nodes = [
  makeNode('a1', { labels: { [ZONE]: 'a' } }),
  makeNode('a2', { labels: { [ZONE]: 'a' } }),
  makeNode('b1', { labels: { [ZONE]: 'b' } }),
  makeNode('nozone'),
];

function run(affinity: Affinity | undefined, existing: ReturnType<typeof makePod>[], labels: Record<string, string> = { app: 'me' }) {
  const snap = Snapshot.fromObjects(nodes, existing);
  const { plugin } = build((h) => create(h), snap);
  return filterAll(plugin, makePod('p', { affinity, labels }), snap);
}

describe('InterPodAffinity filter', () => {
  const db = makePod('db', { nodeName: 'a1', labels: { app: 'db' } });
  const cases: { name: string; affinity?: Affinity; existing: ReturnType<typeof makePod>[]; labels?: Record<string, string>; want: Record<string, string> }[] = [
    { name: 'no terms and no existing anti-affinity: all pass', existing: [db], want: { a1: '', a2: '', b1: '', nozone: '' } },
    {
      name: 'required affinity to db by zone',
      affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db', ZONE)] } },
      existing: [db],
      want: { a1: '', a2: '', b1: AFF, nozone: AFF },
    },
    {
      name: 'required affinity with no match anywhere fails unless self-matching',
      affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web', ZONE)] } },
      existing: [db],
      want: { a1: AFF, a2: AFF, b1: AFF, nozone: AFF },
    },
    {
      name: 'first pod of a self-selecting group may go where the key exists',
      affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('me', ZONE)] } },
      existing: [db],
      want: { a1: '', a2: '', b1: '', nozone: AFF },
    },
    {
      name: 'namespaces restrict the match',
      affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db', ZONE, { namespaces: ['other'] })] } },
      existing: [db],
      want: { a1: AFF, a2: AFF, b1: AFF, nozone: AFF },
    },
    {
      name: 'required anti-affinity by hostname',
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db', HOST)] } },
      existing: [db],
      want: { a1: ANTI, a2: '', b1: '', nozone: '' },
    },
    {
      name: 'required anti-affinity by zone',
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db', ZONE)] } },
      existing: [db],
      want: { a1: ANTI, a2: ANTI, b1: '', nozone: '' },
    },
    {
      name: "existing pod's anti-affinity repels the pod",
      existing: [makePod('lonely', { nodeName: 'b1', labels: { app: 'x' }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('me', ZONE)] } } })],
      want: { a1: '', a2: '', b1: EXISTING, nozone: '' },
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(run(c.affinity, c.existing, c.labels), c.want));
});

describe('InterPodAffinity score', () => {
  it('preferred affinity and anti-affinity, min-max normalized', () => {
    const existing = [makePod('db', { nodeName: 'a1', labels: { app: 'db' } }), makePod('cache', { nodeName: 'b1', labels: { app: 'cache' } })];
    const snap = Snapshot.fromObjects(nodes, existing);
    const { plugin } = build((h) => create(h), snap);
    const affinity: Affinity = {
      podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term('db', ZONE) }] },
      podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, podAffinityTerm: term('cache', ZONE) }] },
    };
    // a*: +10, b1: -5, nozone: 0 → min -5, max 10
    assert.deepEqual(scoreAll(plugin, makePod('p', { affinity }), snap), { a1: 100, a2: 100, b1: 0, nozone: 33 });
  });
  it("existing pods' required affinity counts with the hard weight", () => {
    const existing = [makePod('fan', { nodeName: 'b1', labels: { app: 'fan' }, affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('me', ZONE)] } } })];
    const snap = Snapshot.fromObjects(nodes, existing);
    const { plugin } = build((h) => create(h), snap);
    assert.deepEqual(scoreAll(plugin, makePod('p', { labels: { app: 'me' } }), snap), { a1: 0, a2: 0, b1: 100, nozone: 0 });
  });
  it('nothing to score: skipped', () => {
    const snap = Snapshot.fromObjects(nodes, []);
    const { plugin } = build((h) => create(h), snap);
    assert.equal(scoreAll(plugin, makePod('p'), snap), undefined);
  });
});
