import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Snapshot } from '../framework/snapshot.js';
import { create, ERR_REASON } from './node-name.js';
import { filterAll, makeNode, makePod } from './testing.js';

describe('NodeName', () => {
  const snap = Snapshot.fromObjects([makeNode('a'), makeNode('b')]);
  const cases: { name: string; nodeName?: string; want: Record<string, string> }[] = [
    { name: 'no nodeName fits everywhere', want: { a: '', b: '' } },
    { name: 'nodeName fits only that node', nodeName: 'b', want: { a: ERR_REASON, b: '' } },
    { name: 'unknown nodeName fits nowhere', nodeName: 'z', want: { a: ERR_REASON, b: ERR_REASON } },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(filterAll(create(), makePod('p', { nodeName: c.nodeName }), snap), c.want));
  }
  it('rejection is unresolvable', () => {
    const s = create().filter(undefined as never, makePod('p', { nodeName: 'b' }), snap.get('a')!);
    assert.equal(s.code, 3);
  });
});
