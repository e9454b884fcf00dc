/**
 * The real kubectl against `skiff server`: client-side and server-side apply (with conflicts),
 * diff, patch (strategic, merge, json), replace, edit and scale.
 * Expected texts are what kubectl 1.32 prints against upstream Kubernetes 1.32.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { startServer } from '../helpers/cluster.js';
import type { TestServer } from '../helpers/cluster.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { at, describeResult, getJson, isObject } from './kubectl-util.js';
import type { Json, JsonObject } from './kubectl-util.js';

const NS = 'applied';

interface DeploymentOpts {
  replicas?: number;
  labels?: Record<string, string>;
  env?: Array<{ name: string; value: string }>;
  image?: string;
}

function deployment(o: DeploymentOpts = {}): string {
  const container: JsonObject = { name: 'app', image: o.image ?? 'nginx:1.27', ports: [{ containerPort: 80 }] };
  if (o.env) container.env = o.env;
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web', ...o.labels } },
    spec: {
      replicas: o.replicas ?? 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [container, { name: 'sidecar', image: 'busybox:1.36', command: ['sleep', '3600'] }] },
      },
    },
  });
}

function configMap(name: string, data: Record<string, string>): string {
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
data:
${Object.entries(data).map(([k, v]) => `  ${k}: "${v}"`).join('\n')}
`;
}

function managers(obj: JsonObject): Array<{ manager: string; operation: string }> {
  const mf = at(obj, 'metadata.managedFields');
  assert.ok(Array.isArray(mf), 'managedFields present');
  return mf.map((e) => ({ manager: String(at(e, 'manager')), operation: String(at(e, 'operation')) }));
}

const CONFLICT_HELP = `Please review the fields above--they currently have other managers. Here
are the ways you can resolve this warning:
* If you intend to manage all of these fields, please re-run the apply
  command with the \`--force-conflicts\` flag.
* If you do not intend to manage all of the fields, please edit your
  manifest to remove references to the fields that should keep their
  current managers.
* You may co-own fields by updating your manifest to match the existing
  value; in this case, you'll become the manager if the other manager(s)
  stop managing the field (remove it from their configuration).
See https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts
`;

describe('kubectl apply, diff, patch, replace, edit, scale', () => {
  let server: TestServer;
  const k = (args: string[], input?: string, env?: Record<string, string>) => kubectl(server, ['-n', NS, ...args], { input, env });
  const ok = (args: string[], input?: string) => kubectlOk(server, ['-n', NS, ...args], { input });
  // --show-managed-fields: kubectl 1.32 leaves managedFields out of -o json unless asked.
  const web = (): Promise<JsonObject> => getJson(server, ['-n', NS, 'deployment', 'web', '--show-managed-fields']);
  const cm = (name: string): Promise<JsonObject> => getJson(server, ['-n', NS, 'cm', name, '--show-managed-fields']);

  before(async () => {
    server = await startServer({ args: ['--controllers', 'garbage-collector,namespace', '--disable-scheduler'] });
    await kubectlOk(server, ['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }) });
  });

  after(async () => {
    await server?.cleanup();
  });

  describe('client-side apply', () => {
    it('creates, then reports unchanged', async () => {
      const env = [{ name: 'A', value: '1' }, { name: 'B', value: '2' }];
      assert.equal(await ok(['apply', '-f', '-'], deployment({ env, labels: { extra: 'yes' } })), 'deployment.apps/web created\n');
      const d = await web();
      const annotations = at(d, 'metadata.annotations');
      assert.ok(isObject(annotations));
      const applied = annotations['kubectl.kubernetes.io/last-applied-configuration'];
      assert.equal(typeof applied, 'string');
      assert.equal(at(JSON.parse(String(applied)) as Json, 'spec.replicas'), 2);
      assert.equal(at(d, 'metadata.generation'), 1);
      assert.deepEqual(managers(d), [{ manager: 'kubectl-client-side-apply', operation: 'Update' }]);
      // Defaults the server filled in.
      assert.equal(at(d, 'spec.strategy.type'), 'RollingUpdate');
      assert.equal(at(d, 'spec.strategy.rollingUpdate.maxSurge'), '25%');
      assert.equal(at(d, 'spec.revisionHistoryLimit'), 10);
      assert.equal(at(d, 'spec.progressDeadlineSeconds'), 600);
      assert.equal(await ok(['apply', '-f', '-'], deployment({ env, labels: { extra: 'yes' } })), 'deployment.apps/web unchanged\n');
    });

    it('changes a field on re-apply', async () => {
      const env = [{ name: 'A', value: '1' }, { name: 'B', value: '2' }];
      assert.equal(await ok(['apply', '-f', '-'], deployment({ env, labels: { extra: 'yes' }, replicas: 3 })), 'deployment.apps/web configured\n');
      const d = await web();
      assert.equal(at(d, 'spec.replicas'), 3);
      assert.equal(at(d, 'metadata.generation'), 2);
    });

    it('removes fields dropped from the manifest, keeping others', async () => {
      // A field set by someone else (not in last-applied) must survive.
      assert.equal(await ok(['annotate', 'deployment', 'web', 'team=blue']), 'deployment.apps/web annotated\n');
      assert.equal(await ok(['apply', '-f', '-'], deployment({ env: [{ name: 'A', value: '1' }], replicas: 3 })), 'deployment.apps/web configured\n');
      const d = await web();
      assert.deepEqual(at(d, 'metadata.labels'), { app: 'web' });
      assert.deepEqual(at(d, 'spec.template.spec.containers.0.env'), [{ name: 'A', value: '1' }]);
      assert.equal(at(d, 'spec.template.spec.containers.1.name'), 'sidecar');
      assert.equal(at(d, 'metadata.annotations.team'), 'blue');
      assert.equal(await ok(['apply', '-f', '-'], deployment({ replicas: 3 })), 'deployment.apps/web configured\n');
      assert.equal(at(await web(), 'spec.template.spec.containers.0.env'), undefined);
    });

    it('applies a configmap, removes a key', async () => {
      assert.equal(await ok(['apply', '-f', '-'], configMap('settings', { a: '1', b: '2' })), 'configmap/settings created\n');
      assert.equal(await ok(['apply', '-f', '-'], configMap('settings', { a: '1' })), 'configmap/settings configured\n');
      assert.deepEqual(at(await getJson(server, ['-n', NS, 'cm', 'settings']), 'data'), { a: '1' });
    });
  });

  describe('lists', () => {
    it('applies a kind: List and round-trips get -o yaml | apply', async () => {
      const list = JSON.stringify({
        apiVersion: 'v1', kind: 'List',
        items: [
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'list-a' }, data: { count: '1' } },
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'list-b' }, data: { count: '2' } },
        ],
      });
      assert.equal(await ok(['apply', '-f', '-'], list), 'configmap/list-a created\nconfigmap/list-b created\n');
      const yaml = await ok(['get', 'cm', 'list-a', 'list-b', '-o', 'yaml']);
      assert.match(yaml, /^kind: List$/m);
      const changed = yaml.replace(/count: "1"/, 'count: "10"');
      assert.notEqual(changed, yaml);
      // Both are "configured": the live YAML becomes the new last-applied configuration.
      assert.equal(await ok(['apply', '-f', '-'], changed), 'configmap/list-a configured\nconfigmap/list-b configured\n');
      assert.equal(at(await cm('list-a'), 'data.count'), '10');
      assert.equal(await ok(['replace', '-f', '-'], await ok(['get', 'cm', 'list-a', 'list-b', '-o', 'yaml'])), 'configmap/list-a replaced\nconfigmap/list-b replaced\n');
    });

    it('validates List items on the client with the v2 schema', async () => {
      const bad = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'list-bad' }, dta: { a: '1' } }] });
      const r = await k(['apply', '-f', '-'], bad);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'error: error validating "STDIN": error validating data: ValidationError(ConfigMap): unknown field "dta" in io.k8s.api.core.v1.ConfigMap; if you choose to ignore these errors, turn validation off with --validate=false\n');
      assert.equal((await k(['get', 'cm', 'list-bad'])).code, 1);
    });
  });

  describe('diff', () => {
    it('exits 0 with no output when nothing would change', async () => {
      const r = await k(['diff', '-f', '-'], deployment({ replicas: 3 }));
      assert.equal(r.code, 0, describeResult(['diff'], r));
      assert.equal(r.stdout, '');
    });

    it('exits 1 with a unified diff when something would change', async () => {
      const r = await k(['diff', '-f', '-'], deployment({ replicas: 4, image: 'nginx:1.28' }));
      assert.equal(r.code, 1, describeResult(['diff'], r));
      assert.match(r.stdout, /^diff -u -N \S+\/LIVE-\d+\/apps\.v1\.Deployment\.applied\.web \S+\/MERGED-\d+\/apps\.v1\.Deployment\.applied\.web$/m);
      assert.match(r.stdout, /^-  replicas: 3$/m);
      assert.match(r.stdout, /^\+  replicas: 4$/m);
      assert.match(r.stdout, /^-      - image: nginx:1\.27$/m);
      assert.match(r.stdout, /^\+      - image: nginx:1\.28$/m);
      const before = /^-  generation: (\d+)$/m.exec(r.stdout);
      const merged = /^\+  generation: (\d+)$/m.exec(r.stdout);
      assert.ok(before && merged, r.stdout);
      assert.equal(Number(merged[1]), Number(before[1]) + 1);
      // A dry run: nothing stored.
      assert.equal(at(await web(), 'spec.replicas'), 3);
    });

    it('exits above 1 when the server refuses the change', async () => {
      const r = await k(['diff', '-f', '-'], deployment({ replicas: -1 }));
      assert.equal(r.code, 2, describeResult(['diff'], r));
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^The Deployment "web" is invalid: spec\.replicas: Invalid value: -1: must be greater than or equal to 0$/m);
    });

    it('shows a new object as all additions', async () => {
      const r = await k(['diff', '-f', '-'], configMap('brand-new', { color: 'blue' }));
      assert.equal(r.code, 1, describeResult(['diff'], r));
      assert.match(r.stdout, /^\+  color: blue$/m);
      assert.match(r.stdout, /^\+  name: brand-new$/m);
      assert.equal((await k(['get', 'cm', 'brand-new'])).code, 1);
    });
  });

  describe('patch', () => {
    it('strategic merge (the default) merges containers by name', async () => {
      const p = '{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"nginx:1.28"}]}}}}';
      assert.equal(await ok(['patch', 'deployment', 'web', '-p', p]), 'deployment.apps/web patched\n');
      const d = await web();
      assert.equal(at(d, 'spec.template.spec.containers.0.image'), 'nginx:1.28');
      assert.equal(at(d, 'spec.template.spec.containers.0.ports.0.containerPort'), 80);
      assert.equal(at(d, 'spec.template.spec.containers.1.name'), 'sidecar');
      assert.equal(await ok(['patch', 'deployment', 'web', '--type=strategic', '-p', p]), 'deployment.apps/web patched (no change)\n');
      const del = '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}}}';
      assert.equal(await ok(['patch', 'deployment', 'web', '--type', 'strategic', '-p', del]), 'deployment.apps/web patched\n');
      const containers = at(await web(), 'spec.template.spec.containers');
      assert.ok(Array.isArray(containers));
      assert.deepEqual(containers.map((c) => at(c, 'name')), ['app']);
    });

    it('merge patch replaces lists and deletes with null', async () => {
      assert.equal(await ok(['patch', 'deployment', 'web', '--type', 'merge', '-p', '{"metadata":{"labels":{"patched":"merge"},"annotations":{"team":null}}}']), 'deployment.apps/web patched\n');
      const d = await web();
      assert.equal(at(d, 'metadata.labels.patched'), 'merge');
      assert.equal(at(d, 'metadata.annotations.team'), undefined);
      const p = '{"spec":{"template":{"spec":{"containers":[{"name":"only","image":"busybox:1.36"}]}}}}';
      assert.equal(await ok(['patch', 'deployment', 'web', '--type=merge', '-p', p]), 'deployment.apps/web patched\n');
      const containers = at(await web(), 'spec.template.spec.containers');
      assert.ok(Array.isArray(containers));
      assert.deepEqual(containers.map((c) => at(c, 'name')), ['only']);
      // The replaced list was defaulted again.
      assert.equal(at(containers[0], 'imagePullPolicy'), 'IfNotPresent');
    });

    it('json patch', async () => {
      const p = '[{"op":"replace","path":"/spec/replicas","value":4},{"op":"add","path":"/metadata/labels/json","value":"yes"}]';
      assert.equal(await ok(['patch', 'deployment', 'web', '--type', 'json', '-p', p]), 'deployment.apps/web patched\n');
      const d = await web();
      assert.equal(at(d, 'spec.replicas'), 4);
      assert.equal(at(d, 'metadata.labels.json'), 'yes');
      const failing = await k(['patch', 'deployment', 'web', '--type=json', '-p', '[{"op":"test","path":"/spec/replicas","value":9}]']);
      assert.equal(failing.code, 1);
      assert.match(failing.stderr, /^The request is invalid: /);
      assert.equal(at(await web(), 'spec.replicas'), 4);
    });

    it('changing an immutable selector gives the upstream text', async () => {
      const p = '{"spec":{"selector":{"matchLabels":{"app":"other"}},"template":{"metadata":{"labels":{"app":"other"}}}}}';
      const r = await k(['patch', 'deployment', 'web', '--type=merge', '-p', p]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'The Deployment "web" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"other"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable\n');
    });

    it('a patch giving a field the wrong JSON type is refused and stores nothing', async () => {
      for (const type of ['merge', 'json']) {
        const p = type === 'merge' ? '{"spec":{"replicas":"many"}}' : '[{"op":"replace","path":"/spec/replicas","value":"many"}]';
        const r = await k(['patch', 'deployment', 'web', `--type=${type}`, '-p', p]);
        assert.equal(r.code, 1, describeResult(['patch', type], r));
        assert.match(r.stderr, /^The request is invalid: patch: Invalid value: "\{\\"apiVersion\\":\\"apps\/v1\\",\\"kind\\":\\"Deployment\\",.*": json: cannot unmarshal string into Go struct field DeploymentSpec\.spec\.replicas of type int32\n$/);
      }
      assert.equal(at(await web(), 'spec.replicas'), 4);
    });

    it('a patch making the object invalid is refused', async () => {
      const r = await k(['patch', 'deployment', 'web', '--type=merge', '-p', '{"spec":{"replicas":-1}}']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^The Deployment "web" is invalid: spec\.replicas: Invalid value: -1: must be greater than or equal to 0$/m);
    });
  });

  describe('replace', () => {
    it('replaces the whole object and refuses a stale resourceVersion', async () => {
      await ok(['create', '-f', '-'], configMap('repl', { a: '1', b: '2' }));
      const cm = await getJson(server, ['-n', NS, 'cm', 'repl']);
      const stale = JSON.stringify(cm);
      const next = { ...cm, data: { a: 'changed' } };
      assert.equal(await ok(['replace', '-f', '-'], JSON.stringify(next)), 'configmap/repl replaced\n');
      assert.deepEqual(at(await getJson(server, ['-n', NS, 'cm', 'repl']), 'data'), { a: 'changed' });
      const r = await k(['replace', '-f', '-'], stale);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled on configmaps "repl": the object has been modified; please apply your changes to the latest version and try again\n');
      const missing = await k(['replace', '-f', '-'], configMap('never-created', { a: '1' }));
      assert.equal(missing.code, 1);
      assert.equal(missing.stderr, 'Error from server (NotFound): error when replacing "STDIN": configmaps "never-created" not found\n');
      assert.equal(await ok(['replace', '--force', '-f', '-'], configMap('repl', { forced: 'yes' })), 'configmap "repl" deleted\nconfigmap/repl replaced\n');
      assert.deepEqual(at(await getJson(server, ['-n', NS, 'cm', 'repl']), 'data'), { forced: 'yes' });
    });
  });

  describe('edit', () => {
    it('runs KUBE_EDITOR and stores the result', async () => {
      await ok(['create', '-f', '-'], configMap('edited', { greeting: 'foo' }));
      const r = await k(['edit', 'configmap', 'edited'], undefined, { KUBE_EDITOR: 'sed -i s/greeting:\\ foo/greeting:\\ bar/' });
      assert.equal(r.code, 0, describeResult(['edit'], r));
      assert.equal(r.stdout, 'configmap/edited edited\n');
      const obj = await cm('edited');
      assert.deepEqual(at(obj, 'data'), { greeting: 'bar' });
      assert.ok(managers(obj).some((m) => m.manager === 'kubectl-edit' && m.operation === 'Update'));
      const noop = await k(['edit', 'configmap', 'edited'], undefined, { KUBE_EDITOR: 'true' });
      assert.equal(noop.code, 0, describeResult(['edit'], noop));
      assert.equal(noop.stderr, 'Edit cancelled, no changes made.\n');
    });

    it('reports an invalid edit and keeps the object', async () => {
      // kubectl re-opens the editor with the errors on top; the same editor changes nothing the
      // second time, so kubectl gives up and keeps a copy of the attempt.
      const r = await k(['edit', 'deployment', 'web'], undefined, { KUBE_EDITOR: 'sed -i s/replicas:\\ 4/replicas:\\ -4/' });
      assert.equal(r.code, 1, describeResult(['edit'], r));
      const copy = /^A copy of your changes has been stored to "([^"]+)"$/m.exec(r.stderr);
      assert.ok(copy, r.stderr);
      try {
        assert.equal(r.stderr, `error: deployments.apps "web" is invalid\n${copy[0]}\nerror: Edit cancelled, no valid changes were saved.\n`);
        const saved = readFileSync(copy[1], 'utf8');
        assert.match(saved, /^# \* spec\.replicas: Invalid value: -4: must be greater than or equal to 0$/m);
      } finally {
        rmSync(copy[1], { force: true });
      }
      assert.equal(at(await web(), 'spec.replicas'), 4);
    });
  });

  describe('scale', () => {
    it('sets spec.replicas through the scale subresource', async () => {
      assert.equal(await ok(['scale', 'deployment', 'web', '--replicas=5']), 'deployment.apps/web scaled\n');
      const d = await web();
      assert.equal(at(d, 'spec.replicas'), 5);
      const scale = await kubectlOk(server, ['get', '--raw', `/apis/apps/v1/namespaces/${NS}/deployments/web/scale`]);
      const s = JSON.parse(scale) as Json;
      assert.equal(at(s, 'kind'), 'Scale');
      assert.equal(at(s, 'apiVersion'), 'autoscaling/v1');
      assert.equal(at(s, 'spec.replicas'), 5);
      assert.equal(at(s, 'status.selector'), 'app=web');
      const wrong = await k(['scale', 'deployment', 'web', '--current-replicas=2', '--replicas=1']);
      assert.equal(wrong.code, 1);
      assert.equal(wrong.stderr, 'error: Expected replicas to be 2, was 5\n');
      assert.equal(at(await web(), 'spec.replicas'), 5);
    });
  });

  describe('server-side apply', () => {
    it('creates with the kubectl field manager', async () => {
      assert.equal(await ok(['apply', '--server-side', '-f', '-'], configMap('ssa', { key: 'one', other: 'x' })), 'configmap/ssa serverside-applied\n');
      const obj = await cm('ssa');
      assert.deepEqual(managers(obj), [{ manager: 'kubectl', operation: 'Apply' }]);
      const fields = at(obj, 'metadata.managedFields.0.fieldsV1');
      assert.deepEqual(fields, { 'f:data': { 'f:key': {}, 'f:other': {} } });
      assert.equal(at(obj, 'metadata.annotations'), undefined, 'server-side apply keeps no last-applied annotation');
    });

    it('reports a conflict with another manager in the upstream words', async () => {
      const r = await k(['apply', '--server-side', '--field-manager=other', '-f', '-'], configMap('ssa', { key: 'two' }));
      assert.equal(r.code, 1, describeResult(['apply'], r));
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, `error: Apply failed with 1 conflict: conflict with "kubectl": .data.key\n${CONFLICT_HELP}`);
      assert.equal(at(await cm('ssa'), 'data.key'), 'one');
    });

    it('takes the field over with --force-conflicts', async () => {
      const r = await k(['apply', '--server-side', '--field-manager=other', '--force-conflicts', '-f', '-'], configMap('ssa', { key: 'two' }));
      assert.equal(r.code, 0, describeResult(['apply'], r));
      assert.equal(r.stdout, 'configmap/ssa serverside-applied\n');
      const obj = await cm('ssa');
      assert.deepEqual(at(obj, 'data'), { key: 'two', other: 'x' });
      const mf = at(obj, 'metadata.managedFields');
      assert.ok(Array.isArray(mf));
      const byManager = new Map(mf.map((e) => [String(at(e, 'manager')), at(e, 'fieldsV1')]));
      assert.deepEqual(byManager.get('kubectl'), { 'f:data': { 'f:other': {} } });
      assert.deepEqual(byManager.get('other'), { 'f:data': { 'f:key': {} } });
    });

    it('conflicts with an Update manager name the manager and its version', async () => {
      assert.equal(await ok(['patch', 'cm', 'ssa', '--type=merge', '-p', '{"data":{"other":"patched"}}']), 'configmap/ssa patched\n');
      const r = await k(['apply', '--server-side', '-f', '-'], configMap('ssa', { other: 'x' }));
      assert.equal(r.code, 1, describeResult(['apply'], r));
      assert.match(r.stderr, /^error: Apply failed with 1 conflict: conflict with "kubectl-patch" using v1: \.data\.other\n/);
    });

    it('applies a deployment server-side and dropping a field removes it', async () => {
      const manifest = (replicas: number, extra?: string): string => JSON.stringify({
        apiVersion: 'apps/v1', kind: 'Deployment',
        metadata: { name: 'ssa-web', labels: extra ? { app: 'ssa-web', extra } : { app: 'ssa-web' } },
        spec: {
          replicas, selector: { matchLabels: { app: 'ssa-web' } },
          template: { metadata: { labels: { app: 'ssa-web' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } },
        },
      });
      assert.equal(await ok(['apply', '--server-side', '-f', '-'], manifest(1, 'yes')), 'deployment.apps/ssa-web serverside-applied\n');
      assert.equal(await ok(['apply', '--server-side', '-f', '-'], manifest(2)), 'deployment.apps/ssa-web serverside-applied\n');
      const d = await getJson(server, ['-n', NS, 'deploy', 'ssa-web', '--show-managed-fields']);
      assert.equal(at(d, 'spec.replicas'), 2);
      assert.deepEqual(at(d, 'metadata.labels'), { app: 'ssa-web' });
      // kubectl scale takes spec.replicas over from the applier without a conflict (it is an Update).
      assert.equal(await ok(['scale', 'deploy', 'ssa-web', '--replicas=3']), 'deployment.apps/ssa-web scaled\n');
      const scaled = await getJson(server, ['-n', NS, 'deploy', 'ssa-web', '--show-managed-fields']);
      assert.equal(at(scaled, 'spec.replicas'), 3);
      const mf = at(scaled, 'metadata.managedFields');
      assert.ok(Array.isArray(mf));
      // kubectl scale sends no fieldManager; the server names the manager after the user agent.
      const scaleEntry = mf.find((e) => at(e, 'subresource') === 'scale');
      assert.ok(scaleEntry, JSON.stringify(mf));
      assert.equal(at(scaleEntry, 'manager'), 'kubectl');
      assert.equal(at(scaleEntry, 'operation'), 'Update');
      assert.deepEqual(at(scaleEntry, 'fieldsV1'), { 'f:spec': { 'f:replicas': {} } });
      const conflict = await k(['apply', '--server-side', '-f', '-'], manifest(2));
      assert.equal(conflict.code, 1);
      assert.match(conflict.stderr, /^error: Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps\/v1: \.spec\.replicas\n/);
    });
  });
});
