import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Snapshot } from '../framework/snapshot.js';
import { create, leastRequestedScore } from './node-resources-fit.js';
import { filterAll, filterCodes, makeNode, makePod, scoreAll } from './testing.js';

describe('NodeResourcesFit filter', () => {
  const snap = Snapshot.fromObjects(
    [makeNode('big', { cpu: '4', memory: '8Gi' }), makeNode('small', { cpu: '1', memory: '1Gi' }), makeNode('full', { pods: '1' }), makeNode('gpu', { extra: { 'example.com/gpu': '2' } })],
    [makePod('e1', { nodeName: 'small', cpu: '500m', memory: '512Mi' }), makePod('e2', { nodeName: 'full' })],
  );
  const cases = [
    { name: 'fits everywhere with room', pod: makePod('p', { cpu: '100m', memory: '100Mi' }), want: { big: '', small: '', full: 'Too many pods', gpu: '' } },
    { name: 'cpu short on small', pod: makePod('p', { cpu: '600m' }), want: { big: '', small: 'Insufficient cpu', full: 'Too many pods', gpu: '' } },
    { name: 'cpu and memory short', pod: makePod('p', { cpu: '2', memory: '2Gi' }), want: { big: '', small: 'Insufficient cpu, Insufficient memory', full: 'Too many pods', gpu: '' } },
    {
      name: 'init container peak counts',
      pod: makePod('p', { containers: [{ name: 'c', resources: { requests: { cpu: '100m' } } }], initContainers: [{ name: 'i', resources: { requests: { cpu: '3' } } }] }),
      want: { big: '', small: 'Insufficient cpu', full: 'Too many pods', gpu: '' },
    },
    { name: 'overhead counts', pod: makePod('p', { cpu: '400m', overhead: { cpu: '200m' } }), want: { big: '', small: 'Insufficient cpu', full: 'Too many pods', gpu: '' } },
    {
      name: 'extended resource',
      pod: makePod('p', { containers: [{ name: 'c', resources: { requests: { 'example.com/gpu': '1' } } }] }),
      want: { big: 'Insufficient example.com/gpu', small: 'Insufficient example.com/gpu', full: 'Too many pods, Insufficient example.com/gpu', gpu: '' },
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(filterAll(create(), c.pod, snap), c.want));
  it('request above allocatable is unresolvable, above free space is not', () => {
    assert.equal(filterCodes(create(), makePod('p', { cpu: '2' }), snap).small, 3);
    assert.equal(filterCodes(create(), makePod('p', { cpu: '600m' }), snap).small, 2);
  });
});

describe('NodeResourcesFit LeastAllocated score', () => {
  it('leastRequestedScore', () => {
    assert.equal(leastRequestedScore(0, 1000), 100);
    assert.equal(leastRequestedScore(250, 1000), 75);
    assert.equal(leastRequestedScore(1001, 1000), 0);
    assert.equal(leastRequestedScore(5, 0), 0);
  });
  it('averages cpu and memory with non-zero defaults', () => {
    const snap = Snapshot.fromObjects(
      [makeNode('a', { cpu: '4', memory: '10000Mi' }), makeNode('b', { cpu: '4', memory: '10000Mi' })],
      [makePod('e', { nodeName: 'b', cpu: '2', memory: '5000Mi' })],
    );
    // a: cpu (4000-1000)/4000=75, mem (10000-2000)/10000=80 → 77; b: cpu 25, mem 30 → 27
    assert.deepEqual(scoreAll(create(), makePod('p', { cpu: '1', memory: '2000Mi' }), snap), { a: 77, b: 27 });
    // no requests: 100m and 200Mi assumed → a: cpu 97, mem 98 → 97
    assert.deepEqual(scoreAll(create(), makePod('p'), snap), { a: 97, b: 47 });
  });
});
