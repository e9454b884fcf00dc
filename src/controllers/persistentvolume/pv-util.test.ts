import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClaimObject, PersistentVolumeObject, StorageClassObject } from './pv-util.js';
import {
  findBestMatchForClaim, localPathFor, newLocalPathVolume, pickDefaultClass, volumeFitsNode, volumeSatisfiesClaim,
} from './pv-util.js';

const claim = (spec: ClaimObject['spec'], uid = 'u1'): ClaimObject => ({ metadata: { name: 'data', namespace: 'ns', uid }, spec });
const pv = (name: string, size: string, extra: Partial<NonNullable<PersistentVolumeObject['spec']>> = {}, labels?: Record<string, string>): PersistentVolumeObject => ({
  metadata: { name, labels }, spec: { capacity: { storage: size }, accessModes: ['ReadWriteOnce'], storageClassName: 'manual', ...extra }, status: { phase: 'Available' },
});
const want = (size: string, extra: Partial<NonNullable<ClaimObject['spec']>> = {}): ClaimObject =>
  claim({ storageClassName: 'manual', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } }, ...extra });

describe('findBestMatchForClaim', () => {
  const volumes = [pv('big', '10Gi'), pv('small', '1Gi'), pv('mid', '5Gi', {}, { disk: 'ssd' }), pv('rox', '1Gi', { accessModes: ['ReadOnlyMany'] })];
  const cases: { name: string; claim: ClaimObject; vols?: PersistentVolumeObject[]; delay?: boolean; want: string | undefined }[] = [
    { name: 'smallest fitting', claim: want('500Mi'), want: 'small' },
    { name: 'capacity rules out small', claim: want('2Gi'), want: 'mid' },
    { name: 'selector', claim: want('1Gi', { selector: { matchLabels: { disk: 'ssd' } } }), want: 'mid' },
    { name: 'access modes', claim: want('1Gi', { accessModes: ['ReadOnlyMany'] }), want: 'rox' },
    { name: 'class must match', claim: want('1Gi', { storageClassName: 'other' }), want: undefined },
    { name: 'volume mode must match', claim: want('1Gi', { volumeMode: 'Block' }), want: undefined },
    { name: 'too big', claim: want('20Gi'), want: undefined },
    { name: 'bound volumes skipped', claim: want('1Gi'), vols: [pv('taken', '1Gi', { claimRef: { name: 'x', namespace: 'ns', uid: 'other' } })], want: undefined },
    { name: 'pre-bound volume wins', claim: want('1Gi'), vols: [pv('small', '1Gi'), pv('mine', '8Gi', { claimRef: { name: 'data', namespace: 'ns' } })], want: 'mine' },
    { name: 'late binding without node', claim: want('1Gi'), delay: true, want: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(findBestMatchForClaim(c.claim, c.vols ?? volumes, { delayBinding: c.delay ?? false })?.metadata.name, c.want);
    });
  }
  it('late binding with a node honours node affinity', () => {
    const aff = (n: string) => ({ required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [n] }] }] } });
    const vols = [pv('on-a', '1Gi', { nodeAffinity: aff('a') }), pv('on-b', '2Gi', { nodeAffinity: aff('b') })];
    const node = { metadata: { name: 'b', labels: { 'kubernetes.io/hostname': 'b' } } };
    assert.equal(findBestMatchForClaim(want('1Gi'), vols, { delayBinding: true, node })?.metadata.name, 'on-b');
    assert.equal(volumeFitsNode(vols[0]!, node), false);
  });
});

describe('volumeSatisfiesClaim', () => {
  it('reports upstream reasons', () => {
    assert.equal(volumeSatisfiesClaim(pv('v', '1Gi'), want('2Gi')), 'requested PV is too small');
    assert.equal(volumeSatisfiesClaim(pv('v', '1Gi'), want('1Gi', { storageClassName: 'x' })), 'storageClassName does not match');
    assert.equal(volumeSatisfiesClaim(pv('v', '1Gi'), want('1Gi', { accessModes: ['ReadWriteMany'] })), 'incompatible accessMode');
    assert.equal(volumeSatisfiesClaim(pv('v', '1Gi'), want('1Gi')), undefined);
  });
});

describe('local-path', () => {
  const sc: StorageClassObject = { metadata: { name: 'local-path' }, provisioner: 'skiff.io/local-path', reclaimPolicy: 'Delete' };
  it('names the directory pvc-<uid>_<ns>_<name>', () => {
    assert.equal(localPathFor(claim({}, 'abc'), 'pvc-abc', '/data/'), '/data/pvc-abc_ns_data');
  });
  it('builds a volume pre-bound to the claim with node affinity', () => {
    const v = newLocalPathVolume(want('3Gi', { storageClassName: 'local-path' }), sc, 'node-1');
    assert.equal(v.metadata.name, 'pvc-u1');
    assert.equal(v.metadata.annotations?.['pv.kubernetes.io/provisioned-by'], 'skiff.io/local-path');
    assert.deepEqual(v.spec?.capacity, { storage: '3Gi' });
    assert.equal(v.spec?.claimRef?.uid, 'u1');
    assert.equal(v.spec?.hostPath?.path, '/var/lib/skiff/storage/pvc-u1_ns_data');
    assert.equal(v.spec?.persistentVolumeReclaimPolicy, 'Delete');
    assert.deepEqual(v.spec?.nodeAffinity?.required?.nodeSelectorTerms?.[0]?.matchExpressions, [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node-1'] }]);
  });
  it('picks the newest default class', () => {
    const mk = (name: string, ts: string, def: boolean): StorageClassObject => ({
      metadata: { name, creationTimestamp: ts, annotations: def ? { 'storageclass.kubernetes.io/is-default-class': 'true' } : {} },
    });
    assert.equal(pickDefaultClass([mk('a', '2024-01-01T00:00:00Z', true), mk('b', '2024-02-01T00:00:00Z', true), mk('c', '2025-01-01T00:00:00Z', false)])?.metadata.name, 'b');
    assert.equal(pickDefaultClass([mk('c', '2025-01-01T00:00:00Z', false)]), undefined);
  });
});
