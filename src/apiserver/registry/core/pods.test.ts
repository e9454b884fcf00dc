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

describe('pod ephemeral containers', () => {
  const sub = podStrategy.subresourceUpdates!.ephemeralcontainers!;
  const base = (ephemeral: Record<string, unknown>[] = []) => created({
    initContainers: [{ name: 'init', image: 'busybox' }],
    containers: [{ name: 'main', image: 'busybox' }],
    ...(ephemeral.length ? { ephemeralContainers: ephemeral } : {}),
  });
  const withEphemeral = (old: KubeObject, ephemeral: Record<string, unknown>[]): KubeObject => {
    const p = structuredClone(old);
    (p.spec as Record<string, unknown>).ephemeralContainers = ephemeral;
    podStrategy.defaults!(p);
    return p;
  };
  const errors = (p: KubeObject, old: KubeObject) => sub.validate(p, old, ctx).map(fieldErrorText);

  it('defaults ephemeral containers as containers', () => {
    const p = withEphemeral(base(), [{ name: 'dbg', image: 'busybox:1.35' }]);
    assert.deepEqual((p.spec as { ephemeralContainers: unknown[] }).ephemeralContainers[0], {
      name: 'dbg', image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent', resources: {},
      terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File',
    });
  });

  const cases: { name: string; old?: Record<string, unknown>[]; next: Record<string, unknown>[]; want: string[] }[] = [
    { name: 'an addition targeting a container is valid', next: [{ name: 'dbg', image: 'busybox', targetContainerName: 'main', stdin: true, tty: true }], want: [] },
    { name: 'init containers are targets too', next: [{ name: 'dbg', image: 'busybox', targetContainerName: 'init' }], want: [] },
    { name: 'empty resources count as unset', next: [{ name: 'dbg', image: 'busybox', resources: {} }], want: [] },
    {
      name: 'ports, probes, lifecycle and resources are forbidden',
      next: [{
        name: 'dbg', image: 'busybox', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '1' } },
        livenessProbe: { exec: { command: ['true'] } }, readinessProbe: { exec: { command: ['true'] } },
        startupProbe: { exec: { command: ['true'] } }, lifecycle: { postStart: { exec: { command: ['true'] } } },
      }],
      want: ['ports', 'resources', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle']
        .map((f) => `spec.ephemeralContainers[0].${f}: Forbidden: cannot be set for an Ephemeral Container`),
    },
    {
      name: 'sub-paths are forbidden',
      next: [{ name: 'dbg', image: 'busybox', volumeMounts: [{ name: 'v', mountPath: '/v', subPath: 'x' }] }],
      want: [
        'spec.ephemeralContainers[0].volumeMounts[0].name: Not found: "v"',
        'spec.ephemeralContainers[0].volumeMounts[0].subPath: Forbidden: cannot be set for an Ephemeral Container',
      ],
    },
    {
      name: 'names are unique across all containers',
      next: [{ name: 'main', image: 'busybox' }, { name: 'init', image: 'busybox' }],
      want: ['spec.ephemeralContainers[0].name: Duplicate value: "main"', 'spec.ephemeralContainers[1].name: Duplicate value: "init"'],
    },
    {
      name: 'the target must be a container of the pod',
      old: [{ name: 'dbg', image: 'busybox' }],
      next: [{ name: 'dbg', image: 'busybox' }, { name: 'dbg2', image: 'busybox', targetContainerName: 'dbg' }],
      want: ['spec.ephemeralContainers[1].targetContainerName: Not found: "dbg"'],
    },
    {
      name: 'existing ones may not be removed',
      old: [{ name: 'dbg', image: 'busybox' }],
      next: [],
      want: ['spec.ephemeralContainers: Forbidden: existing ephemeral containers "dbg" may not be removed\n'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const old = base(c.old);
      assert.deepEqual(errors(withEphemeral(old, c.next), old), c.want);
    });
  }

  it('existing ones may not be changed', () => {
    const old = base([{ name: 'dbg', image: 'busybox' }]);
    const errs = errors(withEphemeral(old, [{ name: 'dbg', image: 'busybox:1.36' }]), old);
    assert.equal(errs.length, 1);
    assert.match(errs[0]!, /^spec\.ephemeralContainers: Forbidden: existing ephemeral containers "dbg" may not be changed\n.*image/s);
  });

  it('static pods do not support them', () => {
    const old = base();
    old.metadata.annotations = { 'kubernetes.io/config.mirror': 'x' };
    assert.deepEqual(errors(withEphemeral(old, [{ name: 'dbg', image: 'busybox' }]), old), [': Forbidden: static pods do not support ephemeral containers']);
  });

  it('the subresource writes spec.ephemeralContainers only', () => {
    const old = base();
    old.metadata.resourceVersion = '5';
    old.metadata.labels = { a: 'b' };
    old.status = { phase: 'Running' };
    const p = withEphemeral(old, [{ name: 'dbg', image: 'busybox' }]);
    p.metadata.labels = { changed: 'yes' };
    (p.spec as Record<string, unknown>).restartPolicy = 'Never';
    p.status = { phase: 'Failed' };
    const meta = p.metadata;
    sub.prepare(p, old, ctx);
    assert.equal(p.metadata, meta);
    assert.deepEqual(p.metadata.labels, { a: 'b' });
    assert.deepEqual(p.status, { phase: 'Running' });
    assert.equal((p.spec as Record<string, unknown>).restartPolicy, 'Always');
    assert.equal((p.spec as { ephemeralContainers: { name: string }[] }).ephemeralContainers[0]!.name, 'dbg');
  });

  it('a pod cannot be created with them', () => {
    const p = pod({ containers: [{ name: 'main', image: 'busybox' }], ephemeralContainers: [{ name: 'dbg', image: 'busybox' }] });
    podStrategy.defaults!(p);
    assert.deepEqual(podStrategy.validate!(p, ctx).map(fieldErrorText), ['spec.ephemeralContainers: Forbidden: cannot be set on create']);
  });

  it('the main resource cannot change them', () => {
    const old = base();
    const errs = podStrategy.validateUpdate!(withEphemeral(old, [{ name: 'dbg', image: 'busybox' }]), old, ctx);
    assert.deepEqual(errs.map((e) => e.field), ['spec']);
  });
});
