import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  acceptsAggregatedDiscovery, aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions,
  compareVersions, findByKind, findResource, storageVersionHash, AGGREGATED_DISCOVERY_CONTENT_TYPE,
} from './discovery.js';
import { RESOURCES } from '../apimachinery/generated/resources.js';
import type { ResourceInfo } from '../apimachinery/resource-info.js';

test('GET /api lists v1 with a server address', () => {
  assert.deepEqual(apiVersions('10.0.0.1:6443'), {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '10.0.0.1:6443' }],
  });
});

test('GET /apis lists named groups in priority order, preferred version first', () => {
  const list = apiGroupList();
  assert.equal(list.kind, 'APIGroupList');
  assert.equal(list.apiVersion, 'v1');
  const names = list.groups.map((g) => g.name);
  assert.equal(names.includes(''), false);
  assert.equal(names[0], 'apps');
  assert.ok(names.includes('flowcontrol.apiserver.k8s.io'));
  const autoscaling = list.groups.find((g) => g.name === 'autoscaling');
  assert.deepEqual(autoscaling?.versions.map((v) => v.groupVersion), ['autoscaling/v2', 'autoscaling/v1']);
  assert.deepEqual(autoscaling?.preferredVersion, { groupVersion: 'autoscaling/v2', version: 'v2' });
  assert.deepEqual(apiGroup('apps'), {
    kind: 'APIGroup', apiVersion: 'v1', name: 'apps',
    versions: [{ groupVersion: 'apps/v1', version: 'v1' }],
    preferredVersion: { groupVersion: 'apps/v1', version: 'v1' },
  });
  assert.equal(apiGroup('nope.example.com'), undefined);
  assert.equal(apiGroup(''), undefined);
});

test('GET /api/v1 resource list has pods and its subresources', () => {
  const list = apiResourceList('', 'v1');
  assert.ok(list);
  assert.equal(list.kind, 'APIResourceList');
  assert.equal(list.apiVersion, undefined);
  assert.equal(list.groupVersion, 'v1');
  const byName = new Map(list.resources.map((r) => [r.name, r]));
  assert.deepEqual(byName.get('pods'), {
    name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod',
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    shortNames: ['po'], categories: ['all'], storageVersionHash: 'xPOwRZ+Yhw8=',
  });
  assert.deepEqual(byName.get('pods/eviction'), {
    name: 'pods/eviction', singularName: '', namespaced: true, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'],
  });
  assert.deepEqual(byName.get('pods/status'), { name: 'pods/status', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get', 'patch', 'update'] });
  assert.ok(byName.has('pods/log'));
  assert.equal(byName.get('bindings')?.storageVersionHash, undefined);
  const names = list.resources.map((r) => r.name);
  assert.deepEqual(names, [...names].sort());
});

test('group resource list carries apiVersion and scale subresource', () => {
  const list = apiResourceList('apps', 'v1');
  assert.ok(list);
  assert.equal(list.apiVersion, 'v1');
  assert.equal(list.groupVersion, 'apps/v1');
  const scale = list.resources.find((r) => r.name === 'deployments/scale');
  assert.deepEqual(scale, { name: 'deployments/scale', singularName: '', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
  assert.equal(list.resources.find((r) => r.name === 'deployments')?.storageVersionHash, '8aSe+NMegvE=');
  assert.equal(apiResourceList('apps', 'v1beta1'), undefined);
});

test('storage version hashes follow the storage version', () => {
  const hpa1 = findResource('autoscaling', 'v1', 'horizontalpodautoscalers');
  const hpa2 = findResource('autoscaling', 'v2', 'horizontalpodautoscalers');
  assert.ok(hpa1 && hpa2);
  assert.equal(storageVersionHash(hpa1), storageVersionHash(hpa2));
  const ev1 = findResource('', 'v1', 'events');
  const ev2 = findResource('events.k8s.io', 'v1', 'events');
  assert.ok(ev1 && ev2);
  assert.equal(storageVersionHash(ev1), storageVersionHash(ev2));
  assert.notEqual(storageVersionHash(ev1), storageVersionHash(hpa1));
});

test('aggregated discovery for /api and /apis', () => {
  const core = aggregatedDiscovery('api');
  assert.equal(core.kind, 'APIGroupDiscoveryList');
  assert.equal(core.apiVersion, 'apidiscovery.k8s.io/v2');
  assert.deepEqual(core.metadata, {});
  assert.equal(core.items.length, 1);
  assert.deepEqual(core.items[0].metadata, { creationTimestamp: null });
  const v1 = core.items[0].versions?.[0];
  assert.equal(v1?.version, 'v1');
  assert.equal(v1?.freshness, 'Current');
  const pods = v1?.resources?.find((r) => r.resource === 'pods');
  assert.ok(pods);
  assert.deepEqual(pods.responseKind, { group: '', version: '', kind: 'Pod' });
  assert.equal(pods.scope, 'Namespaced');
  assert.equal(pods.singularResource, 'pod');
  assert.deepEqual(pods.shortNames, ['po']);
  assert.deepEqual(pods.categories, ['all']);
  const eviction = pods.subresources?.find((s) => s.subresource === 'eviction');
  assert.deepEqual(eviction, { subresource: 'eviction', responseKind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: ['create'] });
  assert.deepEqual(pods.subresources?.find((s) => s.subresource === 'status')?.responseKind, { group: '', version: '', kind: 'Pod' });
  const nodes = v1?.resources?.find((r) => r.resource === 'nodes');
  assert.equal(nodes?.scope, 'Cluster');
  const secrets = v1?.resources?.find((r) => r.resource === 'secrets');
  assert.equal(secrets && 'shortNames' in secrets, false);

  const groups = aggregatedDiscovery('apis');
  assert.equal(groups.items.some((g) => !g.metadata.name), false);
  const autoscaling = groups.items.find((g) => g.metadata.name === 'autoscaling');
  assert.deepEqual(autoscaling?.versions?.map((v) => v.version), ['v2', 'v1']);
  const apps = groups.items.find((g) => g.metadata.name === 'apps');
  const deploy = apps?.versions?.[0].resources?.find((r) => r.resource === 'deployments');
  assert.deepEqual(deploy?.subresources?.map((s) => s.subresource), ['scale', 'status']);
  assert.deepEqual(deploy?.subresources?.[0].responseKind, { group: 'autoscaling', version: 'v1', kind: 'Scale' });
});

test('extra resources (custom resources) join discovery', () => {
  const crd: ResourceInfo = {
    group: 'example.com', version: 'v1beta1', resource: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList',
    namespaced: true, verbs: ['get', 'list'], shortNames: ['wg'], categories: [], subresources: [], definition: '',
  };
  const all = [...RESOURCES, { ...crd, version: 'v1alpha1' }, crd];
  const g = apiGroupList(all).groups.at(-1);
  assert.equal(g?.name, 'example.com');
  assert.deepEqual(g?.versions.map((v) => v.version), ['v1beta1', 'v1alpha1']);
  assert.equal(findByKind('example.com', 'v1beta1', 'Widget', all)?.resource, 'widgets');
  assert.equal(aggregatedDiscovery('apis', all).items.at(-1)?.metadata.name, 'example.com');
});

test('lookups', () => {
  assert.equal(findResource('apps', 'v1', 'deployments')?.kind, 'Deployment');
  assert.equal(findResource('apps', 'v1', 'nope'), undefined);
  assert.equal(findByKind('', 'v1', 'Pod')?.resource, 'pods');
  assert.equal(findByKind('autoscaling', 'v1', 'HorizontalPodAutoscaler')?.version, 'v1');
});

test('version ordering and Accept negotiation', () => {
  assert.deepEqual(['v1alpha1', 'v1', 'v2beta1', 'v1beta2', 'v2', 'foo', 'v1beta1'].sort(compareVersions),
    ['v2', 'v1', 'v2beta1', 'v1beta2', 'v1beta1', 'v1alpha1', 'foo']);
  const kubectl = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
  assert.equal(acceptsAggregatedDiscovery(kubectl), true);
  assert.equal(acceptsAggregatedDiscovery(AGGREGATED_DISCOVERY_CONTENT_TYPE), true);
  assert.equal(acceptsAggregatedDiscovery('application/json, */*'), false);
  assert.equal(acceptsAggregatedDiscovery('application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList'), false);
  assert.equal(acceptsAggregatedDiscovery(undefined), false);
});
