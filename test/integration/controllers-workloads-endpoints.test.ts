/**
 * ServiceAccount, Endpoints and EndpointSlice controllers through a real `skiff server` and the
 * real kubectl. Pods are created directly and their status (podIP, Ready) written by the test in
 * place of a kubelet.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/apimachinery/object.js';
import type { RestClient } from '../../src/client/rest-client.js';
import { clientFromKubeconfig, isNotFound } from '../../src/client/rest-client.js';
import type { TestServer } from '../helpers/cluster.js';
import { startServer } from '../helpers/cluster.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { eventually } from '../helpers/eventually.js';

const PODS = { group: '', version: 'v1', resource: 'pods' };
const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };
const SERVICES = { group: '', version: 'v1', resource: 'services' };
const ENDPOINTS = { group: '', version: 'v1', resource: 'endpoints' };
const SLICES = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' };
const SERVICEACCOUNTS = { group: '', version: 'v1', resource: 'serviceaccounts' };

interface Address { ip: string; hostname?: string; targetRef?: { name?: string } }
type EndpointsObj = KubeObject & { subsets?: { addresses?: Address[]; notReadyAddresses?: Address[]; ports?: { name?: string; port: number }[] }[] };
type SliceObj = KubeObject & {
  addressType: string;
  endpoints?: { addresses: string[]; conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean }; targetRef?: { name?: string } }[] | null;
  ports?: { name?: string; port?: number }[] | null;
};

let server: TestServer;
let client: RestClient;

before(async () => {
  // The test plays the kubelet (writes pod status) on a cluster without nodes: no scheduler
  // competing for the same pods' status.
  server = await startServer({ args: ['--disable-scheduler'] });
  client = clientFromKubeconfig(server.kubeconfig);
});

after(async () => {
  client?.close();
  await server?.cleanup();
});

async function pod(ns: string, name: string, labels: Record<string, string>, ip: string, ready: boolean, extra: Record<string, unknown> = {}): Promise<void> {
  const created = await client.create(PODS, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels },
    spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: ip.endsWith('.1') ? 8080 : 9090 }] }], ...extra },
  });
  await setStatus(created, ip, ready);
}

async function setStatus(p: KubeObject, ip: string, ready: boolean): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const fresh = await client.get(PODS, p.metadata.name ?? '', { namespace: p.metadata.namespace });
  await client.updateStatus(PODS, {
    ...fresh,
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now }] },
  });
}

async function slicesFor(ns: string, svc: string): Promise<SliceObj[]> {
  return (await client.list<SliceObj>(SLICES, { namespace: ns, labelSelector: `kubernetes.io/service-name=${svc}` })).items;
}

test('a default ServiceAccount appears in a new namespace and comes back when deleted', async () => {
  await kubectlOk(server, ['create', 'namespace', 'sa-demo']);
  await eventually('default sa', async () => (await kubectlOk(server, ['get', 'sa', 'default', '-n', 'sa-demo'])).includes('default') ? true : undefined);
  const first = await client.get(SERVICEACCOUNTS, 'default', { namespace: 'sa-demo' });
  await kubectlOk(server, ['delete', 'sa', 'default', '-n', 'sa-demo']);
  await eventually('recreated', async () => {
    const sa = await client.get(SERVICEACCOUNTS, 'default', { namespace: 'sa-demo' });
    return sa.metadata.uid !== first.metadata.uid ? true : undefined;
  });
});

test('Endpoints and EndpointSlices follow pod readiness with named target ports', async () => {
  const ns = 'ep-demo';
  await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await client.create(SERVICES, {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: ns, labels: { team: 'a' } },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  });
  // Placeholder slice while nothing is selected.
  const placeholder = await eventually('placeholder slice', async () => {
    const s = await slicesFor(ns, 'web');
    return s.length === 1 ? s[0] : undefined;
  });
  assert.equal(placeholder.metadata.labels?.['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
  assert.equal(placeholder.metadata.labels?.team, 'a');
  assert.equal(placeholder.metadata.ownerReferences?.[0]?.kind, 'Service');
  assert.ok(!placeholder.endpoints || placeholder.endpoints.length === 0);

  await pod(ns, 'a', { app: 'web' }, '10.42.0.1', true);
  await pod(ns, 'b', { app: 'web' }, '10.42.0.2', false);
  await pod(ns, 'other', { app: 'db' }, '10.42.0.3', true);
  const ep = await eventually('endpoints', async () => {
    const e = await client.get<EndpointsObj>(ENDPOINTS, 'web', { namespace: ns });
    const s = e.subsets ?? [];
    return s.length === 2 ? e : undefined;
  });
  // Named port resolves per pod: 8080 for a, 9090 for b.
  const bySubset = (ep.subsets ?? []).map((s) => ({
    ready: (s.addresses ?? []).map((a) => a.ip), notReady: (s.notReadyAddresses ?? []).map((a) => a.ip), port: s.ports?.[0]?.port,
  }));
  assert.deepEqual(bySubset.find((s) => s.port === 8080), { ready: ['10.42.0.1'], notReady: [], port: 8080 });
  assert.deepEqual(bySubset.find((s) => s.port === 9090), { ready: [], notReady: ['10.42.0.2'], port: 9090 });
  const out = await kubectlOk(server, ['get', 'endpoints', 'web', '-n', ns]);
  assert.match(out, /10\.42\.0\.1:8080/);

  const slices = await eventually('two slices (one per port set)', async () => {
    const s = await slicesFor(ns, 'web');
    return s.length === 2 && s.every((x) => (x.endpoints ?? []).length === 1) ? s : undefined;
  });
  const sliceA = slices.find((s) => s.endpoints?.[0]?.targetRef?.name === 'a')!;
  assert.deepEqual(sliceA.endpoints?.[0]?.conditions, { ready: true, serving: true, terminating: false });
  assert.deepEqual(sliceA.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  const sliceB = slices.find((s) => s.endpoints?.[0]?.targetRef?.name === 'b')!;
  assert.deepEqual(sliceB.endpoints?.[0]?.conditions, { ready: false, serving: false, terminating: false });

  // b becomes ready: it moves to addresses.
  await setStatus(await client.get(PODS, 'b', { namespace: ns }), '10.42.0.2', true);
  await eventually('b ready', async () => {
    const e = await client.get<EndpointsObj>(ENDPOINTS, 'web', { namespace: ns });
    return (e.subsets ?? []).every((s) => !s.notReadyAddresses) && (e.subsets ?? []).length === 2 ? true : undefined;
  });

  // Deleting the service removes its endpoints and slices.
  await client.delete(SERVICES, 'web', { namespace: ns });
  await eventually('endpoints removed', async () => {
    try {
      await client.get(ENDPOINTS, 'web', { namespace: ns });
      return undefined;
    } catch (err) {
      return isNotFound(err) ? true : undefined;
    }
  });
  await eventually('slices removed', async () => ((await slicesFor(ns, 'web')).length === 0 ? true : undefined));
});

test('headless, publishNotReadyAddresses and selector-less services', async () => {
  const ns = 'ep-headless';
  await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await pod(ns, 'h0', { app: 'h' }, '10.42.0.1', false, { hostname: 'h0', subdomain: 'hs' });
  await client.create(SERVICES, {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'hs', namespace: ns },
    spec: { clusterIP: 'None', selector: { app: 'h' }, publishNotReadyAddresses: true },
  });
  const ep = await eventually('headless endpoints', async () => {
    const e = await client.get<EndpointsObj>(ENDPOINTS, 'hs', { namespace: ns });
    return (e.subsets ?? []).length === 1 ? e : undefined;
  });
  assert.equal(ep.metadata.labels?.['service.kubernetes.io/headless'], '');
  const addr = ep.subsets?.[0]?.addresses?.[0];
  assert.equal(addr?.ip, '10.42.0.1');
  assert.equal(addr?.hostname, 'h0');
  assert.equal(ep.subsets?.[0]?.ports, undefined);
  const slice = await eventually('headless slice', async () => {
    const s = await slicesFor(ns, 'hs');
    return s.length === 1 && (s[0]!.endpoints ?? []).length === 1 ? s[0] : undefined;
  });
  assert.deepEqual(slice.endpoints?.[0]?.conditions, { ready: true, serving: false, terminating: false });

  // A service without a selector: its hand-written Endpoints are left alone.
  await client.create(SERVICES, {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'manual', namespace: ns }, spec: { ports: [{ port: 80 }] },
  });
  await client.create(ENDPOINTS, {
    apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'manual', namespace: ns },
    subsets: [{ addresses: [{ ip: '192.0.2.1' }], ports: [{ port: 80 }] }],
  });
  await new Promise((r) => setTimeout(r, 1000));
  const manual = await client.get<EndpointsObj>(ENDPOINTS, 'manual', { namespace: ns });
  assert.equal(manual.subsets?.[0]?.addresses?.[0]?.ip, '192.0.2.1');
  assert.equal((await slicesFor(ns, 'manual')).length, 0);
});
