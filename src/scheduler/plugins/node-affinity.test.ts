import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Affinity } from '../../apimachinery/generated/types.js';
import { Snapshot } from '../framework/snapshot.js';
import { create, ERR_REASON_POD } from './node-affinity.js';
import { filterAll, makeNode, makePod, scoreAll } from './testing.js';

const snap = Snapshot.fromObjects([
  makeNode('a', { labels: { zone: 'z1', disk: 'ssd', gen: '3' } }),
  makeNode('b', { labels: { zone: 'z2', gen: '5' } }),
  makeNode('c', { labels: {} }),
]);

const req = (...terms: NonNullable<NonNullable<Affinity['nodeAffinity']>['requiredDuringSchedulingIgnoredDuringExecution']>['nodeSelectorTerms']): Affinity => ({
  nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } },
});

describe('NodeAffinity filter', () => {
  const R = ERR_REASON_POD;
  const cases: { name: string; nodeSelector?: Record<string, string>; affinity?: Affinity; want: Record<string, string> }[] = [
    { name: 'nothing required', want: { a: '', b: '', c: '' } },
    { name: 'nodeSelector', nodeSelector: { zone: 'z2' }, want: { a: R, b: '', c: R } },
    { name: 'In', affinity: req({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1', 'z2'] }] }), want: { a: '', b: '', c: R } },
    { name: 'NotIn matches missing label', affinity: req({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['z1'] }] }), want: { a: R, b: '', c: '' } },
    { name: 'Exists', affinity: req({ matchExpressions: [{ key: 'disk', operator: 'Exists' }] }), want: { a: '', b: R, c: R } },
    { name: 'DoesNotExist', affinity: req({ matchExpressions: [{ key: 'disk', operator: 'DoesNotExist' }] }), want: { a: R, b: '', c: '' } },
    { name: 'Gt', affinity: req({ matchExpressions: [{ key: 'gen', operator: 'Gt', values: ['4'] }] }), want: { a: R, b: '', c: R } },
    { name: 'Lt', affinity: req({ matchExpressions: [{ key: 'gen', operator: 'Lt', values: ['4'] }] }), want: { a: '', b: R, c: R } },
    {
      name: 'terms are ORed, expressions ANDed',
      affinity: req(
        { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }, { key: 'disk', operator: 'In', values: ['hdd'] }] },
        { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z2'] }] },
      ),
      want: { a: R, b: '', c: R },
    },
    { name: 'empty term matches nothing', affinity: req({}), want: { a: R, b: R, c: R } },
    { name: 'nodeSelector and affinity both apply', nodeSelector: { disk: 'ssd' }, affinity: req({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z2'] }] }), want: { a: R, b: R, c: R } },
    {
      name: 'matchFields metadata.name narrows in PreFilter',
      affinity: req({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['c'] }] }),
      want: { a: 'filtered out by prefilter', b: 'filtered out by prefilter', c: '' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(filterAll(create(), makePod('p', { nodeSelector: c.nodeSelector, affinity: c.affinity }), snap), c.want));
  }
});

describe('NodeAffinity score', () => {
  it('no preferred terms: skipped', () => assert.equal(scoreAll(create(), makePod('p'), snap), undefined));
  it('sums weights and normalizes to the maximum', () => {
    const affinity: Affinity = {
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 2, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] } },
          { weight: 8, preference: { matchExpressions: [{ key: 'gen', operator: 'Exists' }] } },
          { weight: 5, preference: {} },
        ],
      },
    };
    assert.deepEqual(scoreAll(create(), makePod('p', { affinity }), snap), { a: 100, b: 80, c: 0 });
  });
});
