import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../apimachinery/object.js';
import { fieldErrorText } from '../../apimachinery/errors.js';
import { getStrategy, hasStrategy, defaultStrategy } from './index.js';
import type { Strategy } from './strategy.js';
import { cronScheduleError } from './batch/cron.js';

const ctx = { namespace: 'default', now: new Date('2026-01-01T00:00:00Z') };

function create(s: Strategy, obj: KubeObject): KubeObject {
  s.defaults?.(obj);
  s.prepareForCreate?.(obj, ctx);
  return obj;
}

function errors(s: Strategy, obj: KubeObject): string[] {
  return (s.validate?.(obj, ctx) ?? []).map(fieldErrorText);
}

function updateErrors(s: Strategy, obj: KubeObject, old: KubeObject): string[] {
  s.defaults?.(obj);
  s.prepareForUpdate?.(obj, old, ctx);
  return (s.validateUpdate?.(obj, old, ctx) ?? []).map(fieldErrorText);
}

const template = (labels: Record<string, string>, restartPolicy?: string) => ({
  metadata: { labels },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...(restartPolicy ? { restartPolicy } : {}) },
});

describe('getStrategy', () => {
  it('maps known resources and falls back', () => {
    assert.ok(hasStrategy('', 'pods'));
    assert.ok(hasStrategy('apps', 'deployments'));
    assert.equal(getStrategy('example.com', 'widgets'), defaultStrategy);
  });
});

describe('deployments', () => {
  const s = getStrategy('apps', 'deployments');
  const deploy = (selLabels: Record<string, string>, tplLabels: Record<string, string>): KubeObject => ({
    metadata: { name: 'd', namespace: 'default' },
    spec: { selector: { matchLabels: selLabels }, template: template(tplLabels) },
  });
  it('defaults', () => {
    const d = create(s, deploy({ app: 'a' }, { app: 'a' }));
    const spec = d.spec as Record<string, unknown>;
    assert.equal(spec.replicas, 1);
    assert.deepEqual(spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    assert.equal(spec.revisionHistoryLimit, 10);
    assert.equal(spec.progressDeadlineSeconds, 600);
    assert.equal((spec.template as { spec: { dnsPolicy: string } }).spec.dnsPolicy, 'ClusterFirst');
    assert.deepEqual(errors(s, d), []);
  });
  it('selector must match template labels', () => {
    const d = create(s, deploy({ app: 'a' }, { app: 'b' }));
    assert.deepEqual(errors(s, d), ['spec.template.metadata.labels: Invalid value: {"app":"b"}: `selector` does not match template `labels`']);
  });
  it('selector required, empty selector invalid, negative replicas', () => {
    const d = create(s, { metadata: { name: 'd' }, spec: { replicas: -1, template: template({ app: 'a' }) } });
    assert.deepEqual(errors(s, d), ['spec.replicas: Invalid value: -1: must be greater than or equal to 0', 'spec.selector: Required value']);
    const e = create(s, deploy({}, { app: 'a' }));
    assert.deepEqual(errors(s, e), ['spec.selector: Invalid value: {"matchLabels":{}}: empty selector is invalid for deployment']);
  });
  it('selector is immutable', () => {
    const old = create(s, deploy({ app: 'a' }, { app: 'a', v: '1' }));
    const d = create(s, deploy({ app: 'a', v: '1' }, { app: 'a', v: '1' }));
    assert.deepEqual(updateErrors(s, d, old), ['spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"a", "v":"1"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable']);
  });
  it('template restartPolicy must be Always', () => {
    const d = create(s, { metadata: { name: 'd' }, spec: { selector: { matchLabels: { a: 'b' } }, template: template({ a: 'b' }, 'Never') } });
    assert.deepEqual(errors(s, d), ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"']);
  });
});

describe('statefulsets and daemonsets', () => {
  it('statefulset defaults and forbidden updates', () => {
    const s = getStrategy('apps', 'statefulsets');
    const mk = (svc: string): KubeObject => create(s, {
      metadata: { name: 'web' },
      spec: { serviceName: svc, selector: { matchLabels: { a: 'b' } }, template: template({ a: 'b' }), volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } }] },
    });
    const sts = mk('web');
    const spec = sts.spec as Record<string, unknown>;
    assert.equal(spec.podManagementPolicy, 'OrderedReady');
    assert.deepEqual(spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    assert.deepEqual(spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
    assert.deepEqual((spec.volumeClaimTemplates as unknown[])[0], { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], volumeMode: 'Filesystem' }, status: { phase: 'Pending' } });
    assert.deepEqual(errors(s, sts), []);
    assert.deepEqual(updateErrors(s, mk('other'), sts), ["spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"]);
  });
  it('daemonset defaults', () => {
    const s = getStrategy('apps', 'daemonsets');
    const ds = create(s, { metadata: { name: 'ds' }, spec: { selector: { matchLabels: { a: 'b' } }, template: template({ a: 'b' }) } });
    assert.deepEqual((ds.spec as Record<string, unknown>).updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    assert.deepEqual(errors(s, ds), []);
  });
});

describe('secrets', () => {
  const s = getStrategy('', 'secrets');
  it('folds stringData into data and defaults type', () => {
    const sec = create(s, { metadata: { name: 's' }, data: { a: Buffer.from('x').toString('base64') }, stringData: { b: 'héllo', a: 'y' } });
    assert.deepEqual(sec.data, { a: Buffer.from('y').toString('base64'), b: Buffer.from('héllo').toString('base64') });
    assert.equal(sec.stringData, undefined);
    assert.equal(sec.type, 'Opaque');
    assert.deepEqual(errors(s, sec), []);
  });
  it('type-specific keys', () => {
    const tls = create(s, { metadata: { name: 's' }, type: 'kubernetes.io/tls', data: {} });
    assert.deepEqual(errors(s, tls), ['data[tls.crt]: Required value', 'data[tls.key]: Required value']);
    const dcj = create(s, { metadata: { name: 's' }, type: 'kubernetes.io/dockerconfigjson' });
    assert.deepEqual(errors(s, dcj), ['data[.dockerconfigjson]: Required value']);
  });
  it('immutable data and type', () => {
    const old = create(s, { metadata: { name: 's' }, immutable: true, data: { a: 'eA==' } });
    const upd: KubeObject = { metadata: { name: 's' }, immutable: true, type: 'kubernetes.io/tls', stringData: { a: 'z', 'tls.crt': '', 'tls.key': '' } };
    assert.deepEqual(updateErrors(s, upd, old), [
      'type: Invalid value: "kubernetes.io/tls": field is immutable',
      'data: Forbidden: field is immutable when `immutable` is set',
    ]);
  });
});

describe('configmaps', () => {
  const s = getStrategy('', 'configmaps');
  it('keys and immutability', () => {
    assert.deepEqual(errors(s, { metadata: { name: 'c' }, data: { 'bad key': 'x' } }), [
      "data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    ]);
    const old: KubeObject = { metadata: { name: 'c' }, immutable: true, data: { a: '1' } };
    assert.deepEqual(updateErrors(s, { metadata: { name: 'c' }, immutable: true, data: { a: '2' } }, old), ['data: Forbidden: field is immutable when `immutable` is set']);
    assert.deepEqual(updateErrors(s, { metadata: { name: 'c' }, data: { a: '1' } }, old), ['immutable: Forbidden: field is immutable when `immutable` is set']);
  });
});

describe('jobs', () => {
  const s = getStrategy('batch', 'jobs');
  const job = (restartPolicy = 'Never'): KubeObject => ({ metadata: { name: 'pi', namespace: 'default', uid: 'u-1' }, spec: { template: template({}, restartPolicy) } });
  it('defaults and generated selector', () => {
    const j = create(s, job());
    const spec = j.spec as Record<string, unknown>;
    assert.equal(spec.completions, 1);
    assert.equal(spec.parallelism, 1);
    assert.equal(spec.backoffLimit, 6);
    assert.equal(spec.completionMode, 'NonIndexed');
    assert.equal(spec.suspend, false);
    assert.equal(spec.manualSelector, false);
    assert.equal(spec.podReplacementPolicy, 'TerminatingOrFailed');
    assert.deepEqual(spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } });
    assert.deepEqual((spec.template as { metadata: unknown }).metadata, {
      labels: { 'job-name': 'pi', 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': 'u-1', 'batch.kubernetes.io/controller-uid': 'u-1' },
    });
    assert.deepEqual(errors(s, j), []);
  });
  it('restartPolicy must be OnFailure or Never', () => {
    const j = create(s, job('Always'));
    assert.deepEqual(errors(s, j), ['spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"']);
  });
  it('template is immutable', () => {
    const old = create(s, job());
    const j = create(s, job());
    ((j.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]!).image = 'other';
    const errs = updateErrors(s, j, old);
    assert.equal(errs.length, 1);
    assert.match(errs[0]!, /^spec\.template: Invalid value: .*: field is immutable$/);
  });
});

describe('cronjobs', () => {
  const s = getStrategy('batch', 'cronjobs');
  it('defaults and schedule validation', () => {
    const cj = create(s, { metadata: { name: 'c' }, spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: template({}, 'OnFailure') } } } });
    const spec = cj.spec as Record<string, unknown>;
    assert.equal(spec.concurrencyPolicy, 'Allow');
    assert.equal(spec.successfulJobsHistoryLimit, 3);
    assert.equal(spec.failedJobsHistoryLimit, 1);
    assert.equal(spec.suspend, false);
    assert.deepEqual(errors(s, cj), []);
    (cj.spec as Record<string, unknown>).schedule = 'bogus';
    assert.deepEqual(errors(s, cj), ['spec.schedule: Invalid value: "bogus": expected exactly 5 fields, found 1: bogus']);
  });
  const cronCases: [string, string | undefined][] = [
    ['0 0 * * *', undefined], ['@hourly', undefined], ['@every 1h30m', undefined], ['0 0 1-15/2 JAN,mar mon-fri', undefined],
    ['60 * * * *', 'end of range (60) above maximum (59): 60'], ['* * * *', 'expected exactly 5 fields, found 4: * * * *'],
    ['@sometimes', 'unrecognized descriptor: @sometimes'], ['0 0 0 * *', 'beginning of range (0) below minimum (1): 0'],
  ];
  for (const [spec, want] of cronCases) it(`cron ${spec}`, () => assert.equal(cronScheduleError(spec), want));
});

describe('services', () => {
  const s = getStrategy('', 'services');
  it('defaults', () => {
    const svc = create(s, { metadata: { name: 'web' }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80 }] } });
    assert.deepEqual(svc.spec, {
      type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      sessionAffinity: 'None', externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster',
      ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'],
    });
    assert.deepEqual(errors(s, svc), []);
  });
  it('validation', () => {
    const svc = create(s, { metadata: { name: '1web' }, spec: { ports: [{ port: 80 }, { port: 0, name: 'b' }], type: 'Weird' } });
    assert.deepEqual(errors(s, svc), [
      `metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
      'spec.ports[0].name: Required value',
      'spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive',
      'spec.ports[1].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive',
      'spec.type: Unsupported value: "Weird": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    ]);
    const ext = create(s, { metadata: { name: 'x' }, spec: { type: 'ExternalName' } });
    assert.deepEqual(errors(s, ext), ['spec.externalName: Required value']);
    const noPorts = create(s, { metadata: { name: 'x' }, spec: {} });
    assert.deepEqual(errors(s, noPorts), ['spec.ports: Required value']);
  });
  it('clusterIP may not change; an omitted one is kept', () => {
    const old = create(s, { metadata: { name: 'web' }, spec: { clusterIP: '10.43.0.5', clusterIPs: ['10.43.0.5'], ports: [{ port: 80 }] } });
    const same: KubeObject = { metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } };
    assert.deepEqual(updateErrors(s, same, old), []);
    assert.equal((same.spec as Record<string, unknown>).clusterIP, '10.43.0.5');
    const changed: KubeObject = { metadata: { name: 'web' }, spec: { clusterIP: '10.43.0.6', clusterIPs: ['10.43.0.6'], ports: [{ port: 80 }] } };
    assert.deepEqual(updateErrors(s, changed, old), ['spec.clusterIPs[0]: Invalid value: []string{"10.43.0.6"}: may not change once set']);
  });
});

describe('namespaces', () => {
  const s = getStrategy('', 'namespaces');
  it('create sets finalizer, phase and name label', () => {
    const ns = create(s, { metadata: { name: 'dev' } });
    assert.deepEqual(ns.spec, { finalizers: ['kubernetes'] });
    assert.deepEqual(ns.status, { phase: 'Active' });
    assert.deepEqual(ns.metadata.labels, { 'kubernetes.io/metadata.name': 'dev' });
    assert.equal(s.nameValidation, 'label');
  });
});

describe('other defaults', () => {
  it('storage class, PV, PVC, priority class, HPA, events', () => {
    const sc = create(getStrategy('storage.k8s.io', 'storageclasses'), { metadata: { name: 'sc' }, provisioner: 'x.io/p' });
    assert.equal(sc.reclaimPolicy, 'Delete');
    assert.equal(sc.volumeBindingMode, 'Immediate');
    const pv = create(getStrategy('', 'persistentvolumes'), { metadata: { name: 'pv' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/x' } } });
    assert.equal((pv.spec as Record<string, unknown>).persistentVolumeReclaimPolicy, 'Retain');
    assert.equal((pv.status as Record<string, unknown>).phase, 'Pending');
    assert.deepEqual(errors(getStrategy('', 'persistentvolumes'), pv), []);
    const pvcS = getStrategy('', 'persistentvolumeclaims');
    const pvc = create(pvcS, { metadata: { name: 'c' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    assert.deepEqual(pvc.status, { phase: 'Pending' });
    assert.deepEqual(errors(pvcS, pvc), []);
    const pvc2: KubeObject = JSON.parse(JSON.stringify(pvc)) as KubeObject;
    (pvc2.spec as Record<string, unknown>).accessModes = ['ReadWriteMany'];
    assert.match(updateErrors(pvcS, pvc2, pvc)[0]!, /^spec: Forbidden: spec is immutable after creation except resources\.requests and volumeAttributesClassName for bound claims/);
    const hpa = create(getStrategy('autoscaling', 'horizontalpodautoscalers'), { apiVersion: 'autoscaling/v2', metadata: { name: 'h' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'd' }, maxReplicas: 3 } });
    assert.equal((hpa.spec as Record<string, unknown>).minReplicas, 1);
    const ev = getStrategy('', 'events').selectableFields!({ metadata: {}, involvedObject: { kind: 'Pod', name: 'p' }, reason: 'Started', source: { component: 'kubelet' }, type: 'Normal' });
    assert.equal(ev['involvedObject.kind'], 'Pod');
    assert.equal(ev.source, 'kubelet');
  });
});
