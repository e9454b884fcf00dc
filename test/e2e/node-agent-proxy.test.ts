/**
 * The API server's proxy subresources end to end on the embedded agent, with a real busybox httpd
 * behind a Service: `pods/NAME[:PORT]/proxy/`, `services/[SCHEME:]NAME[:PORT]/proxy/`,
 * `nodes/NAME/proxy/` to the kubelet (`healthz`, `stats/summary`, `containerLogs`), a pod port
 * nothing listens on (upstream's 503), and `kubectl proxy` forwarding a plain HTTP GET to the
 * API server's pod proxy.
 *
 * Traffic stays on loopback (the API server, the kubelet, kubectl proxy's listener) and inside
 * the bridge this test's server creates. The kubectl proxy child is killed by pid; teardown checks
 * that every container, sandbox, network namespace, iptables chain and the bridge are gone.
 * Needs root and the Debian packages the agent needs; it fails (never skips) without them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentCluster, agentNetwork } from './node-agent-support.js';
import { httpGetLoopback, killKubectlChildren, startKubectlChild } from '../helpers/kubectl-child.js';
import { eventually } from '../helpers/eventually.js';

const cluster = new AgentCluster(agentNetwork('px', 100));
const WAIT_MS = 60_000;
const PAGE = 'hello from the web pod\n';

const manifest = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: httpd
    image: busybox:1.35
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "mkdir -p /www && echo hello from the web pod > /www/index.html && echo web started && exec httpd -f -p 8080 -h /www"]
    ports:
    - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - name: http
    port: 80
    targetPort: 8080
`;

function raw(p: string): Promise<string> {
  return cluster.ok(['get', '--raw', p]);
}

/** `kubectl get --raw p` once it first succeeds (the backend may need a moment). */
function rawEventually(what: string, p: string): Promise<string> {
  return eventually(what, async () => {
    const r = await cluster.k(['get', '--raw', p]);
    return r.code === 0 ? r.stdout : undefined;
  }, WAIT_MS);
}

/** Starts `kubectl proxy --port 0` and waits for its "Starting to serve on 127.0.0.1:N" line. */
async function kubectlProxy(): Promise<{ port: number; stop: () => Promise<void> }> {
  const child = await startKubectlChild(cluster.srv().kubeconfig, ['proxy', '--port', '0'], /Starting to serve on 127\.0\.0\.1:(\d+)/, { waitMs: WAIT_MS });
  return { port: Number(child.match[1]), stop: child.stop };
}

describe('node: the pods, services and nodes proxy subresources', { timeout: 300_000 }, () => {
  before(async () => {
    await cluster.start(['--controllers', '*']);
    await cluster.apply(manifest);
    await cluster.waitPod('web', (p) => p.status?.phase === 'Running' && !!p.status.podIP, 90_000);
  });

  after(async () => {
    killKubectlChildren();
    const problems = await cluster.teardown();
    assert.deepEqual(problems, [], 'teardown left things behind');
  });

  test('pods/proxy with and without a port, and a port nothing listens on', async () => {
    assert.equal(await rawEventually('httpd answers through pods/proxy', '/api/v1/namespaces/default/pods/web:8080/proxy/'), PAGE);
    assert.equal(await raw('/api/v1/namespaces/default/pods/web/proxy/'), PAGE);
    assert.equal(await raw('/api/v1/namespaces/default/pods/http:web:8080/proxy/index.html'), PAGE);
    const refused = await cluster.k(['get', '--raw', '/api/v1/namespaces/default/pods/web:9999/proxy/']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Error from server \(ServiceUnavailable\): error trying to reach service: dial tcp [0-9.]+:9999: connect: connection refused/);
  });

  test('services/proxy picks a ready endpoint by port name or number', async () => {
    assert.equal(await rawEventually('the Service has an endpoint', '/api/v1/namespaces/default/services/web:http/proxy/'), PAGE);
    assert.equal(await raw('/api/v1/namespaces/default/services/web:80/proxy/'), PAGE);
    assert.equal(await raw('/api/v1/namespaces/default/services/http:web:http/proxy/index.html'), PAGE);
  });

  test('nodes/proxy reaches the kubelet: healthz, stats/summary, containerLogs', async () => {
    const node = cluster.net.node;
    assert.equal(await raw(`/api/v1/nodes/${node}/proxy/healthz`), 'ok');
    const summary = JSON.parse(await raw(`/api/v1/nodes/${node}/proxy/stats/summary`)) as { node?: { nodeName?: string } };
    assert.equal(summary.node?.nodeName, node);
    assert.match(await raw(`/api/v1/nodes/${node}/proxy/containerLogs/default/web/httpd`), /web started/);
  });

  test('kubectl proxy forwards a plain GET to the pod proxy', async () => {
    const p = await kubectlProxy();
    try {
      const r = await httpGetLoopback(p.port, '/api/v1/namespaces/default/pods/web:8080/proxy/');
      assert.equal(r.status, 200, r.body);
      assert.equal(r.body, PAGE);
    } finally {
      await p.stop();
    }
  });
});
