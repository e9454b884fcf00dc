import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../apimachinery/object.js';
import { fieldErrorText } from '../../../apimachinery/errors.js';
import { podStrategy, POD_UPDATE_FORBIDDEN_MESSAGE } from './pods.js';
import { podQOSClass, imageTag } from './pod-spec.js';

const ctx = { namespace: 'default', now: new Date('2026-01-01T00:00:00Z') };

function pod(spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec };
}

function created(spec: Record<string, unknown>): KubeObject {
  const p = pod(spec);
  podStrategy.defaults!(p);
  podStrategy.prepareForCreate!(p, ctx);
  return p;
}

describe('pod defaults', () => {
  it('fills upstream defaults', () => {
    const p = created({
      containers: [{
        name: 'c', image: 'nginx', ports: [{ containerPort: 80 }],
        readinessProbe: { httpGet: { port: 80 } },
        resources: { limits: { cpu: '1', memory: '1Gi' } },
      }],
      volumes: [{ name: 'v' }],
    });
    assert.deepEqual(p.spec, {
      containers: [{
        name: 'c', image: 'nginx', imagePullPolicy: 'Always',
        terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File',
        ports: [{ containerPort: 80, protocol: 'TCP' }],
        readinessProbe: { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
        resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } },
      }],
      volumes: [{ name: 'v', emptyDir: {} }],
      dnsPolicy: 'ClusterFirst', restartPolicy: 'Always', securityContext: {}, terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler', enableServiceLinks: true,
    });
    assert.deepEqual(p.status, { phase: 'Pending', qosClass: 'Guaranteed' });
  });

  const pullCases: [string, string][] = [
    ['nginx', 'Always'], ['nginx:latest', 'Always'], ['nginx:1.25', 'IfNotPresent'],
    ['localhost:5000/app', 'Always'], ['localhost:5000/app:v1', 'IfNotPresent'], ['app@sha256:abc', 'IfNotPresent'],
  ];
  for (const [image, want] of pullCases) {
    it(`imagePullPolicy for ${image}`, () => {
      const p = created({ containers: [{ name: 'c', image }] });
      assert.equal((p.spec as { containers: { imagePullPolicy: string }[] }).containers[0]!.imagePullPolicy, want);
    });
  }
  it('canonicalizes resource quantities', () => {
    const p = created({ containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: 0.5, memory: '1024Mi' } } }] });
    assert.deepEqual((p.spec as { containers: { resources: unknown }[] }).containers[0]!.resources, { requests: { cpu: '500m', memory: '1Gi' } });
  });
  it('imageTag', () => assert.equal(imageTag('a/b:c@sha256:x'), 'c'));
});

describe('pod QoS', () => {
  const cases: { name: string; resources: Record<string, unknown>[]; want: string }[] = [
    { name: 'best effort', resources: [{}], want: 'BestEffort' },
    { name: 'burstable requests only', resources: [{ requests: { cpu: '100m' } }], want: 'Burstable' },
    { name: 'guaranteed', resources: [{ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } }], want: 'Guaranteed' },
    { name: 'limit != request', resources: [{ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m', memory: '1Gi' } }], want: 'Burstable' },
    { name: 'one container without limits', resources: [{ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } }, {}], want: 'Burstable' },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(podQOSClass({ containers: c.resources.map((r, i) => ({ name: `c${i}`, resources: r })) }), c.want));
  }
});

describe('pod validation', () => {
  const cases: { name: string; spec: Record<string, unknown>; want: string[] }[] = [
    { name: 'containers required', spec: {}, want: ['spec.containers: Required value'] },
    {
      name: 'names, image, duplicates, ports, mounts',
      spec: {
        containers: [
          { name: 'Bad_Name', image: 'x' },
          { name: 'a', image: '', ports: [{ containerPort: 70000 }], volumeMounts: [{ name: 'missing', mountPath: '/m' }] },
          { name: 'a', image: 'x' },
        ],
      },
      want: [
        `spec.containers[0].name: Invalid value: "Bad_Name": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
        'spec.containers[1].image: Required value',
        'spec.containers[1].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
        'spec.containers[1].volumeMounts[0].name: Not found: "missing"',
        'spec.containers[2].name: Duplicate value: "a"',
      ],
    },
    {
      name: 'restartPolicy enum',
      spec: { containers: [{ name: 'a', image: 'x' }], restartPolicy: 'Sometimes' },
      want: ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'],
    },
    {
      name: 'duplicate volumes',
      spec: { containers: [{ name: 'a', image: 'x' }], volumes: [{ name: 'v', emptyDir: {} }, { name: 'v', emptyDir: {} }] },
      want: ['spec.volumes[1].name: Duplicate value: "v"'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const p = pod(c.spec);
      podStrategy.defaults!(p);
      assert.deepEqual(podStrategy.validate!(p, ctx).map(fieldErrorText), c.want);
    });
  }
});

describe('pod update', () => {
  const base = () => created({ containers: [{ name: 'c', image: 'nginx:1' }], tolerations: [{ key: 'k', operator: 'Exists' }] });
  it('allows image, tolerations additions and activeDeadlineSeconds', () => {
    const old = base();
    const p = base();
    const spec = p.spec as Record<string, unknown> & { containers: { image: string }[]; tolerations: unknown[] };
    spec.containers[0]!.image = 'nginx:2';
    spec.tolerations.push({ key: 'x', operator: 'Exists' });
    spec.activeDeadlineSeconds = 100;
    assert.deepEqual(podStrategy.validateUpdate!(p, old, ctx), []);
  });
  it('rejects other spec changes with the upstream message', () => {
    const old = base();
    const p = base();
    (p.spec as Record<string, unknown>).restartPolicy = 'Never';
    const errs = podStrategy.validateUpdate!(p, old, ctx);
    assert.equal(errs.length, 1);
    assert.equal(errs[0]!.field, 'spec');
    assert.equal(errs[0]!.type, 'FieldValueForbidden');
    assert.ok(errs[0]!.detail!.startsWith(`${POD_UPDATE_FORBIDDEN_MESSAGE}\n`));
    assert.ok(fieldErrorText(errs[0]!).startsWith('spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,'));
  });
  it('rejects removing a toleration', () => {
    const old = base();
    const p = base();
    (p.spec as Record<string, unknown>).tolerations = [];
    const fields = podStrategy.validateUpdate!(p, old, ctx).map((e) => e.field);
    assert.deepEqual(fields, ['spec.tolerations[0]']);
  });
  it('keeps status on update and spec on status update', () => {
    const old = base();
    const p = base();
    p.status = { phase: 'Running' };
    podStrategy.prepareForUpdate!(p, old, ctx);
    assert.deepEqual(p.status, { phase: 'Pending', qosClass: 'BestEffort' });
    const s = base();
    s.spec = { containers: [] };
    s.status = { phase: 'Running' };
    podStrategy.prepareForStatusUpdate!(s, old, ctx);
    assert.deepEqual(s.spec, old.spec);
    assert.deepEqual(s.status, { phase: 'Running', qosClass: 'BestEffort' });
  });
  it('selectable fields', () => {
    const p = base();
    assert.equal(podStrategy.selectableFields!(p)['status.phase'], 'Pending');
    assert.equal(podStrategy.selectableFields!(p)['spec.hostNetwork'], 'false');
  });
});
