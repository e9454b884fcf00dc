import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StatefulSetObject } from './stateful-set-utils.js';
import { claimsFor, identityMatches, newStatefulSetPod, ordinalOf, revisionForSet } from './stateful-set-utils.js';

const set: StatefulSetObject = {
  metadata: { name: 'web', namespace: 'ns', uid: 'u' },
  spec: {
    serviceName: 'nginx', selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }], volumes: [{ name: 'data', emptyDir: {} }] } },
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } }],
  },
};

test('ordinals parse only <set>-<n>', () => {
  assert.equal(ordinalOf(set, { metadata: { name: 'web-12' } }), 12);
  assert.equal(ordinalOf(set, { metadata: { name: 'web-01' } }), -1);
  assert.equal(ordinalOf(set, { metadata: { name: 'webx-1' } }), -1);
  assert.equal(ordinalOf(set, { metadata: { name: 'web-a' } }), -1);
});

test('new pods carry identity, revision label and claims replacing template volumes', () => {
  const rev = revisionForSet(set, 1, 0);
  const pod = newStatefulSetPod(set, set.spec?.template, rev.metadata.name ?? '', 2);
  assert.equal(pod.metadata.name, 'web-2');
  assert.equal(pod.spec?.hostname, 'web-2');
  assert.equal(pod.spec?.subdomain, 'nginx');
  assert.equal(pod.metadata.labels?.['statefulset.kubernetes.io/pod-name'], 'web-2');
  assert.equal(pod.metadata.labels?.['apps.kubernetes.io/pod-index'], '2');
  assert.equal(pod.metadata.labels?.['controller-revision-hash'], rev.metadata.name);
  assert.deepEqual(pod.spec?.volumes, [{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-2' } }]);
  assert.ok(identityMatches(set, pod, 2));
  const claims = claimsFor(set, 2);
  assert.equal(claims[0]?.metadata.name, 'data-web-2');
  assert.equal(claims[0]?.metadata.labels?.app, 'web');
});
