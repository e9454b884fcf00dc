/**
 * The root-ca-cert-publisher through a real `skiff server`: every namespace gets the ConfigMap
 * `kube-root-ca.crt` holding the cluster CA (the one in the admin kubeconfig) with upstream's
 * description annotation; a changed map is restored and a deleted one comes back.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/apimachinery/object.js';
import type { RestClient } from '../../src/client/rest-client.js';
import { clientFromKubeconfig, configFromKubeconfig, isNotFound } from '../../src/client/rest-client.js';
import type { TestServer } from '../helpers/cluster.js';
import { startServer } from '../helpers/cluster.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { eventually } from '../helpers/eventually.js';

const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' };
type ConfigMapJson = KubeObject & { data?: Record<string, string> };

let server: TestServer;
let client: RestClient;
let ca = '';

before(async () => {
  server = await startServer();
  client = clientFromKubeconfig(server.kubeconfig);
  ca = configFromKubeconfig(server.kubeconfig).caPem;
});

after(async () => {
  client?.close();
  await server?.cleanup();
});

async function rootCa(ns: string): Promise<ConfigMapJson | undefined> {
  try {
    return await client.get<ConfigMapJson>(CONFIGMAPS, 'kube-root-ca.crt', { namespace: ns });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

test('kube-root-ca.crt is published in every namespace, restored when changed and recreated when deleted', async () => {
  assert.match(ca, /^-----BEGIN CERTIFICATE-----/);
  for (const ns of ['default', 'kube-system']) {
    const cm = await eventually(`kube-root-ca.crt in ${ns}`, () => rootCa(ns));
    assert.deepEqual(cm.data, { 'ca.crt': ca });
  }
  await kubectlOk(server, ['create', 'namespace', 'rootca']);
  const cm = await eventually('kube-root-ca.crt in rootca', () => rootCa('rootca'));
  assert.deepEqual(cm.data, { 'ca.crt': ca });
  assert.equal(cm.metadata.annotations?.['kubernetes.io/description'],
    'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. '
    + 'No other usage is guaranteed across distributions of Kubernetes clusters.');

  await client.update(CONFIGMAPS, { ...cm, data: { 'ca.crt': 'tampered', extra: 'x' } });
  await eventually('restored data', async () => {
    const now = await rootCa('rootca');
    return now?.data?.['ca.crt'] === ca && Object.keys(now.data).length === 1 ? now : undefined;
  });

  const before = await rootCa('rootca');
  await client.delete(CONFIGMAPS, 'kube-root-ca.crt', { namespace: 'rootca' });
  const again = await eventually('recreated', async () => {
    const now = await rootCa('rootca');
    return now && now.metadata.uid !== before?.metadata.uid ? now : undefined;
  });
  assert.deepEqual(again.data, { 'ca.crt': ca });
});
