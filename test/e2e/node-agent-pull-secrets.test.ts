/**
 * Image pull secrets on the embedded agent, with real containerd and real kubectl (one server for
 * the file): a loopback registry (Debian's docker-registry) that requires HTTP basic auth
 * (htpasswd, bcrypt, plain HTTP on 127.0.0.1) holds the busybox image, pushed by skopeo with
 * credentials.
 * - a pod without a pull secret fails with ErrImagePull, then ImagePullBackOff, with the
 *   registry's 401 in the message;
 * - `kubectl create secret docker-registry` + `imagePullSecrets` makes the pod run;
 * - in a namespace whose `default` ServiceAccount lists the secret, a pod naming none gets it
 *   copied in by admission and runs;
 * - a wrong password fails with ErrImagePull;
 * - a secret that does not exist gives the FailedToRetrieveImagePullSecret warning and the pull
 *   still goes on with the others.
 *
 * Every pod uses `imagePullPolicy: Always`, so each one pulls (an image already present would
 * not need credentials). Teardown deletes the pods and the namespace, removes the pulled images,
 * stops the registry by pid, removes its storage and checks the node left nothing behind
 * (node-agent-support.ts). Needs root and the Debian packages scripts/setup.sh installs; it fails
 * (never skips) without them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildBusyboxImage } from '../../src/images/builtin.js';
import { AgentCluster, agentNetwork } from './node-agent-support.js';
import { LoopbackRegistry, registryPreflight, teardownWithRegistry } from './loopback-registry.js';

const cluster = new AgentCluster(agentNetwork('ps', 100));
const USER = 'skiff';
const PASSWORD = 'e2e-secret-pw';
const registry = new LoopbackRegistry({ credentials: { username: USER, password: PASSWORD } });
const NS = 'pull-secrets-sa';
let image = '';

function podYaml(name: string, opts: { secrets?: string[]; namespace?: string } = {}): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${opts.namespace ?? 'default'}
spec:
  terminationGracePeriodSeconds: 1
${opts.secrets ? `  imagePullSecrets: ${JSON.stringify(opts.secrets.map((name) => ({ name })))}\n` : ''}  containers:
  - name: main
    image: ${image}
    imagePullPolicy: Always
    command: ["sh", "-c", "sleep 600"]
`;
}

function createSecret(name: string, password: string, namespace = 'default'): Promise<string> {
  return cluster.ok(['-n', namespace, 'create', 'secret', 'docker-registry', name,
    `--docker-server=${registry.host}`, `--docker-username=${USER}`, `--docker-password=${password}`]);
}

interface Waiting { reason?: string; message?: string }

async function waitingOf(name: string): Promise<Waiting | undefined> {
  return (await cluster.pod(name))?.status?.containerStatuses?.[0]?.state?.waiting as Waiting | undefined;
}

/** Matches the registry's refusal as containerd reports it. */
const UNAUTHORIZED = /401 Unauthorized/;

describe('node: image pull secrets against a registry that requires credentials', { timeout: 600_000, concurrency: true }, () => {
  before(async () => {
    registryPreflight({ htpasswd: true });
    await cluster.start(['--controllers', '*']);
    await registry.start();
    image = await registry.pushArchive(buildBusyboxImage().archive, 'latest', 'private/busybox', 'e2e');
  });

  after(() => teardownWithRegistry(cluster, registry, [NS]));

  test('without a pull secret the pull is refused: ErrImagePull, then ImagePullBackOff', async () => {
    await cluster.apply(podYaml('no-secret'));
    await cluster.waitOutput(['get', 'pod', 'no-secret'], /^no-secret\s+0\/1\s+ErrImagePull\s/m, 90_000);
    const first = await waitingOf('no-secret');
    assert.match(first?.message ?? '', /^rpc error: code = \w+ desc = failed to pull and unpack image/);
    assert.match(first?.message ?? '', UNAUTHORIZED);
    await cluster.waitOutput(['get', 'pod', 'no-secret'], /^no-secret\s+0\/1\s+ImagePullBackOff\s/m, 90_000);
    const waiting = await waitingOf('no-secret');
    assert.match(waiting?.message ?? '', new RegExp(`^Back-off pulling image "${image}": ErrImagePull: rpc error: `));
    assert.match(waiting?.message ?? '', UNAUTHORIZED);
    const events = await cluster.eventLines('no-secret');
    assert.match(events, new RegExp(`^Warning Failed Failed to pull image "${image}": rpc error: .*401 Unauthorized`, 'm'));
  });

  test('kubectl create secret docker-registry + imagePullSecrets: the pod runs', async () => {
    await createSecret('regcred', PASSWORD);
    await cluster.apply(podYaml('with-secret', { secrets: ['regcred'] }));
    await cluster.waitPod('with-secret', (p) => p.status?.phase === 'Running', 120_000);
    const events = await cluster.waitEvent('with-secret', /^Normal Pulled /m);
    assert.match(events, new RegExp(`^Normal Pulled Successfully pulled image "${image}" in `, 'm'));
  });

  test('the default ServiceAccount\'s imagePullSecrets are copied into a new pod, which runs', async () => {
    await cluster.ok(['create', 'namespace', NS]);
    await cluster.waitOutput(['-n', NS, 'get', 'serviceaccounts', '-o', 'name'], /^serviceaccount\/default$/m, 60_000);
    await createSecret('regcred', PASSWORD, NS);
    await cluster.ok(['-n', NS, 'patch', 'serviceaccount', 'default', '-p', '{"imagePullSecrets":[{"name":"regcred"}]}']);
    await cluster.apply(podYaml('from-sa', { namespace: NS }));
    assert.equal(await cluster.ok(['-n', NS, 'get', 'pod', 'from-sa', '-o', 'jsonpath={.spec.imagePullSecrets}']), '[{"name":"regcred"}]');
    await cluster.waitOutput(['-n', NS, 'get', 'pod', 'from-sa'], /^from-sa\s+1\/1\s+Running\s/m, 120_000);
  });

  test('a wrong password fails with ErrImagePull', async () => {
    await createSecret('wrongcred', 'not-the-password');
    await cluster.apply(podYaml('wrong-password', { secrets: ['wrongcred'] }));
    await cluster.waitOutput(['get', 'pod', 'wrong-password'], /^wrong-password\s+0\/1\s+(ErrImagePull|ImagePullBackOff)\s/m, 90_000);
    const events = await cluster.waitEvent('wrong-password', /^Warning Failed Error: ErrImagePull$/m);
    assert.match(events, new RegExp(`^Warning Failed Failed to pull image "${image}": rpc error: .*401 Unauthorized`, 'm'));
  });

  test('a missing secret gives the FailedToRetrieveImagePullSecret warning; the pull goes on with the others', async () => {
    await createSecret('regcred2', PASSWORD);
    await cluster.apply(podYaml('missing-secret', { secrets: ['no-such-secret', 'regcred2'] }));
    const events = await cluster.waitEvent('missing-secret', /^Warning FailedToRetrieveImagePullSecret /m, { timeoutMs: 90_000 });
    assert.match(events, /^Warning FailedToRetrieveImagePullSecret Unable to retrieve some image pull secrets \(no-such-secret\); attempting to pull the image may not succeed\.$/m);
    await cluster.waitPod('missing-secret', (p) => p.status?.phase === 'Running', 120_000);
  });
});
