import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  etagMatches, openapiV2Document, openapiV2Etag, openapiV3Document, openapiV3Hash, openapiV3Index, openapiV3Paths, openapiV3Response,
} from './openapi.js';

interface V3Doc {
  openapi: string;
  paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; 'x-kubernetes-group-version-kind'?: unknown; requestBody?: { content: Record<string, { schema: { $ref?: string } }> } }>>;
  components: { schemas: Record<string, { 'x-kubernetes-group-version-kind'?: unknown; properties?: Record<string, { $ref?: string; items?: { $ref?: string } }> }> };
}

function v3(path: string): V3Doc {
  const buf = openapiV3Document(path);
  assert.ok(buf, path);
  return JSON.parse(buf.toString('utf8')) as V3Doc;
}

test('v3 index points at every served group-version with its hash', () => {
  const index = openapiV3Index();
  assert.ok(index.paths['api/v1']);
  assert.ok(index.paths['apis/apps/v1']);
  assert.ok(index.paths['apis/autoscaling/v2']);
  const hash = openapiV3Hash('api/v1');
  assert.match(hash ?? '', /^[0-9A-F]{128}$/);
  assert.equal(index.paths['api/v1'].serverRelativeURL, `/openapi/v3/api/v1?hash=${hash}`);
  assert.equal(openapiV3Paths().length, Object.keys(index.paths).length);
  assert.equal(openapiV3Document('apis/apps/v1beta1'), undefined);
});

test('api/v1 document has Pod with its gvk and fieldValidation on pod writes', () => {
  const doc = v3('api/v1');
  assert.equal(doc.openapi, '3.0.0');
  const pod = doc.components.schemas['io.k8s.api.core.v1.Pod'];
  assert.deepEqual(pod['x-kubernetes-group-version-kind'], [{ group: '', kind: 'Pod', version: 'v1' }]);
  assert.deepEqual(pod.properties?.spec, { $ref: '#/components/schemas/io.k8s.api.core.v1.PodSpec' });
  const create = doc.paths['/api/v1/namespaces/{namespace}/pods'].post;
  const params = (create.parameters ?? []).map((p) => p.name);
  for (const name of ['fieldValidation', 'dryRun', 'fieldManager']) assert.ok(params.includes(name), name);
  assert.deepEqual(create['x-kubernetes-group-version-kind'], { group: '', kind: 'Pod', version: 'v1' });
  assert.equal(create.requestBody?.content['*/*'].schema.$ref, '#/components/schemas/io.k8s.api.core.v1.Pod');
  const patch = doc.paths['/api/v1/namespaces/{namespace}/pods/{name}'].patch;
  assert.ok(patch.parameters?.some((p) => p.name === 'fieldValidation' && p.in === 'query'));
  assert.ok(patch.requestBody?.content['application/strategic-merge-patch+json']);
  assert.equal(doc.paths['/api/v1/namespaces/{namespace}/pods/{name}/resize'], undefined);
  // Every $ref resolves within the document.
  const text = openapiV3Document('api/v1')?.toString('utf8') ?? '';
  for (const m of text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) {
    assert.ok(doc.components.schemas[m[1]], m[1]);
  }
  assert.equal(text.includes('#/definitions/'), false);
});

test('v3 keeps merge metadata and spells IntOrString like upstream', () => {
  const doc = v3('apis/apps/v1');
  const spec = doc.components.schemas['io.k8s.api.core.v1.PodSpec'] as unknown as { properties: Record<string, Record<string, unknown>> };
  assert.equal(spec.properties.containers['x-kubernetes-patch-merge-key'], 'name');
  assert.equal(spec.properties.containers['x-kubernetes-patch-strategy'], 'merge');
  assert.deepEqual(doc.components.schemas['io.k8s.apimachinery.pkg.util.intstr.IntOrString'],
    { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] });
  assert.ok(doc.components.schemas['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind']);
  assert.equal(doc.components.schemas['io.k8s.api.core.v1.Pod'], undefined);
});

test('v3 responses: pinned hash is immutable, stale hash redirects, etag gives 304', () => {
  const hash = openapiV3Hash('apis/apps/v1') as string;
  const ok = openapiV3Response('/openapi/v3/apis/apps/v1', { hash });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers['Cache-Control'], 'public, immutable');
  assert.equal(ok.headers.ETag, `"${hash}"`);
  assert.ok(ok.body && ok.body.length > 1000);
  const stale = openapiV3Response('apis/apps/v1', { hash: 'ABC' });
  assert.equal(stale.status, 301);
  assert.equal(stale.headers.Location, `/openapi/v3/apis/apps/v1?hash=${hash}`);
  assert.equal(openapiV3Response('apis/apps/v1', { ifNoneMatch: `"${hash}"` }).status, 304);
  assert.equal(openapiV3Response('apis/nope/v1').status, 404);
});

test('v2 document is restricted to served paths and resolves its refs', () => {
  const doc = JSON.parse(openapiV2Document().toString('utf8')) as {
    swagger: string; paths: Record<string, unknown>; definitions: Record<string, unknown>; parameters: Record<string, unknown>;
  };
  assert.equal(doc.swagger, '2.0');
  assert.ok(doc.paths['/api/v1/namespaces/{namespace}/pods']);
  assert.ok(doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale']);
  assert.equal(Object.keys(doc.paths).some((p) => p.includes('v1beta1') || p.includes('v1alpha')), false);
  assert.ok(doc.definitions['io.k8s.api.core.v1.Pod']);
  const text = openapiV2Document().toString('utf8');
  for (const m of text.matchAll(/"\$ref":"#\/(definitions|parameters)\/([^"]+)"/g)) {
    assert.ok((m[1] === 'definitions' ? doc.definitions : doc.parameters)[m[2]], m[2]);
  }
  assert.match(openapiV2Etag(), /^"[0-9A-F]+"$/);
  assert.equal(openapiV2Document(), openapiV2Document());
});

test('etagMatches', () => {
  assert.equal(etagMatches('"a", "b"', '"b"'), true);
  assert.equal(etagMatches('W/"b"', '"b"'), true);
  assert.equal(etagMatches('*', '"b"'), true);
  assert.equal(etagMatches('"a"', '"b"'), false);
  assert.equal(etagMatches(undefined, '"b"'), false);
});

test('metrics.k8s.io/v1beta1 has a v3 document and v2 definitions with their gvks', () => {
  assert.ok(openapiV3Index().paths['apis/metrics.k8s.io/v1beta1']);
  const doc = v3('apis/metrics.k8s.io/v1beta1');
  const nm = doc.components.schemas['io.k8s.metrics.pkg.apis.metrics.v1beta1.NodeMetrics'];
  assert.deepEqual(nm['x-kubernetes-group-version-kind'], [{ group: 'metrics.k8s.io', kind: 'NodeMetrics', version: 'v1beta1' }]);
  assert.ok(doc.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'], 'referenced meta schemas are included');
  const v2 = JSON.parse(openapiV2Document().toString('utf8')) as { definitions: Record<string, unknown> };
  assert.ok(v2.definitions['io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetricsList']);
});
