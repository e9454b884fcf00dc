import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestInfo } from './request-info.js';

const q = new URLSearchParams();

test('namespaced pod status', () => {
  const r = parseRequestInfo('PUT', '/api/v1/namespaces/ns/pods/web/status', q);
  assert.deepEqual(r, { isResourceRequest: true, prefix: 'api', group: '', version: 'v1', namespace: 'ns', resource: 'pods', name: 'web', subresource: 'status', rest: [], verb: 'update' });
});

test('list, watch and deletecollection', () => {
  const l = parseRequestInfo('GET', '/apis/apps/v1/namespaces/ns/deployments', q);
  assert.equal(l.isResourceRequest && l.verb, 'list');
  const w = parseRequestInfo('GET', '/apis/apps/v1/deployments', new URLSearchParams('watch=true'));
  assert.equal(w.isResourceRequest && w.verb, 'watch');
  const wp = parseRequestInfo('GET', '/api/v1/watch/namespaces/ns/pods', q);
  assert.ok(wp.isResourceRequest && wp.verb === 'watch' && wp.namespace === 'ns' && wp.resource === 'pods');
  const dc = parseRequestInfo('DELETE', '/api/v1/namespaces/ns/pods', q);
  assert.equal(dc.isResourceRequest && dc.verb, 'deletecollection');
});

test('namespace object itself', () => {
  const r = parseRequestInfo('GET', '/api/v1/namespaces/kube-system', q);
  assert.ok(r.isResourceRequest && r.resource === 'namespaces' && r.name === 'kube-system' && r.namespace === '');
  const f = parseRequestInfo('PUT', '/api/v1/namespaces/x/finalize', q);
  assert.ok(f.isResourceRequest && f.resource === 'namespaces' && f.name === 'x' && f.subresource === 'finalize');
});

test('non-resource paths', () => {
  assert.equal(parseRequestInfo('GET', '/version', q).isResourceRequest, false);
  assert.equal(parseRequestInfo('GET', '/apis/apps', q).isResourceRequest, false);
  assert.equal(parseRequestInfo('GET', '/api/v1', q).isResourceRequest, false);
});
