import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TopologySpreadConstraint } from '../../apimachinery/generated/types.js';
import { selectorFromSet } from '../../apimachinery/labels.js';
import { Snapshot } from '../framework/snapshot.js';
import { create, ERR_REASON_CONSTRAINTS_NOT_MATCH as SKEW, ERR_REASON_NODE_LABEL_NOT_MATCH as NOLABEL } from './pod-topology-spread.js';
import { build, filterAll, makeNode, makePod, scoreAll } from './testing.js';

const ZONE = 'topology.kubernetes.io/zone';
const HOST = 'kubernetes.io/hostname';
const nodes = [
  makeNode('a1', { labels: { [ZONE]: 'a' } }),
  makeNode('a2', { labels: { [ZONE]: 'a' } }),
  makeNode('b1', { labels: { [ZONE]: 'b' } }),
  makeNode('nozone'),
];
const web = (name: string, nodeName: string) => makePod(name, { nodeName, labels: { app: 'web' } });
const spread = (topologyKey: string, maxSkew: number, whenUnsatisfiable = 'DoNotSchedule', extra: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint => ({
  topologyKey,
  maxSkew,
  whenUnsatisfiable,
  labelSelector: { matchLabels: { app: 'web' } },
  ...extra,
});

describe('PodTopologySpread filter', () => {
  const cases: { name: string; existing: ReturnType<typeof makePod>[]; constraints: TopologySpreadConstraint[]; want: Record<string, string> }[] = [
    {
      name: 'zone skew 1: zone a has 2, b has 0 → only b',
      existing: [web('w1', 'a1'), web('w2', 'a2')],
      constraints: [spread(ZONE, 1)],
      want: { a1: SKEW, a2: SKEW, b1: '', nozone: NOLABEL },
    },
    {
      name: 'zone skew 2 allows a',
      existing: [web('w1', 'a1')],
      constraints: [spread(ZONE, 2)],
      want: { a1: '', a2: '', b1: '', nozone: NOLABEL },
    },
    {
      name: 'hostname skew 1 with one pod per node except b1',
      existing: [web('w1', 'a1'), web('w2', 'a2'), web('w3', 'nozone')],
      constraints: [spread(HOST, 1)],
      want: { a1: SKEW, a2: SKEW, b1: '', nozone: SKEW },
    },
    {
      name: 'minDomains above the domain count makes the minimum 0',
      existing: [web('w1', 'a1'), web('w2', 'b1')],
      constraints: [spread(ZONE, 1, 'DoNotSchedule', { minDomains: 3 })],
      want: { a1: SKEW, a2: SKEW, b1: SKEW, nozone: NOLABEL },
    },
    {
      name: 'other namespaces and non-matching pods do not count',
      existing: [makePod('x', { nodeName: 'a1', labels: { app: 'web' }, namespace: 'other' }), makePod('y', { nodeName: 'a1', labels: { app: 'db' } })],
      constraints: [spread(ZONE, 1)],
      want: { a1: '', a2: '', b1: '', nozone: NOLABEL },
    },
    {
      name: 'ScheduleAnyway does not filter',
      existing: [web('w1', 'a1'), web('w2', 'a2')],
      constraints: [spread(ZONE, 1, 'ScheduleAnyway')],
      want: { a1: '', a2: '', b1: '', nozone: '' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const snap = Snapshot.fromObjects(nodes, c.existing);
      const { plugin } = build((h) => create(h), snap);
      assert.deepEqual(filterAll(plugin, makePod('p', { labels: { app: 'web' }, topologySpreadConstraints: c.constraints }), snap), c.want);
    });
  }
});

describe('PodTopologySpread score', () => {
  it('ScheduleAnyway prefers the emptier zone; nodes without the key are ignored', () => {
    const snap = Snapshot.fromObjects(nodes, [web('w1', 'a1'), web('w2', 'a2')]);
    const { plugin } = build((h) => create(h), snap);
    const s = scoreAll(plugin, makePod('p', { labels: { app: 'web' }, topologySpreadConstraints: [spread(ZONE, 1, 'ScheduleAnyway')] }), snap)!;
    assert.equal(s.nozone, 0);
    assert.equal(s.b1, 100);
    assert.ok(s.a1! < s.b1!);
    assert.equal(s.a1, s.a2);
  });
  it('system defaults apply with the owner selector; skipped without one', () => {
    const snap = Snapshot.fromObjects(nodes, [web('w1', 'a1'), web('w2', 'a1'), web('w3', 'b1')]);
    const withSel = build((h) => create(h), snap, { defaultSpreadSelector: () => selectorFromSet({ app: 'web' }) }).plugin;
    const s = scoreAll(withSel, makePod('p', { labels: { app: 'web' } }), snap)!;
    assert.ok(s.a2! > s.a1!, `a2 ${s.a2} > a1 ${s.a1}`);
    assert.ok(s.nozone! > 0, 'system defaults do not ignore nodes without a zone');
    const without = build((h) => create(h), snap).plugin;
    assert.equal(scoreAll(without, makePod('p', { labels: { app: 'web' } }), snap), undefined);
  });
});
