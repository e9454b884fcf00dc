import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Toleration } from '../../apimachinery/generated/types.js';
import { Snapshot } from '../framework/snapshot.js';
import { create } from './taint-toleration.js';
import { filterAll, filterCodes, makeNode, makePod, scoreAll } from './testing.js';

const snap = Snapshot.fromObjects([
  makeNode('plain'),
  makeNode('gpu', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }),
  makeNode('evict', { taints: [{ key: 'maint', effect: 'NoExecute' }] }),
  makeNode('soft', { taints: [{ key: 'spot', value: 'true', effect: 'PreferNoSchedule' }, { key: 'old', effect: 'PreferNoSchedule' }] }),
]);

describe('TaintToleration filter', () => {
  const GPU = 'node(s) had untolerated taint {dedicated: gpu}';
  const MAINT = 'node(s) had untolerated taint {maint: }';
  const cases: { name: string; tolerations?: Toleration[]; want: Record<string, string> }[] = [
    { name: 'no tolerations', want: { plain: '', gpu: GPU, evict: MAINT, soft: '' } },
    { name: 'Equal with value', tolerations: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }], want: { plain: '', gpu: '', evict: MAINT, soft: '' } },
    { name: 'wrong value', tolerations: [{ key: 'dedicated', value: 'cpu', effect: 'NoSchedule' }], want: { plain: '', gpu: GPU, evict: MAINT, soft: '' } },
    { name: 'Exists without effect', tolerations: [{ key: 'maint', operator: 'Exists' }], want: { plain: '', gpu: GPU, evict: '', soft: '' } },
    { name: 'wrong effect', tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }], want: { plain: '', gpu: GPU, evict: MAINT, soft: '' } },
    { name: 'empty key Exists tolerates all', tolerations: [{ operator: 'Exists' }], want: { plain: '', gpu: '', evict: '', soft: '' } },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(filterAll(create(), makePod('p', { tolerations: c.tolerations }), snap), c.want));
  it('untolerated taint is unresolvable', () => assert.equal(filterCodes(create(), makePod('p'), snap).gpu, 3));
});

describe('TaintToleration score', () => {
  it('fewer intolerable PreferNoSchedule taints score higher', () => {
    assert.deepEqual(scoreAll(create(), makePod('p'), snap), { plain: 100, gpu: 100, evict: 100, soft: 0 });
  });
  it('tolerated PreferNoSchedule taints do not count', () => {
    const s = scoreAll(create(), makePod('p', { tolerations: [{ key: 'spot', operator: 'Exists', effect: 'PreferNoSchedule' }] }), snap);
    assert.deepEqual(s, { plain: 100, gpu: 100, evict: 100, soft: 0 });
    const s2 = scoreAll(create(), makePod('p', { tolerations: [{ key: 'spot', operator: 'Exists' }, { key: 'old', operator: 'Exists' }] }), snap);
    assert.deepEqual(s2, { plain: 100, gpu: 100, evict: 100, soft: 100 });
  });
});
