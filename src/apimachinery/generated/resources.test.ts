import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RESOURCES, GROUP_ORDER, GROUP_VERSIONS, STORAGE_VERSIONS } from './resources.js';
import type { Pod, Deployment, AutoscalingV2HorizontalPodAutoscaler, IntOrString, Quantity, Definitions } from './types.js';
import { getDefinition } from '../schema.js';

function find(group: string, version: string, resource: string) {
  const r = RESOURCES.find((x) => x.group === group && x.version === version && x.resource === resource);
  assert.ok(r, `${group}/${version}/${resource} is listed`);
  return r;
}

test('pods: namespaced, po, all, full verbs and subresources', () => {
  const pods = find('', 'v1', 'pods');
  assert.equal(pods.kind, 'Pod');
  assert.equal(pods.listKind, 'PodList');
  assert.equal(pods.singular, 'pod');
  assert.equal(pods.namespaced, true);
  assert.deepEqual(pods.shortNames, ['po']);
  assert.deepEqual(pods.categories, ['all']);
  assert.deepEqual(pods.verbs, ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']);
  assert.equal(pods.definition, 'io.k8s.api.core.v1.Pod');
  assert.equal(pods.virtual, undefined);
  const subs = Object.fromEntries(pods.subresources.map((s) => [s.name, s]));
  assert.deepEqual(Object.keys(subs).sort(),
    ['attach', 'binding', 'ephemeralcontainers', 'eviction', 'exec', 'log', 'portforward', 'proxy', 'status']);
  assert.deepEqual(subs.status.verbs, ['get', 'patch', 'update']);
  assert.equal(subs.status.kind, 'Pod');
  assert.deepEqual(subs.binding, { name: 'binding', group: '', version: 'v1', kind: 'Binding', verbs: ['create'] });
  assert.deepEqual(subs.eviction, { name: 'eviction', group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] });
  assert.deepEqual(subs.exec.verbs, ['create', 'get']);
  assert.equal(subs.exec.kind, 'PodExecOptions');
  assert.deepEqual(subs.log.verbs, ['get']);
  assert.deepEqual(subs.proxy.verbs, ['create', 'delete', 'get', 'patch', 'update']);
});

test('scale subresource uses autoscaling/v1 Scale', () => {
  for (const [g, r] of [['apps', 'deployments'], ['apps', 'replicasets'], ['apps', 'statefulsets'], ['', 'replicationcontrollers']]) {
    const res = find(g, 'v1', r);
    const scale = res.subresources.find((s) => s.name === 'scale');
    assert.deepEqual(scale, { name: 'scale', group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] }, r);
  }
  assert.equal(find('apps', 'v1', 'daemonsets').subresources.some((s) => s.name === 'scale'), false);
  assert.deepEqual(find('apps', 'v1', 'deployments').shortNames, ['deploy']);
});

test('cluster-scoped resources and special verbs', () => {
  const ns = find('', 'v1', 'namespaces');
  assert.equal(ns.namespaced, false);
  assert.equal(ns.verbs.includes('deletecollection'), false);
  assert.deepEqual(ns.subresources.map((s) => s.name), ['finalize', 'status']);
  assert.equal(find('', 'v1', 'nodes').namespaced, false);
  assert.deepEqual(find('', 'v1', 'serviceaccounts').subresources[0],
    { name: 'token', group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] });
  assert.equal(find('', 'v1', 'pods').subresources.some((s) => s.name === 'resize'), false);
});

test('virtual resources are flagged and create-only where upstream is', () => {
  for (const [g, r] of [['authentication.k8s.io', 'selfsubjectreviews'], ['authentication.k8s.io', 'tokenreviews'],
    ['authorization.k8s.io', 'selfsubjectaccessreviews'], ['authorization.k8s.io', 'subjectaccessreviews'], ['', 'bindings']]) {
    const res = find(g, 'v1', r);
    assert.equal(res.virtual, true, r);
    assert.deepEqual(res.verbs, ['create'], r);
  }
  assert.equal(find('authorization.k8s.io', 'v1', 'localsubjectaccessreviews').namespaced, true);
  assert.deepEqual(find('', 'v1', 'componentstatuses').verbs, ['get', 'list']);
  assert.equal(find('', 'v1', 'componentstatuses').virtual, true);
});

test('short names, categories and both autoscaling versions', () => {
  const expect: [string, string, string][] = [
    ['', 'services', 'svc'], ['', 'configmaps', 'cm'], ['', 'persistentvolumeclaims', 'pvc'], ['', 'resourcequotas', 'quota'],
    ['', 'limitranges', 'limits'], ['batch', 'cronjobs', 'cj'], ['networking.k8s.io', 'networkpolicies', 'netpol'],
    ['policy', 'poddisruptionbudgets', 'pdb'], ['scheduling.k8s.io', 'priorityclasses', 'pc'], ['storage.k8s.io', 'storageclasses', 'sc'],
    ['certificates.k8s.io', 'certificatesigningrequests', 'csr'], ['autoscaling', 'horizontalpodautoscalers', 'hpa'],
  ];
  for (const [g, r, short] of expect) {
    const v = g === 'autoscaling' ? 'v2' : 'v1';
    assert.deepEqual(find(g, v, r).shortNames, [short], r);
  }
  assert.deepEqual(find('autoscaling', 'v1', 'horizontalpodautoscalers').categories, ['all']);
  assert.deepEqual(find('batch', 'v1', 'jobs').categories, ['all']);
  assert.deepEqual(find('admissionregistration.k8s.io', 'v1', 'validatingwebhookconfigurations').categories, ['api-extensions']);
  assert.deepEqual(find('', 'v1', 'secrets').categories, []);
  assert.deepEqual(GROUP_VERSIONS.autoscaling, ['v2', 'v1']);
  assert.equal(GROUP_ORDER[0], '');
  assert.deepEqual(STORAGE_VERSIONS['horizontalpodautoscalers.autoscaling'], { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler' });
  assert.deepEqual(STORAGE_VERSIONS['events.events.k8s.io'], { group: '', version: 'v1', kind: 'Event' });
  assert.equal(STORAGE_VERSIONS.bindings, undefined);
});

test('every resource names an existing definition carrying its kind', () => {
  for (const r of RESOURCES) {
    const def = getDefinition(r.definition);
    assert.ok(def, r.definition);
    assert.ok(def['x-kubernetes-group-version-kind']?.some((g) => g.kind === r.kind && g.group === r.group && g.version === r.version), r.definition);
  }
});

test('definitions keep fields that are named "description"', () => {
  assert.ok(getDefinition('io.k8s.api.scheduling.v1.PriorityClass')?.properties?.description);
});

test('generated types describe real objects', () => {
  const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox', resources: { limits: { cpu: '100m', memory: 1024 } } }] } };
  const surge: IntOrString = '25%';
  const q: Quantity = 2;
  const dep: Deployment = { spec: { selector: { matchLabels: { a: 'b' } }, template: {}, strategy: { rollingUpdate: { maxSurge: surge, maxUnavailable: 1 } } } };
  const hpa: AutoscalingV2HorizontalPodAutoscaler = { spec: { maxReplicas: 3, scaleTargetRef: { kind: 'Deployment', name: 'd' } } };
  const byName: Definitions['io.k8s.api.core.v1.Pod'] = pod;
  // @ts-expect-error containers is required in PodSpec
  const bad: Pod = { spec: {} };
  assert.equal(byName.spec?.containers[0].name, 'c');
  assert.equal(dep.spec?.strategy?.rollingUpdate?.maxSurge, '25%');
  assert.equal(hpa.spec?.maxReplicas, 3);
  assert.equal(q, 2);
  assert.ok(bad);
});
