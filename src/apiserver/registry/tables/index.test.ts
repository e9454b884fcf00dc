import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../apimachinery/object.js';
import { tableFor } from './index.js';

const now = new Date('2024-05-01T12:00:00Z');
const created = '2024-05-01T11:58:00Z';

function obj(fields: Record<string, unknown>, meta: Partial<KubeObject['metadata']> = {}): KubeObject {
  return { metadata: { name: 'x', creationTimestamp: created, ...meta }, ...fields };
}

function table(group: string, resource: string) {
  const t = tableFor(group, resource);
  assert.ok(t, `${group}/${resource} has a table`);
  return t;
}

function headers(group: string, resource: string, wide = false): string {
  return table(group, resource)
    .columns.filter((c) => wide || c.priority === 0)
    .map((c) => c.name.toUpperCase())
    .join(' ');
}

describe('tableFor', () => {
  it('prints the upstream headers kubectl shows', () => {
    assert.equal(headers('', 'pods'), 'NAME READY STATUS RESTARTS AGE');
    assert.equal(headers('apps', 'deployments'), 'NAME READY UP-TO-DATE AVAILABLE AGE');
    assert.equal(headers('apps', 'deployments', true), 'NAME READY UP-TO-DATE AVAILABLE AGE CONTAINERS IMAGES SELECTOR');
    assert.equal(headers('apps', 'daemonsets'), 'NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE');
    assert.equal(headers('batch', 'jobs'), 'NAME STATUS COMPLETIONS DURATION AGE');
    assert.equal(headers('batch', 'cronjobs'), 'NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE');
    assert.equal(headers('', 'services'), 'NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE');
    assert.equal(headers('', 'nodes'), 'NAME STATUS ROLES AGE VERSION');
    assert.equal(headers('', 'nodes', true), 'NAME STATUS ROLES AGE VERSION INTERNAL-IP EXTERNAL-IP OS-IMAGE KERNEL-VERSION CONTAINER-RUNTIME');
    assert.equal(headers('', 'events'), 'LAST SEEN TYPE REASON OBJECT MESSAGE');
    assert.equal(headers('', 'secrets'), 'NAME TYPE DATA AGE');
    assert.equal(headers('', 'persistentvolumes'), 'NAME CAPACITY ACCESS MODES RECLAIM POLICY STATUS CLAIM STORAGECLASS VOLUMEATTRIBUTESCLASS REASON AGE');
    assert.equal(headers('', 'persistentvolumeclaims'), 'NAME STATUS VOLUME CAPACITY ACCESS MODES STORAGECLASS VOLUMEATTRIBUTESCLASS AGE');
    assert.equal(headers('storage.k8s.io', 'storageclasses'), 'NAME PROVISIONER RECLAIMPOLICY VOLUMEBINDINGMODE ALLOWVOLUMEEXPANSION AGE');
    assert.equal(headers('rbac.authorization.k8s.io', 'roles'), 'NAME CREATED AT');
    assert.equal(headers('', 'limitranges'), 'NAME CREATED AT');
  });

  it('returns undefined for unknown resources', () => {
    assert.equal(tableFor('example.com', 'widgets'), undefined);
  });

  it('gives one cell per column for every resource, even for empty objects', () => {
    const groups: [string, string][] = [
      ['', 'pods'], ['', 'podtemplates'], ['', 'replicationcontrollers'], ['', 'services'], ['', 'endpoints'],
      ['', 'nodes'], ['', 'namespaces'], ['', 'events'], ['', 'secrets'], ['', 'configmaps'],
      ['', 'serviceaccounts'], ['', 'persistentvolumes'], ['', 'persistentvolumeclaims'], ['', 'resourcequotas'],
      ['', 'componentstatuses'], ['', 'limitranges'], ['apps', 'replicasets'], ['apps', 'deployments'],
      ['apps', 'statefulsets'], ['apps', 'daemonsets'], ['apps', 'controllerrevisions'], ['batch', 'jobs'],
      ['batch', 'cronjobs'], ['networking.k8s.io', 'ingresses'], ['networking.k8s.io', 'ingressclasses'],
      ['networking.k8s.io', 'networkpolicies'], ['discovery.k8s.io', 'endpointslices'],
      ['storage.k8s.io', 'storageclasses'], ['storage.k8s.io', 'csidrivers'], ['storage.k8s.io', 'csinodes'],
      ['storage.k8s.io', 'volumeattachments'], ['autoscaling', 'horizontalpodautoscalers'],
      ['policy', 'poddisruptionbudgets'], ['scheduling.k8s.io', 'priorityclasses'],
      ['rbac.authorization.k8s.io', 'roles'], ['rbac.authorization.k8s.io', 'rolebindings'],
      ['rbac.authorization.k8s.io', 'clusterroles'], ['rbac.authorization.k8s.io', 'clusterrolebindings'],
      ['certificates.k8s.io', 'certificatesigningrequests'], ['coordination.k8s.io', 'leases'],
      ['node.k8s.io', 'runtimeclasses'], ['admissionregistration.k8s.io', 'validatingwebhookconfigurations'],
      ['admissionregistration.k8s.io', 'mutatingwebhookconfigurations'],
      ['admissionregistration.k8s.io', 'validatingadmissionpolicies'],
      ['admissionregistration.k8s.io', 'validatingadmissionpolicybindings'],
      ['flowcontrol.apiserver.k8s.io', 'flowschemas'], ['flowcontrol.apiserver.k8s.io', 'prioritylevelconfigurations'],
      ['apiregistration.k8s.io', 'apiservices'],
    ];
    for (const [g, r] of groups) {
      const t = table(g, r);
      const cells = t.cells({ metadata: { name: 'x' } }, now);
      assert.equal(cells.length, t.columns.length, `${g}/${r}`);
      const nameCols = t.columns.filter((c) => c.format === 'name');
      assert.ok(nameCols.length >= 1, `${g}/${r} has a name column`);
      for (const c of t.columns) assert.ok(c.priority === 0 || c.priority === 1);
    }
  });
});

describe('deployments', () => {
  it('prints READY, UP-TO-DATE, AVAILABLE and wide columns', () => {
    const d = obj({
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: { spec: { containers: [{ name: 'web', image: 'nginx:1.27' }, { name: 'log', image: 'busybox' }] } },
      },
      status: { replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    }, { name: 'web' });
    assert.deepEqual(table('apps', 'deployments').cells(d, now), ['web', '2/3', 3, 2, '2m', 'web,log', 'nginx:1.27,busybox', 'app=web']);
  });
});

describe('services', () => {
  const svc = table('', 'services');
  it('prints ClusterIP services', () => {
    const s = obj({
      spec: { type: 'ClusterIP', clusterIP: '10.43.0.10', clusterIPs: ['10.43.0.10'], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }], selector: { k8s: 'dns' } },
    }, { name: 'kube-dns' });
    assert.deepEqual(svc.cells(s, now), ['kube-dns', 'ClusterIP', '10.43.0.10', '<none>', '53/UDP,53/TCP', '2m', 'k8s=dns']);
  });
  it('prints NodePorts and <none> ports', () => {
    const s = obj({ spec: { type: 'NodePort', clusterIPs: ['10.43.1.1'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] } });
    assert.deepEqual(svc.cells(s, now).slice(1, 5), ['NodePort', '10.43.1.1', '<none>', '80:30080/TCP']);
    const none = obj({ spec: { type: 'ClusterIP', clusterIPs: ['None'] } });
    assert.deepEqual(svc.cells(none, now).slice(2, 5), ['None', '<none>', '<none>']);
  });
  it('prints ExternalName and LoadBalancer external addresses', () => {
    const en = obj({ spec: { type: 'ExternalName', externalName: 'example.com' } });
    assert.deepEqual(svc.cells(en, now).slice(1, 5), ['ExternalName', '<none>', 'example.com', '<none>']);
    const lb = obj({ spec: { type: 'LoadBalancer', clusterIPs: ['10.43.2.2'], ports: [{ port: 443, nodePort: 31443, protocol: 'TCP' }] } });
    assert.equal(svc.cells(lb, now)[3], '<pending>');
    lb.status = { loadBalancer: { ingress: [{ ip: '192.0.2.9' }, { hostname: 'lb.example' }, { ip: '192.0.2.1' }] } };
    assert.equal(svc.cells(lb, now)[3], '192.0.2.1,192.0.2.9,lb.example');
  });
});

describe('other resources', () => {
  it('nodes: status, roles, wide info', () => {
    const n = obj({
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: 'Ready', status: 'True' }],
        addresses: [{ type: 'InternalIP', address: '10.0.0.2' }, { type: 'Hostname', address: 'n1' }],
        nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Debian GNU/Linux 12', kernelVersion: '6.1.0', containerRuntimeVersion: 'containerd://1.7.0' },
      },
    }, { name: 'n1', labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/master': 'true', 'kubernetes.io/role': 'etcd' } });
    assert.deepEqual(table('', 'nodes').cells(n, now), [
      'n1', 'Ready,SchedulingDisabled', 'control-plane,etcd,master', '2m', 'v1.32.0',
      '10.0.0.2', '<none>', 'Debian GNU/Linux 12', '6.1.0', 'containerd://1.7.0',
    ]);
    assert.deepEqual(table('', 'nodes').cells(obj({}), now).slice(1, 3), ['Unknown', '<none>']);
  });

  it('events: LAST SEEN TYPE REASON OBJECT MESSAGE', () => {
    const e = obj({
      involvedObject: { kind: 'Pod', name: 'web-1', fieldPath: 'spec.containers{web}' },
      type: 'Normal',
      reason: 'Pulled',
      message: 'Container image pulled\n',
      source: { component: 'kubelet', host: 'n1' },
      firstTimestamp: '2024-05-01T11:50:00Z',
      lastTimestamp: '2024-05-01T11:59:30Z',
      count: 4,
    }, { name: 'web-1.17a' });
    assert.deepEqual(table('', 'events').cells(e, now), [
      '30s', 'Normal', 'Pulled', 'pod/web-1', 'spec.containers{web}', 'kubelet, n1', 'Container image pulled', '10m', 4, 'web-1.17a',
    ]);
    const fresh = obj({ involvedObject: { kind: 'Node' }, eventTime: '2024-05-01T11:59:55.123456Z', reportingComponent: 'ctrl' });
    assert.deepEqual(table('', 'events').cells(fresh, now).slice(0, 9), ['4s', '', '', 'node', '', 'ctrl', '', '4s', 1]);
  });

  it('jobs: status, completions, duration', () => {
    const j = obj({
      spec: { completions: 3, parallelism: 1, template: { spec: { containers: [{ name: 'c', image: 'i' }] } }, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u' } } },
      status: { succeeded: 3, startTime: '2024-05-01T11:58:00Z', completionTime: '2024-05-01T11:58:42Z', conditions: [{ type: 'Complete', status: 'True' }] },
    }, { name: 'pi' });
    assert.deepEqual(table('batch', 'jobs').cells(j, now), ['pi', 'Complete', '3/3', '42s', '2m', 'c', 'i', 'batch.kubernetes.io/controller-uid=u']);
    const running = obj({ spec: { parallelism: 2 }, status: { startTime: '2024-05-01T11:59:00Z' } });
    assert.deepEqual(table('batch', 'jobs').cells(running, now).slice(1, 4), ['Running', '0/1 of 2', '60s']);
  });

  it('storageclasses: (default) suffix and defaults', () => {
    const sc = obj({ provisioner: 'rancher.io/local-path', volumeBindingMode: 'WaitForFirstConsumer' }, {
      name: 'local-path',
      annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
    });
    assert.deepEqual(table('storage.k8s.io', 'storageclasses').cells(sc, now), [
      'local-path (default)', 'rancher.io/local-path', 'Delete', 'WaitForFirstConsumer', false, '2m',
    ]);
  });

  it('persistentvolumes and claims', () => {
    const pv = obj({
      spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', claimRef: { namespace: 'ns', name: 'data' }, storageClassName: 'local', volumeMode: 'Filesystem' },
      status: { phase: 'Bound' },
    }, { name: 'pv1' });
    assert.deepEqual(table('', 'persistentvolumes').cells(pv, now), [
      'pv1', '1Gi', 'RWO,RWX', 'Retain', 'Bound', 'ns/data', 'local', '<unset>', '', '2m', 'Filesystem',
    ]);
    const pvc = obj({ spec: { storageClassName: 'local', resources: { requests: { storage: '1Gi' } } }, status: { phase: 'Pending' } }, { name: 'data' });
    assert.deepEqual(table('', 'persistentvolumeclaims').cells(pvc, now), ['data', 'Pending', '', '', '', 'local', '<unset>', '2m', '<unset>']);
  });

  it('secrets, configmaps, service accounts, namespaces', () => {
    assert.deepEqual(table('', 'secrets').cells(obj({ type: 'Opaque', data: { a: 'YQ==', b: 'Yg==' } }), now), ['x', 'Opaque', 2, '2m']);
    assert.deepEqual(table('', 'configmaps').cells(obj({ data: { a: '1' }, binaryData: { b: 'AA==' } }), now), ['x', 2, '2m']);
    assert.deepEqual(table('', 'serviceaccounts').cells(obj({}), now), ['x', 0, '2m']);
    assert.deepEqual(table('', 'namespaces').cells(obj({ status: { phase: 'Active' } }), now), ['x', 'Active', '2m']);
  });

  it('endpoints and endpointslices', () => {
    const ep = obj({ subsets: [{ addresses: [{ ip: '10.42.0.1' }, { ip: '10.42.0.2' }, { ip: 'fd00::3' }, { ip: '10.42.0.4' }], ports: [{ port: 80 }] }] });
    assert.equal(table('', 'endpoints').cells(ep, now)[1], '10.42.0.1:80,10.42.0.2:80,[fd00::3]:80 + 1 more...');
    assert.equal(table('', 'endpoints').cells(obj({}), now)[1], '<none>');
    const es = obj({ addressType: 'IPv4', ports: [{ port: 80, name: 'http' }, { name: 'x' }], endpoints: [{ addresses: ['10.42.0.1'] }] });
    assert.deepEqual(table('discovery.k8s.io', 'endpointslices').cells(es, now), ['x', 'IPv4', '80,x', '10.42.0.1', '2m']);
    assert.deepEqual(table('discovery.k8s.io', 'endpointslices').cells(obj({ addressType: 'IPv4' }), now).slice(2, 4), ['<unset>', '<unset>']);
  });

  it('HPA targets', () => {
    const hpa = obj({
      apiVersion: 'autoscaling/v2',
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }] },
      status: { currentReplicas: 2, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 35 } } }] },
    });
    assert.deepEqual(table('autoscaling', 'horizontalpodautoscalers').cells(hpa, now), ['x', 'Deployment/web', 'cpu: 35%/80%', '1', 5, 2, '2m']);
    const v1 = obj({ apiVersion: 'autoscaling/v1', spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 3, targetCPUUtilizationPercentage: 50 } });
    assert.equal(table('autoscaling', 'horizontalpodautoscalers').cells(v1, now)[2], 'cpu: <unknown>/50%');
  });

  it('rolebindings, controllerrevisions, CSRs, PDBs', () => {
    const rb = obj({ roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'alice' }, { kind: 'ServiceAccount', namespace: 'ns', name: 'sa' }, { kind: 'Group', name: 'devs' }, { kind: 'User', name: 'bob' }] });
    assert.deepEqual(table('rbac.authorization.k8s.io', 'rolebindings').cells(rb, now), ['x', 'ClusterRole/view', '2m', 'alice, bob', 'devs', 'ns/sa']);
    const cr = obj({ revision: 2 }, { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u', controller: true }] });
    assert.deepEqual(table('apps', 'controllerrevisions').cells(cr, now), ['x', 'statefulset.apps/web', 2, '2m']);
    const csr = obj({ spec: { signerName: 'kubernetes.io/kube-apiserver-client', username: 'admin', expirationSeconds: 86400 }, status: { conditions: [{ type: 'Approved', status: 'True' }], certificate: 'LS0t' } });
    assert.deepEqual(table('certificates.k8s.io', 'certificatesigningrequests').cells(csr, now), ['x', '2m', 'kubernetes.io/kube-apiserver-client', 'admin', '24h', 'Approved,Issued']);
    const pdb = obj({ spec: { minAvailable: 2 }, status: { disruptionsAllowed: 1 } });
    assert.deepEqual(table('policy', 'poddisruptionbudgets').cells(pdb, now), ['x', '2', 'N/A', 1, '2m']);
  });

  it('resource quotas split requests and limits', () => {
    const rq = obj({ status: { hard: { 'limits.cpu': '2', 'requests.cpu': '1', pods: '10' }, used: { 'requests.cpu': '500m', pods: '3' } } });
    assert.deepEqual(table('', 'resourcequotas').cells(rq, now), ['x', 'pods: 3/10, requests.cpu: 500m/1', 'limits.cpu: 0/2', '2m']);
  });

  it('default table prints NAME and CREATED AT', () => {
    const t = table('rbac.authorization.k8s.io', 'clusterroles');
    assert.deepEqual(t.columns.map((c) => [c.name, c.type, c.format]), [['Name', 'string', 'name'], ['Created At', 'date', '']]);
    assert.deepEqual(t.cells(obj({}, { creationTimestamp: '2024-05-01T11:58:00Z' }), now), ['x', '2024-05-01T11:58:00Z']);
  });
});
