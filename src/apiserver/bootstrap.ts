/**
 * Objects every cluster starts with: the system namespaces, the `kubernetes` Service and the
 * default `local-path` StorageClass.
 */
import { StatusError } from '../apimachinery/errors.js';
import type { KubeObject } from '../apimachinery/object.js';
import type { ApiServer } from './server.js';
import { firstServiceIp } from './allocators/ip-range.js';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

const opts = { dryRun: false, fieldManager: 'kube-apiserver', subresource: '' };

async function ensure(api: ApiServer, resource: string, namespace: string, obj: KubeObject, group = ''): Promise<void> {
  const reg = api.registryFor(group, resource);
  if (!reg) throw new Error(`no registry for ${resource}`);
  if (await reg.getKv(namespace, obj.metadata.name ?? '')) return;
  try {
    await reg.create(namespace, obj, opts);
  } catch (e) {
    if (!(e instanceof StatusError && e.code === 409)) throw e;
  }
}

export async function bootstrapCluster(api: ApiServer, o: { serviceCidr: string; advertiseAddress: string; port: number }): Promise<void> {
  for (const name of SYSTEM_NAMESPACES) {
    await ensure(api, 'namespaces', '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } });
  }
  await ensure(api, 'services', 'default', {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: {
      type: 'ClusterIP', clusterIP: firstServiceIp(o.serviceCidr), sessionAffinity: 'None',
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: o.port }],
    },
  });
  await ensure(api, 'endpoints', 'default', {
    apiVersion: 'v1', kind: 'Endpoints',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: o.advertiseAddress }], ports: [{ name: 'https', port: o.port, protocol: 'TCP' }] }],
  });
  // The built-in provisioner's class (k3s's local-path), default for claims naming none.
  await ensure(api, 'storageclasses', '', {
    apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass',
    metadata: { name: 'local-path', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    provisioner: 'skiff.io/local-path', reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer',
  }, 'storage.k8s.io');
}
