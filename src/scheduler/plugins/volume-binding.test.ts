import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PersistentVolumeClaim, StorageClass } from '../../apimachinery/generated/types.js';
import { CycleState } from '../framework/cycle-state.js';
import { Snapshot } from '../framework/snapshot.js';
import { claimNotFound, create, ERR_REASON_UNBOUND_IMMEDIATE, selectedNode } from './volume-binding.js';
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
    const api = { bindPod: async () => {}, deletePod: async () => {}, setSelectedNode: async (ns: string, claim: string, node: string) => void seen.push(`${ns}/${claim}@${node}`) };
    const { plugin } = build((h) => create(h), snap, { volumes, api });
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
});
