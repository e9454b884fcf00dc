/**
 * ResourceQuota and LimitRange through a real `skiff server` and the real kubectl: the quota
 * controller fills `status`, admission refuses the pod over the quota with upstream's message,
 * deleting a pod releases its share, containers must declare quota'd compute resources, and a
 * LimitRange's defaults land in new pods (visible in `kubectl get pod -o yaml`) while its max
 * refuses bigger containers.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/apimachinery/object.js';
import type { RestClient } from '../../src/client/rest-client.js';
import { clientFromKubeconfig } from '../../src/client/rest-client.js';
import type { TestServer } from '../helpers/cluster.js';
import { startServer } from '../helpers/cluster.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { eventually } from '../helpers/eventually.js';

const QUOTAS = { group: '', version: 'v1', resource: 'resourcequotas' };

let server: TestServer;
let client: RestClient;

before(async () => {
  server = await startServer();
  client = clientFromKubeconfig(server.kubeconfig);
});

after(async () => {
  client?.close();
  await server?.cleanup();
});

type QuotaStatus = { hard?: Record<string, string>; used?: Record<string, string> };

async function quotaUsed(namespace: string, name: string, want: Record<string, string>): Promise<void> {
  await eventually(`quota ${name} used ${JSON.stringify(want)}`, async () => {
    const q = await client.get<KubeObject & { status?: QuotaStatus }>(QUOTAS, name, { namespace });
    return JSON.stringify(q.status?.used) === JSON.stringify(want) ? true : undefined;
  });
}

function podYaml(name: string, namespace: string, resources?: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  containers:
  - name: app
    image: busybox
${resources ?? ''}`;
}

test('a quota of 2 pods refuses the third with the upstream message, and deletion frees a slot', async () => {
  await kubectlOk(server, ['create', 'namespace', 'quota-pods']);
  await kubectlOk(server, ['create', 'quota', 'pod-count', '--hard=pods=2,count/configmaps=20', '-n', 'quota-pods']);
  // The controller fills status (kube-root-ca.crt may or may not exist; count what is there).
  await eventually('quota status', async () => {
    const q = await client.get<KubeObject & { status?: QuotaStatus }>(QUOTAS, 'pod-count', { namespace: 'quota-pods' });
    return q.status?.used?.pods === '0' && q.status.hard?.pods === '2' ? true : undefined;
  });
  await kubectlOk(server, ['run', 'p1', '--image=busybox', '-n', 'quota-pods']);
  await kubectlOk(server, ['run', 'p2', '--image=busybox', '-n', 'quota-pods']);
  const third = await kubectl(server, ['run', 'p3', '--image=busybox', '-n', 'quota-pods']);
  assert.notEqual(third.code, 0);
  assert.match(third.stderr, /Error from server \(Forbidden\): pods "p3" is forbidden: exceeded quota: pod-count, requested: pods=1, used: pods=2, limited: pods=2/);

  const described = await kubectlOk(server, ['describe', 'quota', 'pod-count', '-n', 'quota-pods']);
  assert.match(described, /pods\s+2\s+2/);

  await kubectlOk(server, ['delete', 'pod', 'p1', '-n', 'quota-pods', '--wait=true']);
  await eventually('used pods back to 1', async () => {
    const q = await client.get<KubeObject & { status?: QuotaStatus }>(QUOTAS, 'pod-count', { namespace: 'quota-pods' });
    return q.status?.used?.pods === '1' ? true : undefined;
  });
  await kubectlOk(server, ['run', 'p3', '--image=busybox', '-n', 'quota-pods']);
  await quotaUsed('quota-pods', 'pod-count', { 'count/configmaps': (await configMapCount('quota-pods')).toString(), pods: '2' });
});

async function configMapCount(namespace: string): Promise<number> {
  const list = await client.list({ group: '', version: 'v1', resource: 'configmaps' }, { namespace });
  return list.items.length;
}

test('compute quota: containers must declare requests, usage is summed', async () => {
  await kubectlOk(server, ['create', 'namespace', 'quota-compute']);
  await kubectlOk(server, ['create', 'quota', 'compute', '--hard=requests.cpu=1,limits.memory=1Gi', '-n', 'quota-compute']);
  await quotaUsed('quota-compute', 'compute', { 'limits.memory': '0', 'requests.cpu': '0' });

  const bare = await kubectl(server, ['apply', '-f', '-'], { input: podYaml('bare', 'quota-compute') });
  assert.notEqual(bare.code, 0);
  assert.match(bare.stderr, /pods "bare" is forbidden: failed quota: compute: must specify limits.memory for: app; requests.cpu for: app/);

  const sized = (cpu: string): string => `    resources:
      requests: {cpu: ${cpu}}
      limits: {memory: 256Mi}
`;
  await kubectlOk(server, ['apply', '-f', '-'], { input: podYaml('a', 'quota-compute', sized('600m')) });
  await quotaUsed('quota-compute', 'compute', { 'limits.memory': '256Mi', 'requests.cpu': '600m' });
  const over = await kubectl(server, ['apply', '-f', '-'], { input: podYaml('b', 'quota-compute', sized('500m')) });
  assert.notEqual(over.code, 0);
  assert.match(over.stderr, /pods "b" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=600m, limited: requests.cpu=1/);
});

test('LimitRange defaults land in new pods; max refuses bigger containers', async () => {
  await kubectlOk(server, ['create', 'namespace', 'limits']);
  await kubectlOk(server, ['apply', '-f', '-'], {
    input: `apiVersion: v1
kind: LimitRange
metadata:
  name: cpu-mem
  namespace: limits
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 256Mi}
    defaultRequest: {cpu: 100m, memory: 128Mi}
    max: {cpu: "1"}
`,
  });
  await kubectlOk(server, ['run', 'defaulted', '--image=busybox', '-n', 'limits']);
  const yaml = await kubectlOk(server, ['get', 'pod', 'defaulted', '-n', 'limits', '-o', 'yaml']);
  assert.match(yaml, /kubernetes\.io\/limit-ranger: 'LimitRanger plugin set: cpu, memory request for container\s+defaulted; cpu, memory limit for container defaulted'/);
  assert.match(yaml, /resources:\n\s+limits:\n\s+cpu: 500m\n\s+memory: 256Mi\n\s+requests:\n\s+cpu: 100m\n\s+memory: 128Mi/);
  assert.match(yaml, /qosClass: Burstable/);
  // Default tolerations and priority came from the other admission plugins.
  assert.match(yaml, /key: node.kubernetes.io\/unreachable\n\s+operator: Exists\n\s+tolerationSeconds: 300/);
  assert.match(yaml, /priority: 0/);

  const big = await kubectl(server, ['apply', '-f', '-'], {
    input: podYaml('big', 'limits', `    resources:
      limits: {cpu: "2"}
`),
  });
  assert.notEqual(big.code, 0);
  assert.match(big.stderr, /pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2/);
});
