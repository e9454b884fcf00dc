/**
 * `skiff agent` joining a server: a control-plane-only `skiff server --disable-agent` and a
 * separate `skiff agent --server … --token-file <server>/server/node-token` process with its own
 * data dir, containerd, bridge, node name and kubelet port. The node registers Ready with a /24 pod
 * CIDR from the server's node IPAM controller; a busybox pod is scheduled there, runs with an IP
 * from that /24, and `kubectl logs` reaches the agent's kubelet through the API server. An agent
 * restarted with the same data dir adopts the running container (same id, no restart, same IP). An
 * agent with a wrong secret or a token for another CA is refused with a clear message and exit code 1.
 *
 * Teardown deletes the pods, stops the agent (and with it its containerd) and the server by pid,
 * and checks that no container, network namespace, mount, iptables chain, bridge or data dir is
 * left (node-agent-support.ts). Needs root and the Debian packages; fails, never skips, without.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentCluster, agentNetwork, busyboxPodYaml } from './node-agent-support.js';
import { startAgentProcess } from './agent-process.js';
import { kubectlOk } from '../helpers/kubectl.js';

const cluster = new AgentCluster(agentNetwork('jn', 150));

interface NodeJson {
  spec: { podCIDR?: string; podCIDRs?: string[] };
  status: { conditions?: { type: string; status: string }[]; addresses?: { type: string; address: string }[] };
}

/** Runs an agent that must fail to join; returns its exit and log. */
async function refusedJoin(token: string): Promise<{ code: number | null; log: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-e2e-badjoin-'));
  try {
    const p = await startAgentProcess(dir, [
      '--server', cluster.srv().url, '--token', token, '--node-name', `${cluster.net.node}-bad`, '--node-ip', '127.0.0.1',
      '--cni-bridge', `${cluster.net.bridge}x`, '--kubelet-port', '1',
    ], { waitReady: false });
    const timer = setTimeout(() => void p.stop('SIGKILL'), 60_000);
    const exit = await p.exited;
    clearTimeout(timer);
    return { code: exit.code, log: p.logs() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('node: skiff agent joins a server', { timeout: 400_000 }, () => {
  before(async () => {
    await cluster.startJoined();
  });

  after(async () => {
    const problems = await cluster.teardown();
    assert.deepEqual(problems, [], 'teardown left things behind');
  });

  test('the joined node is Ready with a /24 pod CIDR from the cluster CIDR', async () => {
    await cluster.waitOutput(['get', 'nodes'], new RegExp(`${cluster.net.node}\\s+Ready`), 120_000);
    const node = JSON.parse(await cluster.ok(['get', 'node', cluster.net.node, '-o', 'json'])) as NodeJson;
    assert.equal(node.spec.podCIDR, `10.${cluster.net.secondOctet}.0.0/24`);
    assert.deepEqual(node.spec.podCIDRs, [node.spec.podCIDR]);
    assert.equal(node.status.addresses?.find((a) => a.type === 'InternalIP')?.address, '127.0.0.1');
    const nodeToken = readFileSync(join(cluster.srv().dataDir, 'server', 'node-token'), 'utf8');
    assert.match(nodeToken, /^K10[0-9a-f]{64}::node:\S+\n$/);
  });

  test('the agent talks to the API as system:node:<name> in group system:nodes', async () => {
    const kubeconfig = join(cluster.nodeDataDir(), 'agent', 'kubelet.kubeconfig');
    const review = JSON.parse(await kubectlOk({ kubeconfig }, ['auth', 'whoami', '-o', 'json'])) as {
      status: { userInfo: { username: string; groups?: string[] } };
    };
    assert.equal(review.status.userInfo.username, `system:node:${cluster.net.node}`);
    assert.ok(review.status.userInfo.groups?.includes('system:nodes'), JSON.stringify(review.status.userInfo));
  });

  test('a busybox pod runs on the joined node and kubectl logs reaches its kubelet', async () => {
    await cluster.apply(busyboxPodYaml('joined', 'echo hello from the joined node; sleep 3600'));
    const pod = await cluster.waitPod('joined', (p) => p.status?.phase === 'Running', 120_000);
    assert.ok(pod.status?.podIP?.startsWith(cluster.net.podPrefix), `pod IP ${pod.status?.podIP} outside ${cluster.net.podPrefix}0/24`);
    assert.equal(await cluster.ok(['get', 'pod', 'joined', '-o', 'jsonpath={.spec.nodeName}']), cluster.net.node);
    await cluster.waitOutput(['logs', 'joined'], /hello from the joined node/, 60_000);
  });

  test('restarting the agent adopts the running container instead of starting it again', async () => {
    const before = await cluster.waitPod('joined', (p) => p.status?.phase === 'Running', 60_000);
    const id = before.status?.containerStatuses?.[0]?.containerID;
    assert.ok(id, 'no container id before the restart');
    await cluster.restartAgent();
    // A pod created after the restart runs only once the new kubelet syncs its pods.
    await cluster.apply(busyboxPodYaml('after-agent-restart', 'sleep 3600'));
    await cluster.waitPod('after-agent-restart', (p) => p.status?.phase === 'Running', 120_000);
    const after = await cluster.waitPod('joined', (p) => p.status?.phase === 'Running', 60_000);
    assert.equal(after.status?.containerStatuses?.[0]?.containerID, id);
    assert.equal(after.status?.containerStatuses?.[0]?.restartCount, 0);
    assert.equal(after.status?.podIP, before.status?.podIP);
    await cluster.waitOutput(['logs', 'joined'], /hello from the joined node/, 60_000);
  });

  test('a wrong secret is refused with a clear error and exit code 1', async () => {
    const good = readFileSync(join(cluster.srv().dataDir, 'server', 'node-token'), 'utf8').trim();
    const r = await refusedJoin(good.replace(/::node:\S+$/, '::node:not-the-secret'));
    assert.equal(r.code, 1, r.log);
    assert.match(r.log, /refused the node token/);
  });

  test('a token naming another CA is refused before the secret is sent', async () => {
    const r = await refusedJoin(`K10${'0'.repeat(64)}::node:whatever`);
    assert.equal(r.code, 1, r.log);
    assert.match(r.log, /does not match the token/);
    const malformed = await refusedJoin('just-a-password');
    assert.equal(malformed.code, 1, malformed.log);
    assert.match(malformed.log, /not a Skiff node token/);
  });
});
