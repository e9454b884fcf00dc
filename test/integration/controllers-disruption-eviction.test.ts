/**
 * PodDisruptionBudget status and the Eviction subresource through a real
 * `skiff server --simulated-nodes 2`: a budget whose minAvailable equals the pod count refuses
 * evictions (429, also for `kubectl drain`), one more replica lets them through; percentages and
 * maxUnavailable read the Deployment's scale.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/apimachinery/object.js';
import { StatusError } from '../../src/apimachinery/errors.js';
import type { PodDisruptionBudgetSpec, PodDisruptionBudgetStatus, PodSpec, PodStatus } from '../../src/apimachinery/generated/types.js';
import type { RestClient } from '../../src/client/rest-client.js';
import { clientFromKubeconfig } from '../../src/client/rest-client.js';
import type { TestServer } from '../helpers/cluster.js';
import { startServer } from '../helpers/cluster.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { eventually } from '../helpers/eventually.js';

type Pdb = KubeObject & { spec?: PodDisruptionBudgetSpec; status?: PodDisruptionBudgetStatus };
type Pod = KubeObject & { spec?: PodSpec; status?: PodStatus };

const PDBS = { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets' };
const PODS = { group: '', version: 'v1', resource: 'pods' };
const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments' };
const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };

let server: TestServer;
let client: RestClient;

before(async () => {
  server = await startServer({ args: ['--simulated-nodes', '2'] });
  client = clientFromKubeconfig(server.kubeconfig);
});

after(async () => {
  client?.close();
  await server?.cleanup();
});

async function deployment(ns: string, name: string, replicas: number): Promise<void> {
  await client.create(DEPLOYMENTS, {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns },
    spec: {
      replicas, selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
    },
  });
}

async function readyPods(ns: string, app: string, want: number): Promise<Pod[]> {
  return eventually(`${want} ready ${app} pods`, async () => {
    const list = await client.list<Pod>(PODS, { namespace: ns, labelSelector: `app=${app}` });
    const ready = list.items.filter((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    return ready.length === want && list.items.length === want ? ready : undefined;
  });
}

async function pdbStatus(ns: string, name: string, check: (s: PodDisruptionBudgetStatus) => boolean): Promise<Pdb> {
  return eventually(`pdb ${name} status`, async () => {
    const p = await client.get<Pdb>(PDBS, name, { namespace: ns });
    return p.status && check(p.status) ? p : undefined;
  });
}

function evict(ns: string, name: string): Promise<unknown> {
  return client.request({
    method: 'POST', path: `/api/v1/namespaces/${ns}/pods/${name}/eviction`,
    body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: ns } },
  });
}

test('minAvailable equal to the pod count blocks evictions; one more replica allows them', async () => {
  const ns = 'pdb-min';
  await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await deployment(ns, 'web', 2);
  const pods = await readyPods(ns, 'web', 2);
  await client.create(PDBS, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: ns }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } } });
  const pdb = await pdbStatus(ns, 'web', (s) => s.observedGeneration === 1 && s.currentHealthy === 2);
  assert.equal(pdb.status?.desiredHealthy, 2);
  assert.equal(pdb.status?.expectedPods, 2);
  assert.equal(pdb.status?.disruptionsAllowed, 0);
  const cond = pdb.status?.conditions?.find((c) => c.type === 'DisruptionAllowed');
  assert.equal(cond?.status, 'False');
  assert.equal(cond?.reason, 'InsufficientPods');

  const victim = pods[0]!.metadata.name ?? '';
  await assert.rejects(evict(ns, victim), (err: unknown) => {
    assert.ok(err instanceof StatusError);
    assert.equal(err.code, 429);
    assert.equal(err.reason, 'TooManyRequests');
    assert.equal(err.message, "Cannot evict pod as it would violate the pod's disruption budget.");
    assert.deepEqual(err.details?.causes, [{ type: 'DisruptionBudget', message: 'The disruption budget web needs 2 healthy pods and has 2 currently' }]);
    return true;
  });

  const node = pods[0]!.spec?.nodeName ?? '';
  const drain = await kubectl(server, ['drain', node, '--pod-selector', 'app=web', '--timeout', '7s', '--ignore-daemonsets']);
  assert.notEqual(drain.code, 0);
  assert.match(drain.stderr + drain.stdout, /Cannot evict pod as it would violate the pod's disruption budget\./);
  await kubectlOk(server, ['uncordon', node]);

  await kubectlOk(server, ['scale', 'deployment', 'web', '-n', ns, '--replicas', '3']);
  await readyPods(ns, 'web', 3);
  await pdbStatus(ns, 'web', (s) => s.disruptionsAllowed === 1 && s.currentHealthy === 3);
  const answer = await evict(ns, victim);
  assert.deepEqual(answer, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' });
  const after = await client.get<Pdb>(PDBS, 'web', { namespace: ns });
  assert.equal(after.status?.disruptionsAllowed, 0);
  assert.ok(after.status?.disruptedPods?.[victim] !== undefined || (after.status?.currentHealthy ?? 0) < 3);
  // The controller replaces the pod and the budget recovers.
  await readyPods(ns, 'web', 3);
  await pdbStatus(ns, 'web', (s) => s.disruptionsAllowed === 1 && s.currentHealthy === 3 && Object.keys(s.disruptedPods ?? {}).length === 0);

  // kubectl drain goes through (waiting for replacements when it has to).
  const target = (await readyPods(ns, 'web', 3))[0]!.spec?.nodeName ?? '';
  const ok = await kubectl(server, ['drain', target, '--pod-selector', 'app=web', '--timeout', '90s', '--ignore-daemonsets'], { timeoutMs: 120_000 });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, new RegExp(`node/${target} drained`));
  const left = await readyPods(ns, 'web', 3);
  assert.ok(left.every((p) => p.spec?.nodeName !== target));
  await kubectlOk(server, ['uncordon', target]);
});

test('maxUnavailable and percentages use the Deployment scale', async () => {
  const ns = 'pdb-scale';
  await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await deployment(ns, 'api', 4);
  await readyPods(ns, 'api', 4);
  await client.create(PDBS, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'max', namespace: ns }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'api' } } } });
  await client.create(PDBS, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'pct', namespace: ns }, spec: { minAvailable: '50%', selector: { matchLabels: { app: 'api', none: 'x' } } } });
  const max = await pdbStatus(ns, 'max', (s) => s.currentHealthy === 4);
  assert.equal(max.status?.expectedPods, 4);
  assert.equal(max.status?.desiredHealthy, 3);
  assert.equal(max.status?.disruptionsAllowed, 1);
  assert.equal(max.status?.conditions?.find((c) => c.type === 'DisruptionAllowed')?.reason, 'SufficientPods');
  const pct = await pdbStatus(ns, 'pct', (s) => s.observedGeneration === 1);
  assert.equal(pct.status?.expectedPods, 0);
  assert.equal(pct.status?.disruptionsAllowed, 0);

  await client.patch(PDBS, 'pct', { namespace: ns, type: 'merge', patch: { spec: { selector: { matchLabels: { none: null } } } } });
  const pct2 = await pdbStatus(ns, 'pct', (s) => s.observedGeneration === 2 && s.currentHealthy === 4);
  assert.equal(pct2.status?.expectedPods, 4);
  assert.equal(pct2.status?.desiredHealthy, 2);
  assert.equal(pct2.status?.disruptionsAllowed, 2);
});
