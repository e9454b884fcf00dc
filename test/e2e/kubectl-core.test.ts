/**
 * The real kubectl against `skiff server`: create, get (every output format, selectors, sorting),
 * describe (with events), label, annotate, delete (cascade, force, wait) and wait --for=delete.
 * Expected texts are what kubectl 1.32 prints against upstream Kubernetes 1.32.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { startServer } from '../helpers/cluster.js';
import type { TestServer } from '../helpers/cluster.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { at, createWithGenerator, describeResult, getJson, isObject, kubectlBackground, parseTable, rowOf } from './kubectl-util.js';
import type { Json } from './kubectl-util.js';

const NS = 'core';

function podManifest(name: string, labels: Record<string, string>, image = 'nginx:1.27'): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels },
    spec: { containers: [{ name: 'app', image, ports: [{ containerPort: 80 }] }] },
  });
}

describe('kubectl core commands', () => {
  let server: TestServer;
  const k = (args: string[], input?: string) => kubectl(server, ['-n', NS, ...args], { input });
  const ok = (args: string[], input?: string) => kubectlOk(server, ['-n', NS, ...args], { input });

  before(async () => {
    server = await startServer({ args: ['--controllers', 'garbage-collector,namespace', '--disable-scheduler'] });
    const ns = JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    assert.equal(await kubectlOk(server, ['create', '-f', '-'], { input: ns }), `namespace/${NS} created\n`);
  });

  after(async () => {
    await server?.cleanup();
  });

  describe('create', () => {
    it('creates from stdin and from generators', async (t) => {
      assert.equal(await ok(['create', '-f', '-'], podManifest('web', { app: 'web', tier: 'frontend' })), 'pod/web created\n');
      const deploy = await createWithGenerator(server, ['-n', NS, 'create', 'deployment', 'nginx', '--image=nginx:1.27'], t);
      assert.equal(deploy.code, 0, deploy.stderr);
      assert.equal(deploy.stdout, 'deployment.apps/nginx created\n');
      const svc = await createWithGenerator(server, ['-n', NS, 'create', 'service', 'clusterip', 'nginx', '--tcp=80:8080'], t);
      assert.equal(svc.code, 0, svc.stderr);
      assert.equal(svc.stdout, 'service/nginx created\n');
    });

    it('refuses a duplicate with AlreadyExists', async () => {
      const r = await k(['create', '-f', '-'], podManifest('web', { app: 'web' }));
      assert.equal(r.code, 1, describeResult(['create'], r));
      assert.equal(r.stderr.trim(), 'Error from server (AlreadyExists): error when creating "STDIN": pods "web" already exists');
    });

    it('rejects an invalid object with the upstream Invalid text', async () => {
      const bad = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'Bad_Name' }, spec: { containers: [{ name: 'a', image: 'x' }] } });
      const r = await k(['create', '-f', '-'], bad);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^The Pod "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of/m);
    });

    it('rejects a wrongly typed value as Go decoding does', async () => {
      const bad = JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'typo' }, spec: { replicas: 'three', selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } });
      const r = await k(['create', '-f', '-'], bad);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'Error from server (BadRequest): error when creating "STDIN": Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32\n');
      const cm = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'typed' }, data: { port: 8080 } });
      const r2 = await k(['create', '-f', '-'], cm);
      assert.equal(r2.code, 1);
      assert.equal(r2.stderr, 'Error from server (BadRequest): error when creating "STDIN": ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string\n');
      assert.equal((await k(['get', 'cm', 'typed'])).code, 1);
    });

    it('stores the defaulted pod', async () => {
      const pod = await getJson(server, ['-n', NS, 'pod', 'web']);
      assert.equal(pod.kind, 'Pod');
      assert.equal(pod.apiVersion, 'v1');
      assert.equal(at(pod, 'metadata.namespace'), NS);
      assert.match(String(at(pod, 'metadata.uid')), /^[0-9a-f-]{36}$/);
      assert.match(String(at(pod, 'metadata.resourceVersion')), /^\d+$/);
      assert.equal(at(pod, 'spec.restartPolicy'), 'Always');
      assert.equal(at(pod, 'spec.dnsPolicy'), 'ClusterFirst');
      assert.equal(at(pod, 'spec.terminationGracePeriodSeconds'), 30);
      assert.equal(at(pod, 'spec.containers.0.imagePullPolicy'), 'IfNotPresent');
      assert.equal(at(pod, 'spec.containers.0.ports.0.protocol'), 'TCP');
      assert.equal(at(pod, 'status.phase'), 'Pending');
    });
  });

  describe('get', () => {
    before(async () => {
      // Names sort one way, images the other way.
      await ok(['create', '-f', '-'], podManifest('sort-c', { group: 'sort', tier: 'backend' }, 'img:1'));
      await ok(['create', '-f', '-'], podManifest('sort-a', { group: 'sort', tier: 'cache' }, 'img:3'));
      await ok(['create', '-f', '-'], podManifest('sort-b', { group: 'sort' }, 'img:2'));
    });

    it('prints the default table', async () => {
      const out = await ok(['get', 'pod', 'web']);
      const t = parseTable(out);
      assert.deepEqual(t.header, ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
      const row = rowOf(t, 'web');
      assert.ok(row, out);
      assert.equal(row.READY, '0/1');
      assert.equal(row.STATUS, 'Pending');
      assert.equal(row.RESTARTS, '0');
      assert.match(row.AGE, /^\d+[smh]/);
    });

    it('-o wide adds the upstream columns', async () => {
      const t = parseTable(await ok(['get', 'pod', 'web', '-o', 'wide']));
      assert.deepEqual(t.header, ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
      const row = rowOf(t, 'web');
      assert.ok(row);
      assert.equal(row.IP, '<none>');
      assert.equal(row.NODE, '<none>');
      assert.equal(row['NOMINATED NODE'], '<none>');
      assert.equal(row['READINESS GATES'], '<none>');
    });

    it('-o yaml and -o json show the stored object', async () => {
      const y = parseYaml(await ok(['get', 'pod', 'web', '-o', 'yaml'])) as Json;
      assert.equal(at(y, 'metadata.name'), 'web');
      assert.equal(at(y, 'metadata.labels.tier'), 'frontend');
      assert.equal(at(y, 'spec.containers.0.image'), 'nginx:1.27');
      const j = JSON.parse(await ok(['get', 'pods', '-o', 'json'])) as Json;
      assert.equal(at(j, 'kind'), 'List');
      const items = at(j, 'items');
      assert.ok(Array.isArray(items));
      assert.deepEqual(items.map((i) => at(i, 'metadata.name')).sort(), ['sort-a', 'sort-b', 'sort-c', 'web']);
      assert.ok(items.every((i) => at(i, 'kind') === 'Pod' && at(i, 'apiVersion') === 'v1'));
    });

    it('-o name', async () => {
      assert.equal(await ok(['get', 'pod', 'web', '-o', 'name']), 'pod/web\n');
      assert.equal(await ok(['get', 'deploy', '-o', 'name']), 'deployment.apps/nginx\n');
    });

    it('-o jsonpath', async () => {
      assert.equal(await ok(['get', 'pod', 'web', '-o', 'jsonpath={.metadata.name} {.spec.containers[0].image}']), 'web nginx:1.27');
      assert.equal(
        await ok(['get', 'pods', '-l', 'group=sort', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.spec.containers[0].image}{"\\n"}{end}']),
        'sort-a=img:3\nsort-b=img:2\nsort-c=img:1\n',
      );
    });

    it('-o custom-columns', async () => {
      const out = await ok(['get', 'pods', '-l', 'group=sort', '-o', 'custom-columns=NAME:.metadata.name,IMAGE:.spec.containers[0].image,TIER:.metadata.labels.tier']);
      const t = parseTable(out);
      assert.deepEqual(t.header, ['NAME', 'IMAGE', 'TIER']);
      assert.deepEqual(t.rows, [['sort-a', 'img:3', 'cache'], ['sort-b', 'img:2', '<none>'], ['sort-c', 'img:1', 'backend']]);
    });

    it('--sort-by', async () => {
      const byImage = parseTable(await ok(['get', 'pods', '-l', 'group=sort', '--sort-by=.spec.containers[0].image']));
      assert.deepEqual(byImage.rows.map((r) => r[0]), ['sort-c', 'sort-b', 'sort-a']);
      const byName = await ok(['get', 'pods', '-l', 'group=sort', '--sort-by=.metadata.name', '-o', 'name']);
      assert.equal(byName, 'pod/sort-a\npod/sort-b\npod/sort-c\n');
    });

    it('-l with equality and set-based selectors', async () => {
      const names = async (sel: string): Promise<string> => ok(['get', 'pods', '-l', sel, '-o', 'name']);
      assert.equal(await names('app=web'), 'pod/web\n');
      assert.equal(await names('group==sort,tier!=cache'), 'pod/sort-b\npod/sort-c\n');
      assert.equal(await names('tier in (backend,cache)'), 'pod/sort-a\npod/sort-c\n');
      assert.equal(await names('group=sort,tier notin (backend)'), 'pod/sort-a\npod/sort-b\n');
      assert.equal(await names('tier'), 'pod/sort-a\npod/sort-c\npod/web\n');
      assert.equal(await names('group,!tier'), 'pod/sort-b\n');
      const none = await k(['get', 'pods', '-l', 'app=nothing']);
      assert.equal(none.code, 0);
      assert.equal(none.stdout, '');
      assert.equal(none.stderr, `No resources found in ${NS} namespace.\n`);
    });

    it('--field-selector', async () => {
      assert.equal(await ok(['get', 'pods', '--field-selector', 'metadata.name=sort-b', '-o', 'name']), 'pod/sort-b\n');
      assert.equal(await ok(['get', 'pods', '--field-selector', 'metadata.name!=web,status.phase=Pending', '-o', 'name']), 'pod/sort-a\npod/sort-b\npod/sort-c\n');
      assert.equal(await ok(['get', 'pods', '--field-selector', 'spec.nodeName=', '-l', 'app=web', '-o', 'name']), 'pod/web\n');
      const bad = await k(['get', 'pods', '--field-selector', 'spec.bogus=x']);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /^Error from server \(BadRequest\): Unable to find "\/v1, Resource=pods" that match label selector "", field selector "spec\.bogus=x": field label not supported: spec\.bogus$/m);
    });

    it('--chunk-size pages through continue tokens', async () => {
      const paged = await ok(['get', 'pods', '--chunk-size=1', '-o', 'name']);
      assert.equal(paged, 'pod/sort-a\npod/sort-b\npod/sort-c\npod/web\n');
      const table = parseTable(await ok(['get', 'pods', '--chunk-size=2']));
      assert.deepEqual(table.rows.map((r) => r[0]), ['sort-a', 'sort-b', 'sort-c', 'web']);
    });

    it('--all-namespaces, --show-labels and -L', async () => {
      const all = parseTable(await kubectlOk(server, ['get', 'pods', '-A', '-l', 'app=web']));
      assert.deepEqual(all.header, ['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
      assert.deepEqual(all.rows.map((r) => [r[0], r[1]]), [[NS, 'web']]);
      const labelled = parseTable(await ok(['get', 'pod', 'web', '--show-labels', '-L', 'tier']));
      assert.deepEqual(labelled.header, ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'TIER', 'LABELS']);
      assert.equal(rowOf(labelled, 'web')?.TIER, 'frontend');
      assert.equal(rowOf(labelled, 'web')?.LABELS, 'app=web,tier=frontend');
      const ns = parseTable(await kubectlOk(server, ['get', 'namespaces']));
      assert.deepEqual(ns.header, ['NAME', 'STATUS', 'AGE']);
      for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease', NS]) assert.equal(rowOf(ns, name)?.STATUS, 'Active', name);
    });

    it('reports a missing object', async () => {
      const r = await k(['get', 'pod', 'nope']);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'Error from server (NotFound): pods "nope" not found\n');
    });

    it('get all lists pods, services and deployments', async () => {
      const out = await ok(['get', 'all']);
      assert.match(out, /^pod\/web\s+0\/1\s+Pending\s+0\s+\S+$/m);
      assert.match(out, /^service\/nginx\s+ClusterIP\s+10\.43\.\d+\.\d+\s+<none>\s+80\/TCP\s+\S+$/m);
      assert.match(out, /^deployment\.apps\/nginx\s+0\/1\s+0\s+0\s+\S+$/m);
      assert.match(out, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/m);
      const empty = await kubectl(server, ['get', 'all', '-n', 'kube-public']);
      assert.equal(empty.code, 0);
      assert.equal(empty.stderr, 'No resources found in kube-public namespace.\n');
    });
  });

  describe('describe', () => {
    it('pod, with its events', async () => {
      const uid = await ok(['get', 'pod', 'web', '-o', 'jsonpath={.metadata.uid}']);
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const event = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'web.test-event', namespace: NS },
        involvedObject: { apiVersion: 'v1', kind: 'Pod', name: 'web', namespace: NS, uid },
        reason: 'TestReason',
        message: 'hello from the e2e suite',
        type: 'Warning',
        source: { component: 'e2e-suite' },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      };
      assert.equal(await ok(['create', '-f', '-'], JSON.stringify(event)), 'event/web.test-event created\n');
      const out = await ok(['describe', 'pod', 'web']);
      assert.match(out, /^Name:\s+web$/m);
      assert.match(out, /^Namespace:\s+core$/m);
      assert.match(out, /^Labels:\s+app=web$/m);
      assert.match(out, /^\s+tier=frontend$/m);
      assert.match(out, /^Status:\s+Pending$/m);
      assert.match(out, /^Containers:\n\s+app:$/m);
      assert.match(out, /^\s+Image:\s+nginx:1\.27$/m);
      assert.match(out, /^\s+Port:\s+80\/TCP$/m);
      assert.match(out, /^QoS Class:\s+BestEffort$/m);
      // The same event through `get events` (with a server-side field selector) and `kubectl events`.
      const listed = await ok(['get', 'events', '--field-selector', 'involvedObject.name=web,type=Warning']);
      assert.match(listed, /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/m);
      assert.match(listed, /^\S+\s+Warning\s+TestReason\s+pod\/web\s+hello from the e2e suite$/m);
      assert.equal((await k(['get', 'events', '--field-selector', 'involvedObject.name=nobody'])).stderr, `No resources found in ${NS} namespace.\n`);
      const forPod = await ok(['events', '--for', 'pod/web']);
      // (A running scheduler may add its own FailedScheduling event for the pod.)
      assert.match(forPod, /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n/);
      assert.match(forPod, /^\S+\s+Warning\s+TestReason\s+Pod\/web\s+hello from the e2e suite$/m);
      const events = out.slice(out.indexOf('\nEvents:'));
      assert.match(events, /^Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n\s+----\s+------\s+----\s+----\s+-------\n/m);
      assert.match(events, /^\s+Warning\s+TestReason\s+\S+\s+e2e-suite\s+hello from the e2e suite$/m);
    });

    it('deployment', async () => {
      const out = await ok(['describe', 'deployment', 'nginx']);
      assert.match(out, /^Name:\s+nginx$/m);
      assert.match(out, /^Namespace:\s+core$/m);
      assert.match(out, /^Selector:\s+app=nginx$/m);
      assert.match(out, /^Replicas:\s+1 desired \| 0 updated \| 0 total \| 0 available \| 0 unavailable$/m);
      assert.match(out, /^StrategyType:\s+RollingUpdate$/m);
      assert.match(out, /^RollingUpdateStrategy:\s+25% max unavailable, 25% max surge$/m);
      assert.match(out, /^\s+nginx:\n\s+Image:\s+nginx:1\.27$/m);
      assert.match(out, /^Events:\s+<none>$/m);
    });

    it('service', async () => {
      const out = await ok(['describe', 'service', 'nginx']);
      assert.match(out, /^Name:\s+nginx$/m);
      assert.match(out, /^Selector:\s+app=nginx$/m);
      assert.match(out, /^Type:\s+ClusterIP$/m);
      assert.match(out, /^IP Family Policy:\s+SingleStack$/m);
      assert.match(out, /^IP Families:\s+IPv4$/m);
      assert.match(out, /^IP:\s+10\.43\.\d+\.\d+$/m);
      assert.match(out, /^Port:\s+80-8080\s+80\/TCP$/m);
      assert.match(out, /^TargetPort:\s+8080\/TCP$/m);
      assert.match(out, /^Session Affinity:\s+None$/m);
    });

    it('namespace', async () => {
      const out = await kubectlOk(server, ['describe', 'namespace', NS]);
      assert.match(out, /^Name:\s+core$/m);
      assert.match(out, /^Labels:\s+kubernetes\.io\/metadata\.name=core$/m);
      assert.match(out, /^Status:\s+Active$/m);
      assert.match(out, /^No resource quota\.$/m);
      assert.match(out, /^No LimitRange resource\.$/m);
    });
  });

  describe('label and annotate', () => {
    const labels = async (): Promise<Json | undefined> => at(await getJson(server, ['-n', NS, 'pod', 'web']), 'metadata.labels');
    const annotations = async (): Promise<Json | undefined> => at(await getJson(server, ['-n', NS, 'pod', 'web']), 'metadata.annotations');

    it('label adds, refuses to overwrite, overwrites, removes', async () => {
      assert.equal(await ok(['label', 'pod', 'web', 'env=prod']), 'pod/web labeled\n');
      assert.deepEqual(await labels(), { app: 'web', tier: 'frontend', env: 'prod' });
      const clash = await k(['label', 'pod', 'web', 'env=dev']);
      assert.equal(clash.code, 1);
      assert.equal(clash.stderr, "error: 'env' already has a value (prod), and --overwrite is false\n");
      assert.equal(await ok(['label', 'pod', 'web', 'env=dev', '--overwrite']), 'pod/web labeled\n');
      assert.deepEqual(await labels(), { app: 'web', tier: 'frontend', env: 'dev' });
      assert.equal(await ok(['label', 'pod', 'web', 'env-']), 'pod/web unlabeled\n');
      assert.deepEqual(await labels(), { app: 'web', tier: 'frontend' });
      assert.equal(await ok(['label', 'pods', '-l', 'group=sort', 'batch=one']), 'pod/sort-a labeled\npod/sort-b labeled\npod/sort-c labeled\n');
      assert.equal(await ok(['get', 'pods', '-l', 'batch=one', '-o', 'name']), 'pod/sort-a\npod/sort-b\npod/sort-c\n');
    });

    it('annotate adds, refuses to overwrite, overwrites, removes', async () => {
      assert.equal(await ok(['annotate', 'pod', 'web', 'note=one', 'owner=team-a']), 'pod/web annotated\n');
      assert.deepEqual(await annotations(), { note: 'one', owner: 'team-a' });
      const clash = await k(['annotate', 'pod', 'web', 'note=two']);
      assert.equal(clash.code, 1);
      assert.equal(clash.stderr, "error: --overwrite is false but found the following declared annotation(s): 'note' already has a value (one)\n");
      assert.equal(await ok(['annotate', 'pod', 'web', 'note=two', '--overwrite']), 'pod/web annotated\n');
      assert.deepEqual(await annotations(), { note: 'two', owner: 'team-a' });
      assert.equal(await ok(['annotate', 'pod', 'web', 'note-']), 'pod/web annotated\n');
      assert.deepEqual(await annotations(), { owner: 'team-a' });
      const describeOut = await ok(['describe', 'pod', 'web']);
      assert.match(describeOut, /^Annotations:\s+owner: team-a$/m);
    });
  });

  describe('delete and wait', () => {
    it('deletes a pod and waits for it to be gone', async () => {
      await ok(['create', '-f', '-'], podManifest('doomed', { app: 'doomed' }));
      assert.equal(await ok(['delete', 'pod', 'doomed', '--wait=true']), 'pod "doomed" deleted\n');
      const r = await k(['get', 'pod', 'doomed']);
      assert.equal(r.stderr, 'Error from server (NotFound): pods "doomed" not found\n');
      const again = await k(['delete', 'pod', 'doomed']);
      assert.equal(again.code, 1);
      assert.equal(again.stderr, 'Error from server (NotFound): pods "doomed" not found\n');
      assert.equal((await k(['delete', 'pod', 'doomed', '--ignore-not-found'])).code, 0);
    });

    it('--grace-period=0 --force', async () => {
      await ok(['create', '-f', '-'], podManifest('forced', { app: 'forced' }));
      const r = await k(['delete', 'pod', 'forced', '--grace-period=0', '--force']);
      assert.equal(r.code, 0, describeResult(['delete'], r));
      assert.equal(r.stdout, 'pod "forced" force deleted\n');
      assert.equal(r.stderr, 'Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n');
      assert.equal((await k(['get', 'pod', 'forced'])).code, 1);
    });

    it('a pod bound to a node terminates gracefully; --force removes it at once', async () => {
      const bound = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bound' }, spec: { nodeName: 'node-without-kubelet', containers: [{ name: 'c', image: 'busybox:1.36' }] } });
      await ok(['create', '-f', '-'], bound);
      assert.equal(await ok(['delete', 'pod', 'bound', '--wait=false']), 'pod "bound" deleted\n');
      const pod = await getJson(server, ['-n', NS, 'pod', 'bound']);
      assert.equal(at(pod, 'metadata.deletionGracePeriodSeconds'), 30);
      assert.equal(typeof at(pod, 'metadata.deletionTimestamp'), 'string');
      assert.equal(rowOf(parseTable(await ok(['get', 'pod', 'bound'])), 'bound')?.STATUS, 'Terminating');
      const r = await k(['delete', 'pod', 'bound', '--grace-period=0', '--force']);
      assert.equal(r.code, 0, describeResult(['delete'], r));
      assert.equal(r.stdout, 'pod "bound" force deleted\n');
      assert.equal((await k(['get', 'pod', 'bound'])).stderr, 'Error from server (NotFound): pods "bound" not found\n');
    });

    it('deletes by label selector', async () => {
      const out = await ok(['delete', 'pods', '-l', 'group=sort']);
      assert.equal(out, 'pod "sort-a" deleted\npod "sort-b" deleted\npod "sort-c" deleted\n');
      assert.equal((await k(['get', 'pods', '-l', 'group=sort'])).stderr, `No resources found in ${NS} namespace.\n`);
    });

    it('--cascade=background, foreground and orphan', async (t) => {
      for (const cascade of ['background', 'foreground', 'orphan']) {
        const name = `cascade-${cascade}`;
        const created = await createWithGenerator(server, ['-n', NS, 'create', 'deployment', name, '--image=nginx:1.27'], t);
        assert.equal(created.stdout, `deployment.apps/${name} created\n`, created.stderr);
        const uid = await ok(['get', 'deployment', name, '-o', 'jsonpath={.metadata.uid}']);
        // A dependent, as the deployment controller would create it.
        const rs = {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: {
            name: `${name}-rs`,
            labels: { app: name },
            ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid, controller: true, blockOwnerDeletion: true }],
          },
          spec: { replicas: 0, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } } },
        };
        assert.equal(await ok(['create', '-f', '-'], JSON.stringify(rs)), `replicaset.apps/${name}-rs created\n`);
        const r = await k(['delete', 'deployment', name, `--cascade=${cascade}`, '--wait=false']);
        assert.equal(r.code, 0, describeResult(['delete', cascade], r));
        assert.equal(r.stdout, `deployment.apps "${name}" deleted\n`);
        if (cascade === 'background') {
          // The owner goes at once; the garbage collector removes dependents afterwards.
          assert.equal((await k(['get', 'deployment', name])).code, 1, 'deployment still there');
          const dependentGone = await k(['wait', '--for=delete', `rs/${name}-rs`, '--timeout=30s']);
          assert.equal(dependentGone.code, 0, describeResult(['wait', '--for=delete', 'rs'], dependentGone));
        } else {
          // Foreground and Orphan leave the owner terminating with the matching finalizer until the
          // garbage collector has dealt with the dependents.
          const finalizer = cascade === 'foreground' ? 'foregroundDeletion' : 'orphan';
          const live = await k(['get', 'deployment', name, '-o', 'json']);
          if (live.code === 0) {
            const d = JSON.parse(live.stdout) as Json;
            assert.equal(typeof at(d, 'metadata.deletionTimestamp'), 'string');
            const finalizers = at(d, 'metadata.finalizers');
            assert.ok(Array.isArray(finalizers) && finalizers.includes(finalizer), `${finalizer} in ${JSON.stringify(finalizers)}`);
          }
          const waited = await k(['wait', '--for=delete', `deployment/${name}`, '--timeout=15s']);
          // The garbage collector deals with the dependents, then removes the finalizer.
          assert.equal(waited.code, 0, describeResult(['wait', '--for=delete'], waited));
          const dependent = await k(['get', 'rs', `${name}-rs`, '-o', 'json']);
          if (cascade === 'foreground') {
            assert.equal(dependent.code, 1, 'foreground: the dependent is deleted before the owner');
          } else {
            assert.equal(dependent.code, 0, dependent.stderr);
            assert.equal(at(JSON.parse(dependent.stdout) as Json, 'metadata.ownerReferences'), undefined, 'orphan: ownerReferences removed');
          }
        }
        await ok(['delete', 'rs', `${name}-rs`, '--ignore-not-found']);
      }
    });

    it('wait --for=delete returns once finalizers are removed', async () => {
      const held = JSON.stringify({
        apiVersion: 'v1', kind: 'ConfigMap',
        metadata: { name: 'held', finalizers: ['example.com/hold'] },
        data: { a: '1' },
      });
      await ok(['create', '-f', '-'], held);
      assert.equal(await ok(['delete', 'configmap', 'held', '--wait=false']), 'configmap "held" deleted\n');
      const cm = await getJson(server, ['-n', NS, 'configmap', 'held']);
      assert.ok(isObject(cm.metadata) && typeof cm.metadata.deletionTimestamp === 'string', 'deletionTimestamp set while a finalizer holds it');
      // -v=6 logs requests on stderr, so the test knows when the watch is open.
      const waiter = kubectlBackground(server, ['-n', NS, 'wait', '--for=delete', 'configmap/held', '--timeout=60s', '-v=6']);
      try {
        await waiter.waitForStderr((t) => /GET https:\S+configmaps\?\S*watch=true\S* 200 OK/.test(t), 'the watch request');
        // Give the waiter something to observe: drop the finalizer.
        assert.equal(
          await ok(['patch', 'configmap', 'held', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']),
          'configmap/held patched\n',
        );
        const code = await waiter.exited;
        assert.equal(code, 0, waiter.stderr());
        assert.equal(waiter.stdout(), 'configmap/held condition met\n');
      } finally {
        waiter.kill();
      }
      assert.equal((await k(['get', 'configmap', 'held'])).code, 1);
      // Waiting for something already gone succeeds at once.
      const gone = await k(['wait', '--for=delete', 'configmap/held', '--timeout=10s']);
      assert.equal(gone.code, 0, describeResult(['wait'], gone));
    });
  });
});
