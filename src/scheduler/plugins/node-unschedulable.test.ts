import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Snapshot } from '../framework/snapshot.js';
import { create, ERR_REASON_UNSCHEDULABLE } from './node-unschedulable.js';
import { filterAll, makeNode, makePod } from './testing.js';

describe('NodeUnschedulable', () => {
  const snap = Snapshot.fromObjects([makeNode('open'), makeNode('cordoned', { unschedulable: true })]);
  const cases = [
    { name: 'plain pod avoids cordoned node', pod: makePod('p'), want: { open: '', cordoned: ERR_REASON_UNSCHEDULABLE } },
    {
      name: 'toleration of the unschedulable taint passes',
      pod: makePod('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] }),
      want: { open: '', cordoned: '' },
    },
    { name: 'tolerate-everything passes', pod: makePod('p', { tolerations: [{ operator: 'Exists' }] }), want: { open: '', cordoned: '' } },
    {
      name: 'NoExecute toleration does not help',
      pod: makePod('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoExecute' }] }),
      want: { open: '', cordoned: ERR_REASON_UNSCHEDULABLE },
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(filterAll(create(), c.pod, snap), c.want));
});
