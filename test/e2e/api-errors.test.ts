/**
 * Bad input gets upstream `Status` errors and leaves the stored state unchanged; authentication;
 * immutable fields; generation; Secret stringData; ClusterIP / NodePort allocation (also across a
 * restart). One `skiff server` (SQLite, no agent) for the whole file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../helpers/cluster.js';
import { kubectl } from '../helpers/kubectl.js';
import { api, arr, at, configMap, namespace, pod, show, str } from './support-api.js';
import type { ApiResponse, ApiTarget } from './support-api.js';

type Server = Awaited<ReturnType<typeof startServer>>;

const TOKEN = 'skiff-e2e-token-0123456789abcdef';
const NS = '/api/v1/namespaces/default';

let server: Server;
let tokenDir = '';

function t(): ApiTarget {
  return server;
}

function assertStatus(r: ApiResponse, code: number, reason: string): void {
  assert.equal(r.status, code, show(r));
  assert.equal(r.json.kind, 'Status', show(r));
  assert.equal(r.json.apiVersion, 'v1', show(r));
  assert.equal(r.json.status, 'Failure', show(r));
  assert.equal(r.json.code, code, show(r));
  assert.equal(r.json.reason, reason, show(r));
}

async function expectAbsent(path: string): Promise<void> {
  const r = await api(t(), 'GET', path);
  assert.equal(r.status, 404, `expected ${path} to be absent, ${show(r)}`);
}

function causeFields(r: ApiResponse): string[] {
  return arr(r.json, 'details.causes').map((c) => str(c, 'field'));
}

function deployment(name: string, labels: Record<string, string>): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'busybox:stable' }] } },
    },
  };
}

function service(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }], ...spec } };
}

function ipInt(ip: string): number {
  return ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}

function inServiceCidr(ip: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(ip) && ipInt(ip) >= ipInt('10.43.0.0') && ipInt(ip) <= ipInt('10.43.255.255');
}

before(async () => {
  tokenDir = await mkdtemp(join(tmpdir(), 'skiff-e2e-tokens-'));
  const tokenFile = join(tokenDir, 'tokens.csv');
  await writeFile(tokenFile, `${TOKEN},e2e-admin,e2e-admin-uid,"system:masters,e2e"\n`);
  server = await startServer({ args: ['--token-auth-file', tokenFile, '--controllers', 'garbage-collector,namespace', '--disable-scheduler'] });
});

after(async () => {
  await server?.cleanup();
  if (tokenDir) await rm(tokenDir, { recursive: true, force: true });
});

describe('malformed and oversized bodies', () => {
  test('malformed JSON is a 400 BadRequest and stores nothing', async () => {
    const r = await api(t(), 'POST', `${NS}/configmaps`, {
      body: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"bad-json"},"data":{"a":',
    });
    assertStatus(r, 400, 'BadRequest');
    await expectAbsent(`${NS}/configmaps/bad-json`);
  });

  test('malformed YAML is a 400 BadRequest and stores nothing', async () => {
    const r = await api(t(), 'POST', `${NS}/configmaps`, {
      body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad-yaml\ndata: {a: [1, 2\n  b: : :\n',
      headers: { 'Content-Type': 'application/yaml' },
    });
    assertStatus(r, 400, 'BadRequest');
    await expectAbsent(`${NS}/configmaps/bad-yaml`);
  });

  test('an unsupported Content-Type is a 415 UnsupportedMediaType and stores nothing', async () => {
    const r = await api(t(), 'POST', `${NS}/configmaps`, {
      body: JSON.stringify(configMap('text-plain')), headers: { 'Content-Type': 'text/plain' },
    });
    assertStatus(r, 415, 'UnsupportedMediaType');
    await expectAbsent(`${NS}/configmaps/text-plain`);
  });

  test('well-formed YAML is accepted', async () => {
    const r = await api(t(), 'POST', `${NS}/configmaps`, {
      body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: good-yaml\ndata:\n  a: "1"\n',
      headers: { 'Content-Type': 'application/yaml' },
    });
    assert.equal(r.status, 201, show(r));
    const g = await api(t(), 'GET', `${NS}/configmaps/good-yaml`);
    assert.equal(at(g.json, 'data.a'), '1');
  });

  test('a body over 3 MiB is a 413 RequestEntityTooLarge and stores nothing', async () => {
    const big = configMap('too-big', { blob: 'x'.repeat(3 * 1024 * 1024 + 4096) });
    const r = await api(t(), 'POST', `${NS}/configmaps`, { body: big });
    assertStatus(r, 413, 'RequestEntityTooLarge');
    await expectAbsent(`${NS}/configmaps/too-big`);
  });

  test('an update with a body over 3 MiB is refused and the object is unchanged', async () => {
    const c = await api(t(), 'POST', `${NS}/configmaps`, { body: configMap('big-update', { a: 'small' }) });
    assert.equal(c.status, 201, show(c));
    const big = configMap('big-update', { a: 'x'.repeat(3 * 1024 * 1024 + 10) });
    const r = await api(t(), 'PUT', `${NS}/configmaps/big-update`, { body: big });
    assertStatus(r, 413, 'RequestEntityTooLarge');
    const g = await api(t(), 'GET', `${NS}/configmaps/big-update`);
    assert.equal(at(g.json, 'data.a'), 'small');
    assert.equal(str(g.json, 'metadata.resourceVersion'), str(c.json, 'metadata.resourceVersion'));
  });
});

describe('validation', () => {
  test('an invalid name is 422 Invalid with a metadata.name cause', async () => {
    const r = await api(t(), 'POST', `${NS}/configmaps`, { body: configMap('Foo_Bar') });
    assertStatus(r, 422, 'Invalid');
    assert.ok(causeFields(r).includes('metadata.name'), show(r));
    assert.match(String(r.json.message), /^ConfigMap "Foo_Bar" is invalid: metadata\.name: Invalid value: "Foo_Bar": /);
    assert.equal(at(r.json, 'details.name'), 'Foo_Bar');
    assert.equal(at(r.json, 'details.kind'), 'ConfigMap');
    await expectAbsent(`${NS}/configmaps/Foo_Bar`);
  });

  test('a pod with every kind of mistake lists each field path', async () => {
    const body = {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'Foo_Bar' },
      spec: {
        containers: [
          { name: 'a' },
          { name: 'a', image: 'busybox:stable', ports: [{ containerPort: 70000 }] },
        ],
      },
    };
    const r = await api(t(), 'POST', `${NS}/pods`, { body });
    assertStatus(r, 422, 'Invalid');
    const fields = causeFields(r);
    for (const f of ['metadata.name', 'spec.containers[0].image', 'spec.containers[1].name', 'spec.containers[1].ports[0].containerPort']) {
      assert.ok(fields.includes(f), `missing cause ${f} in ${JSON.stringify(fields)}`);
    }
    const causes = arr(r.json, 'details.causes');
    const image = causes.find((c) => str(c, 'field') === 'spec.containers[0].image');
    assert.equal(str(image, 'type'), 'FieldValueRequired');
    const dup = causes.find((c) => str(c, 'field') === 'spec.containers[1].name');
    assert.equal(str(dup, 'type'), 'FieldValueDuplicate');
    const port = causes.find((c) => str(c, 'field') === 'spec.containers[1].ports[0].containerPort');
    assert.equal(str(port, 'type'), 'FieldValueInvalid');
    assert.match(String(r.json.message), /^Pod "Foo_Bar" is invalid: \[/);
    await expectAbsent(`${NS}/pods/Foo_Bar`);
  });

  test('each pod mistake alone is reported with its own path', async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['no-image', { containers: [{ name: 'a' }] }, 'spec.containers[0].image'],
      ['dup-names', { containers: [{ name: 'a', image: 'x' }, { name: 'a', image: 'y' }] }, 'spec.containers[1].name'],
      ['bad-port', { containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 70000 }] }] }, 'spec.containers[0].ports[0].containerPort'],
    ];
    for (const [name, spec, field] of cases) {
      const r = await api(t(), 'POST', `${NS}/pods`, { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec } });
      assertStatus(r, 422, 'Invalid');
      assert.deepEqual(causeFields(r), [field], show(r));
      await expectAbsent(`${NS}/pods/${name}`);
    }
  });

  test('an unknown field with fieldValidation=Strict is a 400 strict decoding error', async () => {
    const body = { ...pod('strict-pod'), spec: { containers: [{ name: 'c', image: 'busybox:stable' }], foo: 'bar' } };
    const r = await api(t(), 'POST', `${NS}/pods?fieldValidation=Strict`, { body });
    assertStatus(r, 400, 'BadRequest');
    assert.ok(String(r.json.message).includes('strict decoding error: unknown field "spec.foo"'), show(r));
    assert.equal(r.json.message, 'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.foo"');
    await expectAbsent(`${NS}/pods/strict-pod`);
  });

  test('an unknown field with fieldValidation=Warn is created with a Warning header and dropped', async () => {
    const body = { ...pod('warn-pod'), spec: { containers: [{ name: 'c', image: 'busybox:stable' }], foo: 'bar' } };
    const r = await api(t(), 'POST', `${NS}/pods?fieldValidation=Warn`, { body });
    assert.equal(r.status, 201, show(r));
    const warning = String(r.headers.warning ?? '');
    assert.ok(warning.startsWith('299 '), `Warning header: ${warning}`);
    assert.ok(warning.includes('unknown field \\"spec.foo\\"'), `Warning header: ${warning}`);
    const g = await api(t(), 'GET', `${NS}/pods/warn-pod`);
    assert.equal(g.status, 200, show(g));
    assert.equal(at(g.json, 'spec.foo'), undefined);
  });

  test('a Service posted to the pods collection is a 400 and stores nothing', async () => {
    const r = await api(t(), 'POST', `${NS}/pods`, { body: service('wrong-kind', {}) });
    assertStatus(r, 400, 'BadRequest');
    assert.ok(String(r.json.message).includes('cannot be handled as a Pod'), show(r));
    await expectAbsent(`${NS}/pods/wrong-kind`);
    await expectAbsent(`${NS}/services/wrong-kind`);
  });

  test('an object whose namespace differs from the URL is a 400', async () => {
    const body = { ...configMap('ns-mismatch'), metadata: { name: 'ns-mismatch', namespace: 'kube-system' } };
    const r = await api(t(), 'POST', `${NS}/configmaps`, { body });
    assertStatus(r, 400, 'BadRequest');
    assert.equal(r.json.message, 'the namespace of the provided object does not match the namespace sent on the request');
    await expectAbsent(`${NS}/configmaps/ns-mismatch`);
    await expectAbsent('/api/v1/namespaces/kube-system/configmaps/ns-mismatch');
  });
});

describe('namespaces', () => {
  test('create in a missing namespace is 404 namespaces "nope" not found', async () => {
    const r = await api(t(), 'POST', '/api/v1/namespaces/nope/configmaps', { body: configMap('in-nope') });
    assertStatus(r, 404, 'NotFound');
    assert.equal(r.json.message, 'namespaces "nope" not found');
    assert.equal(at(r.json, 'details.name'), 'nope');
    assert.equal(at(r.json, 'details.kind'), 'namespaces');
    await expectAbsent('/api/v1/namespaces/nope/configmaps/in-nope');
  });

  test('a new namespace gets spec.finalizers [kubernetes] and phase Active', async () => {
    const r = await api(t(), 'POST', '/api/v1/namespaces', { body: namespace('fresh-ns') });
    assert.equal(r.status, 201, show(r));
    assert.deepEqual(at(r.json, 'spec.finalizers'), ['kubernetes']);
    assert.equal(at(r.json, 'status.phase'), 'Active');
    const labels = at(r.json, 'metadata.labels') as Record<string, string>;
    assert.equal(labels['kubernetes.io/metadata.name'], 'fresh-ns');
  });

  test('deleting a namespace makes it Terminating; creating in it is 403 Forbidden', async () => {
    const ns = { ...namespace('term-ns'), metadata: { name: 'term-ns', finalizers: ['e2e.skiff.dev/hold'] } };
    const c = await api(t(), 'POST', '/api/v1/namespaces', { body: ns });
    assert.equal(c.status, 201, show(c));
    const before = await api(t(), 'POST', '/api/v1/namespaces/term-ns/configmaps', { body: configMap('before') });
    assert.equal(before.status, 201, show(before));

    const d = await api(t(), 'DELETE', '/api/v1/namespaces/term-ns');
    assert.equal(d.status, 200, show(d));
    const g = await api(t(), 'GET', '/api/v1/namespaces/term-ns');
    assert.equal(g.status, 200, show(g));
    assert.ok(str(g.json, 'metadata.deletionTimestamp') !== '', show(g));
    assert.equal(at(g.json, 'status.phase'), 'Terminating', show(g));

    const r = await api(t(), 'POST', '/api/v1/namespaces/term-ns/configmaps', { body: configMap('after') });
    assertStatus(r, 403, 'Forbidden');
    assert.equal(r.json.message, 'configmaps "after" is forbidden: unable to create new content in namespace term-ns because it is being terminated');
    const causes = arr(r.json, 'details.causes');
    assert.ok(causes.some((x) => str(x, 'type') === 'NamespaceTerminating'), show(r));
    await expectAbsent('/api/v1/namespaces/term-ns/configmaps/after');

    // Release the namespace so nothing is left holding it.
    const cur = await api(t(), 'GET', '/api/v1/namespaces/term-ns');
    const rel = await api(t(), 'PATCH', '/api/v1/namespaces/term-ns', {
      body: [{ op: 'remove', path: '/metadata/finalizers' }],
      headers: { 'Content-Type': 'application/json-patch+json' },
    });
    assert.ok(rel.status === 200 || rel.status === 404, `${show(rel)} (namespace was ${show(cur)})`);
  });
});

describe('conflicts and lookups', () => {
  test('update with a stale resourceVersion is 409 Conflict and changes nothing', async () => {
    const c = await api(t(), 'POST', `${NS}/configmaps`, { body: configMap('stale', { v: '1' }) });
    assert.equal(c.status, 201, show(c));
    const rv1 = str(c.json, 'metadata.resourceVersion');
    const u = await api(t(), 'PUT', `${NS}/configmaps/stale`, {
      body: { ...configMap('stale', { v: '2' }), metadata: { name: 'stale', resourceVersion: rv1 } },
    });
    assert.equal(u.status, 200, show(u));
    const rv2 = str(u.json, 'metadata.resourceVersion');
    assert.ok(Number(rv2) > Number(rv1));
    const r = await api(t(), 'PUT', `${NS}/configmaps/stale`, {
      body: { ...configMap('stale', { v: '3' }), metadata: { name: 'stale', resourceVersion: rv1 } },
    });
    assertStatus(r, 409, 'Conflict');
    assert.ok(String(r.json.message).includes('the object has been modified; please apply your changes to the latest version and try again'), show(r));
    assert.equal(r.json.message, 'Operation cannot be fulfilled on configmaps "stale": the object has been modified; please apply your changes to the latest version and try again');
    const g = await api(t(), 'GET', `${NS}/configmaps/stale`);
    assert.equal(at(g.json, 'data.v'), '2');
    assert.equal(str(g.json, 'metadata.resourceVersion'), rv2);
  });

  test('creating an existing object is 409 AlreadyExists and keeps the original', async () => {
    const c = await api(t(), 'POST', `${NS}/configmaps`, { body: configMap('exists', { v: 'original' }) });
    assert.equal(c.status, 201, show(c));
    const r = await api(t(), 'POST', `${NS}/configmaps`, { body: configMap('exists', { v: 'second' }) });
    assertStatus(r, 409, 'AlreadyExists');
    assert.equal(r.json.message, 'configmaps "exists" already exists');
    assert.equal(at(r.json, 'details.name'), 'exists');
    assert.equal(at(r.json, 'details.kind'), 'configmaps');
    const g = await api(t(), 'GET', `${NS}/configmaps/exists`);
    assert.equal(at(g.json, 'data.v'), 'original');
    assert.equal(str(g.json, 'metadata.uid'), str(c.json, 'metadata.uid'));
  });

  test('getting a missing object is 404 NotFound', async () => {
    const r = await api(t(), 'GET', `${NS}/pods/x`);
    assertStatus(r, 404, 'NotFound');
    assert.equal(r.json.message, 'pods "x" not found');
    assert.equal(at(r.json, 'details.name'), 'x');
    assert.equal(at(r.json, 'details.kind'), 'pods');
    const d = await api(t(), 'GET', '/apis/apps/v1/namespaces/default/deployments/x');
    assertStatus(d, 404, 'NotFound');
    assert.equal(d.json.message, 'deployments.apps "x" not found');
    assert.equal(at(d.json, 'details.group'), 'apps');
  });

  test('deleting a missing object is 404 NotFound', async () => {
    const r = await api(t(), 'DELETE', `${NS}/configmaps/never-was`);
    assertStatus(r, 404, 'NotFound');
    assert.equal(r.json.message, 'configmaps "never-was" not found');
  });
});

describe('authentication', () => {
  test('requests without credentials are 401 Unauthorized', async () => {
    for (const path of ['/api', '/apis', '/api/v1/namespaces', `${NS}/pods`, '/openapi/v2']) {
      const r = await api(t(), 'GET', path, { auth: 'none' });
      assertStatus(r, 401, 'Unauthorized');
    }
    const w = await api(t(), 'POST', `${NS}/configmaps`, { auth: 'none', body: configMap('anon') });
    assertStatus(w, 401, 'Unauthorized');
    await expectAbsent(`${NS}/configmaps/anon`);
  });

  test('health and version endpoints are open', async () => {
    for (const path of ['/healthz', '/livez', '/readyz']) {
      const r = await api(t(), 'GET', path, { auth: 'none' });
      assert.equal(r.status, 200, `${path}: ${show(r)}`);
      assert.equal(r.text, 'ok');
    }
    const v = await api(t(), 'GET', '/version', { auth: 'none' });
    assert.equal(v.status, 200, show(v));
    assert.equal(v.json.major, '1');
    assert.equal(v.json.minor, '32');
    assert.match(String(v.json.gitVersion), /^v1\.32\./);
  });

  test('a bearer token from --token-auth-file authenticates; a wrong one is 401', async () => {
    const ok = await api(t(), 'GET', `${NS}/configmaps`, { auth: { token: TOKEN } });
    assert.equal(ok.status, 200, show(ok));
    assert.equal(ok.json.kind, 'ConfigMapList');
    const created = await api(t(), 'POST', `${NS}/configmaps`, { auth: { token: TOKEN }, body: configMap('by-token') });
    assert.equal(created.status, 201, show(created));
    const bad = await api(t(), 'GET', `${NS}/configmaps`, { auth: { token: `${TOKEN}x` } });
    assertStatus(bad, 401, 'Unauthorized');
  });
});

describe('immutable fields', () => {
  test('changing a pod spec field is 422 and the pod is unchanged', async () => {
    // Left to a scheduler that does not run, so nothing else writes the pod during the test.
    const body = pod('imm-pod');
    (at(body, 'spec') as Record<string, unknown>).schedulerName = 'nobody';
    const c = await api(t(), 'POST', `${NS}/pods`, { body });
    assert.equal(c.status, 201, show(c));
    const next = structuredClone(c.json);
    (at(next, 'spec') as Record<string, unknown>).restartPolicy = 'Never';
    (arr(next, 'spec.containers')[0] as Record<string, unknown>).name = 'renamed';
    const r = await api(t(), 'PUT', `${NS}/pods/imm-pod`, { body: next });
    assertStatus(r, 422, 'Invalid');
    assert.ok(causeFields(r).includes('spec'), show(r));
    assert.ok(String(r.json.message).includes('pod updates may not change fields other than'), show(r));
    const g = await api(t(), 'GET', `${NS}/pods/imm-pod`);
    assert.equal(str(g.json, 'spec.containers.0.name'), 'c');
    assert.equal(str(g.json, 'metadata.resourceVersion'), str(c.json, 'metadata.resourceVersion'));
    // The image may change.
    const img = structuredClone(g.json);
    (arr(img, 'spec.containers')[0] as Record<string, unknown>).image = 'busybox:latest';
    const u = await api(t(), 'PUT', `${NS}/pods/imm-pod`, { body: img });
    assert.equal(u.status, 200, show(u));
  });

  test('a ConfigMap with immutable: true refuses data changes', async () => {
    const body = { ...configMap('imm-cm', { a: '1' }), immutable: true };
    const c = await api(t(), 'POST', `${NS}/configmaps`, { body });
    assert.equal(c.status, 201, show(c));
    const next = { ...structuredClone(c.json), data: { a: '2' } };
    const r = await api(t(), 'PUT', `${NS}/configmaps/imm-cm`, { body: next });
    assertStatus(r, 422, 'Invalid');
    assert.ok(String(r.json.message).includes('field is immutable when `immutable` is set'), show(r));
    assert.ok(causeFields(r).includes('data'), show(r));
    const unset = { ...structuredClone(c.json), immutable: false };
    const r2 = await api(t(), 'PUT', `${NS}/configmaps/imm-cm`, { body: unset });
    assertStatus(r2, 422, 'Invalid');
    assert.ok(causeFields(r2).includes('immutable'), show(r2));
    const g = await api(t(), 'GET', `${NS}/configmaps/imm-cm`);
    assert.equal(at(g.json, 'data.a'), '1');
    assert.equal(at(g.json, 'immutable'), true);
  });

  test('changing a Service clusterIP is 422', async () => {
    const c = await api(t(), 'POST', `${NS}/services`, { body: service('imm-svc', {}) });
    assert.equal(c.status, 201, show(c));
    const ip = str(c.json, 'spec.clusterIP');
    const other = ip.endsWith('.77') ? ip.replace(/\.77$/, '.78') : ip.replace(/\.\d+$/, '.77');
    const next = structuredClone(c.json);
    (at(next, 'spec') as Record<string, unknown>).clusterIP = other;
    (at(next, 'spec') as Record<string, unknown>).clusterIPs = [other];
    const r = await api(t(), 'PUT', `${NS}/services/imm-svc`, { body: next });
    assertStatus(r, 422, 'Invalid');
    assert.ok(causeFields(r).some((f) => f.startsWith('spec.clusterIP')), show(r));
    assert.match(String(r.json.message), /may not change once set|field is immutable/);
    const g = await api(t(), 'GET', `${NS}/services/imm-svc`);
    assert.equal(str(g.json, 'spec.clusterIP'), ip);
  });

  test('changing a Deployment selector is 422 field is immutable', async () => {
    const c = await api(t(), 'POST', '/apis/apps/v1/namespaces/default/deployments', { body: deployment('imm-deploy', { app: 'a' }) });
    assert.equal(c.status, 201, show(c));
    const next = structuredClone(c.json);
    const spec = at(next, 'spec') as Record<string, unknown>;
    spec.selector = { matchLabels: { app: 'a', tier: 'b' } };
    (at(spec, 'template.metadata') as Record<string, unknown>).labels = { app: 'a', tier: 'b' };
    const r = await api(t(), 'PUT', '/apis/apps/v1/namespaces/default/deployments/imm-deploy', { body: next });
    assertStatus(r, 422, 'Invalid');
    assert.ok(causeFields(r).includes('spec.selector'), show(r));
    assert.ok(String(r.json.message).includes('field is immutable'), show(r));
    assert.match(String(r.json.message), /^Deployment\.apps "imm-deploy" is invalid: /);
    const g = await api(t(), 'GET', '/apis/apps/v1/namespaces/default/deployments/imm-deploy');
    assert.deepEqual(at(g.json, 'spec.selector'), { matchLabels: { app: 'a' } });
  });
});

describe('generation and Secret data', () => {
  test('generation bumps only when the spec changes', async () => {
    const base = '/apis/apps/v1/namespaces/default/deployments';
    const c = await api(t(), 'POST', base, { body: deployment('gen-deploy', { app: 'gen' }) });
    assert.equal(c.status, 201, show(c));
    assert.equal(at(c.json, 'metadata.generation'), 1);

    const labelled = structuredClone(c.json);
    (at(labelled, 'metadata') as Record<string, unknown>).labels = { touched: 'yes' };
    const u1 = await api(t(), 'PUT', `${base}/gen-deploy`, { body: labelled });
    assert.equal(u1.status, 200, show(u1));
    assert.equal(at(u1.json, 'metadata.generation'), 1, 'a metadata-only change keeps the generation');

    const scaled = structuredClone(u1.json);
    (at(scaled, 'spec') as Record<string, unknown>).replicas = 3;
    const u2 = await api(t(), 'PUT', `${base}/gen-deploy`, { body: scaled });
    assert.equal(u2.status, 200, show(u2));
    assert.equal(at(u2.json, 'metadata.generation'), 2);

    const status = structuredClone(u2.json);
    (status as Record<string, unknown>).status = { observedGeneration: 2, replicas: 0 };
    const u3 = await api(t(), 'PUT', `${base}/gen-deploy/status`, { body: status });
    assert.equal(u3.status, 200, show(u3));
    assert.equal(at(u3.json, 'metadata.generation'), 2, 'a status change keeps the generation');

    const same = await api(t(), 'PUT', `${base}/gen-deploy`, { body: u3.json });
    assert.equal(same.status, 200, show(same));
    assert.equal(at(same.json, 'metadata.generation'), 2, 'a no-op update keeps the generation');
    const g = await api(t(), 'GET', `${base}/gen-deploy`);
    assert.equal(at(g.json, 'metadata.generation'), 2);
  });

  test('Secret stringData is folded into data', async () => {
    const body = {
      apiVersion: 'v1', kind: 'Secret', metadata: { name: 'folded' }, type: 'Opaque',
      data: { kept: Buffer.from('kept').toString('base64'), both: Buffer.from('old').toString('base64') },
      stringData: { plain: 'hello', both: 'new' },
    };
    const c = await api(t(), 'POST', `${NS}/secrets`, { body });
    assert.equal(c.status, 201, show(c));
    for (const r of [c, await api(t(), 'GET', `${NS}/secrets/folded`)]) {
      assert.equal(at(r.json, 'stringData'), undefined, show(r));
      assert.deepEqual(at(r.json, 'data'), {
        kept: Buffer.from('kept').toString('base64'),
        both: Buffer.from('new').toString('base64'),
        plain: Buffer.from('hello').toString('base64'),
      });
    }
  });
});

describe('service allocation', () => {
  const allocated: { ips: string[]; ports: number[] } = { ips: [], ports: [] };

  test('ClusterIPs come from 10.43.0.0/16 and NodePorts from 30000-32767', async () => {
    const k = await api(t(), 'GET', `${NS}/services/kubernetes`);
    assert.equal(k.status, 200, show(k));
    assert.equal(str(k.json, 'spec.clusterIP'), '10.43.0.1');
    allocated.ips.push('10.43.0.1');
    for (let i = 0; i < 8; i++) {
      const r = await api(t(), 'POST', `${NS}/services`, { body: service(`alloc-${i}`, { type: 'NodePort' }) });
      assert.equal(r.status, 201, show(r));
      const ip = str(r.json, 'spec.clusterIP');
      assert.ok(inServiceCidr(ip), `clusterIP ${ip}`);
      assert.deepEqual(at(r.json, 'spec.clusterIPs'), [ip]);
      const np = Number(at(r.json, 'spec.ports.0.nodePort'));
      assert.ok(Number.isInteger(np) && np >= 30000 && np <= 32767, `nodePort ${np}`);
      allocated.ips.push(ip);
      allocated.ports.push(np);
    }
    assert.equal(new Set(allocated.ips).size, allocated.ips.length, `duplicate IPs: ${allocated.ips.join(' ')}`);
    assert.equal(new Set(allocated.ports).size, allocated.ports.length, `duplicate ports: ${allocated.ports.join(' ')}`);
    const h = await api(t(), 'POST', `${NS}/services`, { body: service('headless', { clusterIP: 'None' }) });
    assert.equal(h.status, 201, show(h));
    assert.equal(str(h.json, 'spec.clusterIP'), 'None');
  });

  test('a taken ClusterIP or NodePort is refused with 422', async () => {
    const ip = allocated.ips[1];
    const r = await api(t(), 'POST', `${NS}/services`, { body: service('dup-ip', { clusterIP: ip }) });
    assertStatus(r, 422, 'Invalid');
    assert.ok(causeFields(r).includes('spec.clusterIPs'), show(r));
    assert.ok(String(r.json.message).includes('provided IP is already allocated'), show(r));
    await expectAbsent(`${NS}/services/dup-ip`);

    const port = allocated.ports[0];
    const p = await api(t(), 'POST', `${NS}/services`, { body: service('dup-port', { type: 'NodePort', ports: [{ port: 80, nodePort: port }] }) });
    assertStatus(p, 422, 'Invalid');
    assert.ok(causeFields(p).includes('spec.ports[0].nodePort'), show(p));
    assert.ok(String(p.json.message).includes('provided port is already allocated'), show(p));
    await expectAbsent(`${NS}/services/dup-port`);

    const out = await api(t(), 'POST', `${NS}/services`, { body: service('out-of-range', { type: 'NodePort', ports: [{ port: 80, nodePort: 29999 }] }) });
    assertStatus(out, 422, 'Invalid');
    await expectAbsent(`${NS}/services/out-of-range`);

    const foreign = await api(t(), 'POST', `${NS}/services`, { body: service('foreign-ip', { clusterIP: '10.99.0.5' }) });
    assertStatus(foreign, 422, 'Invalid');
    await expectAbsent(`${NS}/services/foreign-ip`);
  });

  test('a chosen free ClusterIP and NodePort are honoured, and freed on delete', async () => {
    const r = await api(t(), 'POST', `${NS}/services`, { body: service('chosen', { type: 'NodePort', clusterIP: '10.43.0.200', ports: [{ port: 80, nodePort: 30999 }] }) });
    assert.equal(r.status, 201, show(r));
    assert.equal(str(r.json, 'spec.clusterIP'), '10.43.0.200');
    assert.equal(at(r.json, 'spec.ports.0.nodePort'), 30999);
    const d = await api(t(), 'DELETE', `${NS}/services/chosen`);
    assert.equal(d.status, 200, show(d));
    const again = await api(t(), 'POST', `${NS}/services`, { body: service('chosen-again', { type: 'NodePort', clusterIP: '10.43.0.200', ports: [{ port: 80, nodePort: 30999 }] }) });
    assert.equal(again.status, 201, show(again));
    allocated.ips.push('10.43.0.200');
    allocated.ports.push(30999);
  });

  test('after a restart allocations are kept: no duplicate IPs or ports', async () => {
    await server.restart();
    for (const ip of allocated.ips.slice(1, 4)) {
      const r = await api(t(), 'POST', `${NS}/services`, { body: service(`after-dup-${ip.replace(/\./g, '-')}`, { clusterIP: ip }) });
      assertStatus(r, 422, 'Invalid');
    }
    const p = await api(t(), 'POST', `${NS}/services`, { body: service('after-dup-port', { type: 'NodePort', ports: [{ port: 80, nodePort: allocated.ports[2] }] }) });
    assertStatus(p, 422, 'Invalid');
    for (let i = 0; i < 16; i++) {
      const r = await api(t(), 'POST', `${NS}/services`, { body: service(`after-${i}`, { type: 'NodePort' }) });
      assert.equal(r.status, 201, show(r));
      allocated.ips.push(str(r.json, 'spec.clusterIP'));
      allocated.ports.push(Number(at(r.json, 'spec.ports.0.nodePort')));
    }
    const list = await api(t(), 'GET', '/api/v1/services');
    const ips = arr(list.json, 'items').map((s) => str(s, 'spec.clusterIP')).filter((ip) => ip !== 'None');
    assert.equal(new Set(ips).size, ips.length, `duplicate ClusterIPs after restart: ${ips.join(' ')}`);
    const ports = arr(list.json, 'items').flatMap((s) => arr(s, 'spec.ports').map((p) => at(p, 'nodePort'))).filter((p) => p !== undefined);
    assert.equal(new Set(ports).size, ports.length, `duplicate NodePorts after restart: ${ports.join(' ')}`);
    // Everything created before the restart is still there.
    const g = await api(t(), 'GET', `${NS}/configmaps/exists`);
    assert.equal(at(g.json, 'data.v'), 'original');
  });
});

describe('errors through kubectl', () => {
  test('kubectl shows the upstream error texts', async () => {
    const unknown = await kubectl(server, ['create', '-f', '-'], {
      input: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: kc-strict\nspec:\n  foo: bar\n  containers:\n  - name: c\n    image: busybox:stable\n',
    });
    assert.notEqual(unknown.code, 0);
    assert.ok(unknown.stderr.includes('Error from server (BadRequest): error when creating "STDIN": Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.foo"'), unknown.stderr);

    const missing = await kubectl(server, ['get', 'pod', 'x']);
    assert.notEqual(missing.code, 0);
    assert.equal(missing.stderr.trim(), 'Error from server (NotFound): pods "x" not found');

    const invalid = await kubectl(server, ['create', '-f', '-'], {
      input: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: kc-invalid\nspec:\n  containers:\n  - name: c\n',
    });
    assert.notEqual(invalid.code, 0);
    assert.ok(invalid.stderr.includes('The Pod "kc-invalid" is invalid: spec.containers[0].image: Required value'), invalid.stderr);

    const ns = await kubectl(server, ['create', '-f', '-'], {
      input: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kc-term\n  finalizers: [e2e.skiff.dev/hold]\n',
    });
    assert.equal(ns.code, 0, ns.stderr);
    const del = await kubectl(server, ['delete', 'namespace', 'kc-term', '--wait=false']);
    assert.equal(del.code, 0, del.stderr);
    const term = await kubectl(server, ['create', '-n', 'kc-term', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: late\n' });
    assert.notEqual(term.code, 0);
    assert.ok(term.stderr.includes('configmaps "late" is forbidden: unable to create new content in namespace kc-term because it is being terminated'), term.stderr);
    const phase = await kubectl(server, ['get', 'namespace', 'kc-term', '-o', 'jsonpath={.status.phase}']);
    assert.equal(phase.stdout, 'Terminating', phase.stderr);
  });

  // kubectl's generators (`kubectl create configmap ...`) send protobuf bodies through the typed client.
  test('kubectl create configmap (typed client) shows the upstream error texts', async () => {
    const exists = await kubectl(server, ['create', 'configmap', 'exists']);
    assert.notEqual(exists.code, 0);
    assert.equal(exists.stderr.trim(), 'error: failed to create configmap: configmaps "exists" already exists');

    const nope = await kubectl(server, ['create', 'configmap', 'x', '-n', 'nope']);
    assert.notEqual(nope.code, 0);
    assert.ok(nope.stderr.includes('namespaces "nope" not found'), nope.stderr);
  });
});
