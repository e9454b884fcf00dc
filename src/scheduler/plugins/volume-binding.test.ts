import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PersistentVolumeClaim, StorageClass } from '../../apimachinery/generated/types.js';
import { CycleState } from '../framework/cycle-state.js';
import { Snapshot } from '../framework/snapshot.js';
import {
  ANNOTATION_BIND_COMPLETED, ANNOTATION_SELECTED_NODE, claimFullyBound, claimNotFound, create, ERR_REASON_UNBOUND_IMMEDIATE, selectedNode,
} from './volume-binding.js';
import { build, filterAll, makeNode, makePod } from './testing.js';

const claims: Record<string, PersistentVolumeClaim> = {
  bound: { metadata: { name: 'bound', namespace: 'default' }, spec: { volumeName: 'pv1' } },
  late: { metadata: { name: 'late', namespace: 'default' }, spec: { storageClassName: 'wffc' } },
  now: { metadata: { name: 'now', namespace: 'default' }, spec: { storageClassName: 'imm' } },
};
const classes: Record<string, StorageClass> = {
  wffc: { metadata: { name: 'wffc' }, provisioner: 'x', volumeBindingMode: 'WaitForFirstConsumer' },
  imm: { metadata: { name: 'imm' }, provisioner: 'x', volumeBindingMode: 'Immediate' },
};
const volumes = { getClaim: (_ns: string, n: string) => claims[n], getStorageClass: (n: string) => classes[n] };
const withClaims = (...names: string[]) => makePod('p', { volumes: names.map((n) => ({ name: n, persistentVolumeClaim: { claimName: n } })) });

describe('VolumeBinding', () => {
  const snap = Snapshot.fromObjects([makeNode('a')]);
  const cases = [
    { name: 'no claims: skipped', pod: makePod('p'), want: '' },
    { name: 'bound claim passes', pod: withClaims('bound'), want: '' },
    { name: 'WaitForFirstConsumer claim passes', pod: withClaims('bound', 'late'), want: '' },
    { name: 'missing claim', pod: withClaims('nope'), want: `prefilter: ${claimNotFound('nope')}` },
    { name: 'unbound immediate claim', pod: withClaims('now'), want: `prefilter: ${ERR_REASON_UNBOUND_IMMEDIATE}` },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { plugin } = build((h) => create(h), snap, { volumes });
      assert.deepEqual(filterAll(plugin, c.pod, snap), { a: c.want });
    });
  }
  it('records the chosen node at Reserve and hands it over at PreBind', async () => {
    const seen: string[] = [];
    const store: Record<string, PersistentVolumeClaim> = { ...claims };
    const live = { getClaim: (_ns: string, n: string) => store[n], getStorageClass: (n: string) => classes[n] };
    const api = {
      bindPod: async () => {},
      deletePod: async () => {},
      setSelectedNode: async (ns: string, claim: string, node: string) => {
        seen.push(`${ns}/${claim}@${node}`);
        const pvc = store[claim]!;
        store[claim] = { ...pvc, metadata: { ...pvc.metadata, annotations: { [ANNOTATION_SELECTED_NODE]: node } } };
        // The PV controller binds the claim a little later.
        setTimeout(() => {
          store[claim] = { ...store[claim]!, spec: { ...pvc.spec, volumeName: 'pvc-1' }, metadata: { ...store[claim]!.metadata, annotations: { [ANNOTATION_SELECTED_NODE]: node, [ANNOTATION_BIND_COMPLETED]: 'yes' } } };
        }, 150);
      },
    };
    const { plugin } = build((h) => create(h), snap, { volumes: live, api });
    const state = new CycleState();
    const pod = withClaims('bound', 'late');
    const pre = plugin.preFilter(state, pod);
    assert.ok('isSuccess' in pre && pre.isSuccess());
    plugin.reserve(state, pod, 'a');
    assert.equal(selectedNode(state), 'a');
    assert.ok((await plugin.preBind(state, pod, 'a')).isSuccess());
    assert.deepEqual(seen, ['default/late@a']);
    plugin.unreserve(state);
    assert.equal(selectedNode(state), undefined);
  });
  it('PreBind fails when the claim is not bound in time', async () => {
    const api = { bindPod: async () => {}, deletePod: async () => {}, setSelectedNode: async () => {} };
    const { plugin } = build((h) => create(h, { bindTimeoutMs: 200 }), snap, { volumes, api });
    const state = new CycleState();
    const pod = withClaims('late');
    plugin.preFilter(state, pod);
    plugin.reserve(state, pod, 'a');
    const s = await plugin.preBind(state, pod, 'a');
    assert.ok(!s.isSuccess());
  });
  it('claimFullyBound: bound, waiting, reset', () => {
    const pvc = (ann: Record<string, string>, volumeName?: string): PersistentVolumeClaim => ({ metadata: { name: 'c', annotations: ann }, spec: { volumeName } });
    assert.equal(claimFullyBound(pvc({ [ANNOTATION_BIND_COMPLETED]: 'yes' }, 'pv'), 'c', 'a', true), true);
    assert.equal(claimFullyBound(pvc({ [ANNOTATION_SELECTED_NODE]: 'a' }), 'c', 'a', true), false);
    assert.throws(() => claimFullyBound(pvc({}), 'c', 'a', true), /selectedNode annotation reset/);
    assert.throws(() => claimFullyBound(undefined, 'c', 'a', false), /not found/);
  });
});
