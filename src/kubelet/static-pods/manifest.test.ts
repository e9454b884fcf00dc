import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CONFIG_HASH_ANNOTATION, CONFIG_MIRROR_ANNOTATION, isMirrorPod, mirrorPodOf, parseManifest } from './manifest.js';

const YAML = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: c\n    image: busybox\n';

describe('static pod manifests', () => {
  it('names, namespaces, binds and hashes deterministically', () => {
    const [a] = parseManifest(YAML, 'f', 'file', 'n1');
    const [b] = parseManifest(JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }), 'g', 'file', 'n1');
    assert.equal(a!.pod.metadata?.name, 'web-n1');
    assert.equal(a!.pod.metadata?.namespace, 'default');
    assert.equal(a!.pod.spec?.nodeName, 'n1');
    assert.equal(a!.pod.metadata?.uid, a!.hash);
    assert.equal(a!.hash, b!.hash);
    assert.notEqual(parseManifest(YAML, 'f', 'file', 'n2')[0]!.hash, a!.hash);
    assert.notEqual(parseManifest(YAML.replace('busybox', 'busybox:1.35'), 'f', 'file', 'n1')[0]!.hash, a!.hash);
    assert.equal(a!.pod.metadata?.annotations?.[CONFIG_HASH_ANNOTATION], a!.hash);
  });

  it('builds an owned mirror pod without the static UID', () => {
    const [sp] = parseManifest(YAML, 'f', 'file', 'n1');
    const m = mirrorPodOf(sp!, { name: 'n1', uid: 'node-uid' });
    assert.equal(m.metadata?.uid, undefined);
    assert.equal(m.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION], sp!.hash);
    assert.deepEqual(m.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'node-uid', controller: true }]);
    assert.ok(isMirrorPod(m));
    assert.ok(!isMirrorPod(sp!.pod));
  });

  it('rejects what is not a pod', () => {
    assert.throws(() => parseManifest('kind: Service\nmetadata:\n  name: x\n', 'f', 'file', 'n1'), /want Pod/);
    assert.throws(() => parseManifest('kind: Pod\nspec:\n  containers: []\n', 'f', 'file', 'n1'), /metadata.name/);
  });
});
