/**
 * Deployment rollout on `skiff server --simulated-nodes 3` (real kubelet code, simulated
 * runtime): a watcher checks during the whole rolling update of 10 replicas with maxSurge 1 and
 * maxUnavailable 1 that there are never more than 11 live pods nor fewer than 9 ready ones;
 * then background deletion of the Deployment removes its ReplicaSets and pods.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/apimachinery/object.js';
import type { RestClient } from '../../src/client/rest-client.js';
import { clientFromKubeconfig } from '../../src/client/rest-client.js';
import { createInformer } from '../../src/client/informer.js';
import type { TestServer } from '../helpers/cluster.js';
import { startServer } from '../helpers/cluster.js';
import { kubectlOk } from '../helpers/kubectl.js';

const PODS = { group: '', version: 'v1', resource: 'pods' };
type Pod = KubeObject & { status?: { conditions?: { type: string; status: string }[] } };

let server: TestServer;
let client: RestClient;

before(async () => {
  server = await startServer({ args: ['--simulated-nodes', '3'] });
  client = clientFromKubeconfig(server.kubeconfig);
});

after(async () => {
  client?.close();
  await server?.cleanup();
});

function isReady(p: Pod): boolean {
  return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

test('rolling update of 10 with maxSurge 1 / maxUnavailable 1 stays within 11 pods and 9 ready', async () => {
  await kubectlOk(server, ['apply', '-f', '-'], {
    input: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 10
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 1}}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: nginx, image: nginx:1}]}
`,
  });
  await kubectlOk(server, ['rollout', 'status', 'deployment/web', '--timeout=90s'], { timeoutMs: 100_000 });
  const out = await kubectlOk(server, ['get', 'deployments']);
  assert.match(out, /web\s+10\/10\s+10\s+10/);

  const informer = createInformer<Pod>(client, PODS, { namespace: 'default', labelSelector: 'app=web' });
  let maxLive = 0;
  let minReady = Infinity;
  let armed = false;
  const check = (): void => {
    // The initial list arrives one add at a time; count only once synced.
    if (!armed) return;
    const live = informer.store.list().filter((p) => !p.metadata.deletionTimestamp);
    maxLive = Math.max(maxLive, live.length);
    minReady = Math.min(minReady, live.filter(isReady).length);
  };
  informer.addEventHandler({ onAdd: check, onUpdate: check, onDelete: check });
  informer.run();
  await informer.waitForSync();
  armed = true;
  check();
  try {
    await kubectlOk(server, ['annotate', 'deployment', 'web', 'kubernetes.io/change-cause=nginx 2']);
    await kubectlOk(server, ['set', 'image', 'deployment/web', 'nginx=nginx:2']);
    await kubectlOk(server, ['rollout', 'status', 'deployment/web', '--timeout=90s'], { timeoutMs: 100_000 });
  } finally {
    informer.stop();
  }
  assert.ok(maxLive <= 11, `saw ${maxLive} live pods`);
  assert.ok(minReady >= 9, `saw only ${minReady} ready pods`);
  const history = await kubectlOk(server, ['rollout', 'history', 'deployment/web']);
  assert.match(history, /2\s+nginx 2/);

  await kubectlOk(server, ['rollout', 'undo', 'deployment/web', '--to-revision=1']);
  await kubectlOk(server, ['rollout', 'status', 'deployment/web', '--timeout=90s'], { timeoutMs: 100_000 });
  const image = await kubectlOk(server, ['get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
  assert.equal(image, 'nginx:1');

  await kubectlOk(server, ['delete', 'deployment', 'web']);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const left = (await kubectlOk(server, ['get', 'rs,pods', '-l', 'app=web', '-o', 'name'])).trim();
    if (left === '') break;
    assert.ok(Date.now() < deadline, `left behind: ${left}`);
    await new Promise((r) => setTimeout(r, 200));
  }
});
