import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isStatusError } from '../errors.js';
import { decodeKubernetesProtobuf, formatGoDuration, isProtobufContentType, protoMessageFor } from './decode.js';

// ---------------------------------------------------------------------------------------------
// A tiny protobuf encoder for building test bodies by hand.
// ---------------------------------------------------------------------------------------------

type Part = Buffer;

function varint(v: number | bigint): Buffer {
  let n = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  do {
    let b = Number(n & 0x7fn);
    n >>= 7n;
    if (n > 0n) b |= 0x80;
    out.push(b);
  } while (n > 0n);
  return Buffer.from(out);
}

const key = (num: number, wt: number): Buffer => varint(num * 8 + wt);
const int = (num: number, v: number | bigint): Part => Buffer.concat([key(num, 0), varint(v)]);
const bool = (num: number, v: boolean): Part => int(num, v ? 1 : 0);
const bytes = (num: number, b: Buffer): Part => Buffer.concat([key(num, 2), varint(b.length), b]);
const str = (num: number, s: string): Part => bytes(num, Buffer.from(s, 'utf8'));
const msg = (num: number, ...parts: Part[]): Part => bytes(num, Buffer.concat(parts));
const mapEntry = (num: number, k: string, value: Part): Part => msg(num, str(1, k), value);
const strMap = (num: number, m: Record<string, string>): Part =>
  Buffer.concat(Object.entries(m).map(([k, v]) => mapEntry(num, k, str(2, v))));

function envelope(apiVersion: string, kind: string, ...raw: Part[]): Buffer {
  return Buffer.concat([
    Buffer.from('k8s\0', 'latin1'),
    msg(1, str(1, apiVersion), str(2, kind)),
    bytes(2, Buffer.concat(raw)),
  ]);
}

const decode = (b: Buffer): Record<string, unknown> => decodeKubernetesProtobuf(b, protoMessageFor);

// ---------------------------------------------------------------------------------------------
// Bodies captured from kubectl v1.32.4 (`-v=10` request dumps), base64.
// ---------------------------------------------------------------------------------------------

const KUBECTL_CREATE_DEPLOYMENT =
  'azhzAAoVCgdhcHBzL3YxEgpEZXBsb3ltZW50ErABCh8KA3dlYhIAGgAiACoAMgA4AEIAWgoKA2FwcBIDd2ViEn8IAhIMCgoKA2FwcBIDd2ViGmUKHAoAEgAaACIAKgAyADgAQgBaCgoDYXBwEgN3ZWISRRInCgVuZ2lueBIKbmdpbng6MS4yNSoAQgBqAHIAgAEAiAEAkAEAogEAGgAyAEIASgBSAFgAYABoAIIBAIoBAJoBAMIBACICCgAoADgAGgwIABAAGAAgACgAOAAaACIA';
const KUBECTL_AUTH_WHOAMI =
  'azhzAAotChhhdXRoZW50aWNhdGlvbi5rOHMuaW8vdjESEVNlbGZTdWJqZWN0UmV2aWV3EhoKEAoAEgAaACIAKgAyADgAQgASBgoECgASABoAIgA=';
const KUBECTL_AUTH_CAN_I =
  'azhzAAoyChdhdXRob3JpemF0aW9uLms4cy5pby92MRIXU2VsZlN1YmplY3RBY2Nlc3NSZXZpZXcSPAoQCgASABoAIgAqADIAOABCABIeChwKB2RlZmF1bHQSA2dldBoAIgAqBHBvZHMyADoAGggIABIAGgAgABoAIgA=';
const KUBECTL_CREATE_SERVICE =
  'azhzAAoNCgJ2MRIHU2VydmljZRJjChsKAXMSABoAIgAqADIAOABCAFoICgNhcHASAXMSQAobCgc4MC04MDgwEgNUQ1AYUCIHCAAQkD8aACgAEggKA2FwcBIBcxoAIglDbHVzdGVySVA6AEIAUgBaAGAAaAAaAgoAGgAiAA==';
const KUBECTL_CREATE_JOB =
  'azhzAAoPCghiYXRjaC92MRIDSm9iEngKEQoBahIAGgAiACoAMgA4AEIAElkyVwoQCgASABoAIgAqADIAOABCABJDEiAKAWoSB2J1c3lib3gqAEIAagByAIABAIgBAJABAKIBABoFTmV2ZXIyAEIASgBSAFgAYABoAIIBAIoBAJoBAMIBABoIIAAoADAAOgAaACIA';

describe('kubectl-sent protobuf bodies', () => {
  it('decodes `kubectl create deployment web --image=nginx:1.25 --replicas=2` as kubectl would send it in JSON', () => {
    assert.deepEqual(decode(Buffer.from(KUBECTL_CREATE_DEPLOYMENT, 'base64')), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', creationTimestamp: null, labels: { app: 'web' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { creationTimestamp: null, labels: { app: 'web' } },
          spec: { containers: [{ name: 'nginx', image: 'nginx:1.25', resources: {} }] },
        },
        strategy: {},
      },
      status: {},
    });
  });

  it('decodes `kubectl auth whoami` (SelfSubjectReview)', () => {
    assert.deepEqual(decode(Buffer.from(KUBECTL_AUTH_WHOAMI, 'base64')), {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
      metadata: { creationTimestamp: null },
      status: { userInfo: {} },
    });
  });

  it('decodes `kubectl auth can-i get pods` (SelfSubjectAccessReview)', () => {
    assert.deepEqual(decode(Buffer.from(KUBECTL_AUTH_CAN_I, 'base64')), {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: { creationTimestamp: null },
      spec: { resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods' } },
      status: { allowed: false },
    });
  });

  it('decodes `kubectl create service clusterip s --tcp=80:8080` (IntOrString targetPort)', () => {
    assert.deepEqual(decode(Buffer.from(KUBECTL_CREATE_SERVICE, 'base64')), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's', creationTimestamp: null, labels: { app: 's' } },
      spec: {
        ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }],
        selector: { app: 's' },
        type: 'ClusterIP',
      },
      status: { loadBalancer: {} },
    });
  });

  it('decodes `kubectl create job j --image=busybox`', () => {
    assert.deepEqual(decode(Buffer.from(KUBECTL_CREATE_JOB, 'base64')), {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j', creationTimestamp: null },
      spec: {
        template: {
          metadata: { creationTimestamp: null },
          spec: { containers: [{ name: 'j', image: 'busybox', resources: {} }], restartPolicy: 'Never' },
        },
      },
      status: {},
    });
  });
});

// ---------------------------------------------------------------------------------------------

function deploymentBody(replicas: number): Buffer {
  const labels = { app: 'web' };
  return envelope('apps/v1', 'Deployment',
    msg(1, str(1, 'web'), str(3, ''), int(7, 0), strMap(11, labels)),
    msg(2,
      int(1, replicas),
      msg(2, strMap(1, labels)),
      msg(3,
        msg(1, strMap(11, labels)),
        msg(2,
          msg(2,
            str(1, 'nginx'),
            str(2, 'nginx:1.25'),
            msg(6, str(1, 'http'), int(2, 0), int(3, 80), str(4, 'TCP')),
            msg(6, int(3, 443)),
            str(14, ''),
          ))),
      msg(4, str(1, 'RollingUpdate'), msg(2, msg(1, int(1, 0), int(2, 1)), msg(2, int(1, 1), str(3, '25%')))),
    ),
  );
}

describe('hand-built bodies', () => {
  it('keeps explicit pointer zeros (replicas: 0), drops zero omitempty scalars, decodes IntOrString', () => {
    for (const replicas of [0, 3]) {
      assert.deepEqual(decode(deploymentBody(replicas)), {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', labels: { app: 'web' } },
        spec: {
          replicas,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: {
              containers: [{
                name: 'nginx',
                image: 'nginx:1.25',
                ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }, { containerPort: 443 }],
              }],
            },
          },
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: '25%' } },
        },
      });
    }
  });

  it('turns Secret bytes into base64 and keeps stringData as text', () => {
    const binary = Buffer.from([0x00, 0xff, 0x10, 0x80, 0x41]);
    const body = envelope('v1', 'Secret',
      msg(1, str(1, 's'), str(3, 'ns1')),
      mapEntry(2, 'bin', bytes(2, binary)),
      mapEntry(2, 'txt', bytes(2, Buffer.from('hello'))),
      mapEntry(2, 'empty', Buffer.alloc(0)),
      str(3, 'Opaque'),
      strMap(4, { plain: 'text' }),
    );
    assert.deepEqual(decode(body), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'ns1' },
      data: { bin: binary.toString('base64'), txt: 'aGVsbG8=', empty: '' },
      type: 'Opaque',
      stringData: { plain: 'text' },
    });
  });

  it('decodes a ConfigMap with data, binaryData and an explicit immutable: false', () => {
    const body = envelope('v1', 'ConfigMap',
      msg(1, str(1, 'c'), strMap(12, { note: 'x' })),
      strMap(2, { a: 'b', 'multi.line': 'one\ntwo\n' }),
      mapEntry(3, 'raw', bytes(2, Buffer.from([1, 2, 3]))),
      bool(4, false),
    );
    assert.deepEqual(decode(body), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', annotations: { note: 'x' } },
      data: { a: 'b', 'multi.line': 'one\ntwo\n' },
      binaryData: { raw: 'AQID' },
      immutable: false,
    });
  });

  it('decodes an empty SelfSubjectReview to apiVersion and kind only', () => {
    assert.deepEqual(decode(envelope('authentication.k8s.io/v1', 'SelfSubjectReview')), {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
    });
  });

  it('decodes a Pod: Quantity maps, Time, inlined probe handler and LocalObjectReference', () => {
    const body = envelope('v1', 'Pod',
      msg(1, str(1, 'p'), msg(8, int(1, 1700000000), int(2, 123456789)), msg(9), int(10, 30)),
      msg(2,
        msg(2,
          str(1, 'app'),
          str(2, 'busybox'),
          msg(7, str(1, 'FROM_CM'), msg(3, msg(3, msg(1, str(1, 'cm1')), str(2, 'k'), bool(3, true)))),
          msg(8,
            mapEntry(1, 'cpu', msg(2, str(1, '500m'))),
            mapEntry(1, 'memory', msg(2, str(1, '128Mi'))),
            mapEntry(2, 'cpu', msg(2)),
          ),
          msg(10, msg(1, msg(2, str(1, '/healthz'), msg(2, int(1, 0), int(2, 8080)))), int(2, 5), int(4, 0)),
        ),
        int(4, 0),
      ),
    );
    assert.deepEqual(decode(body), {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'p',
        creationTimestamp: '2023-11-14T22:13:20Z',
        deletionTimestamp: null,
        deletionGracePeriodSeconds: 30,
      },
      spec: {
        containers: [{
          name: 'app',
          image: 'busybox',
          env: [{ name: 'FROM_CM', valueFrom: { configMapKeyRef: { name: 'cm1', key: 'k', optional: true } } }],
          resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '0' } },
          livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, initialDelaySeconds: 5 },
        }],
        terminationGracePeriodSeconds: 0,
      },
    });
  });

  it('decodes MicroTime, negative int32, FieldsV1, RawExtension and named-list map values', () => {
    const event = envelope('events.k8s.io/v1', 'Event',
      msg(1, str(1, 'e'),
        msg(17, str(1, 'kubectl'), str(2, 'Update'), msg(4, int(1, 0)),
          str(6, 'FieldsV1'), msg(7, bytes(1, Buffer.from('{"f:spec":{}}'))))),
      msg(2, int(1, 1700000000), int(2, 987654321)),
      int(15, -5),
    );
    assert.deepEqual(decode(event), {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: {
        name: 'e',
        managedFields: [{
          manager: 'kubectl', operation: 'Update', time: '1970-01-01T00:00:00Z',
          fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} },
        }],
      },
      eventTime: '2023-11-14T22:13:20.987654Z',
      deprecatedCount: -5,
    });

    const rev = envelope('apps/v1', 'ControllerRevision',
      msg(1, str(1, 'r')), msg(2, bytes(1, Buffer.from('{"spec":{"x":1}}'))), int(3, 7));
    assert.deepEqual(decode(rev), {
      apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'r' }, data: { spec: { x: 1 } }, revision: 7,
    });

    const sar = envelope('authorization.k8s.io/v1', 'SubjectAccessReview',
      msg(2, str(3, 'alice'), str(4, 'g1'), str(4, 'g2'), mapEntry(5, 'scopes', msg(2, str(1, 'a'), str(1, 'b')))));
    assert.deepEqual(decode(sar), {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: 'alice', groups: ['g1', 'g2'], extra: { scopes: ['a', 'b'] } },
    });
  });

  it('decodes DeleteOptions under any group-version and skips unknown fields', () => {
    const body = envelope('apps/v1', 'DeleteOptions',
      int(1, 0), msg(2, str(1, 'uid-1')), str(4, 'Foreground'), str(5, 'All'),
      int(99, 12345), str(98, 'ignored'));
    assert.deepEqual(decode(body), {
      apiVersion: 'apps/v1',
      kind: 'DeleteOptions',
      gracePeriodSeconds: 0,
      preconditions: { uid: 'uid-1' },
      propagationPolicy: 'Foreground',
      dryRun: ['All'],
    });
  });

  it('decodes large and negative 64-bit integers', () => {
    const body = envelope('v1', 'Pod', msg(1, str(1, 'p'), int(7, 2 ** 40), int(10, -1)));
    assert.deepEqual(decode(body).metadata, { name: 'p', generation: 2 ** 40, deletionGracePeriodSeconds: -1 });
  });

  it('accepts a JSON object carried in the envelope when contentType says so', () => {
    const body = Buffer.concat([
      Buffer.from('k8s\0', 'latin1'),
      msg(1, str(1, 'example.com/v1'), str(2, 'Widget')),
      bytes(2, Buffer.from('{"metadata":{"name":"w"}}')),
      str(4, 'application/json'),
    ]);
    assert.deepEqual(decode(body), { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } });
  });
});

describe('errors', () => {
  function statusOf(fn: () => unknown): { code: number; message: string } {
    try {
      fn();
    } catch (e) {
      assert.ok(isStatusError(e), `expected a StatusError, got ${String(e)}`);
      return { code: e.code, message: e.message };
    }
    assert.fail('expected an error');
  }

  it('rejects a body without the k8s prefix', () => {
    const s = statusOf(() => decode(Buffer.from('{"kind":"Pod"}')));
    assert.equal(s.code, 400);
    assert.match(s.message, /^error decoding request body: protobuf: /);
  });

  it('rejects truncated data', () => {
    const full = deploymentBody(1);
    const s = statusOf(() => decode(full.subarray(0, full.length - 5)));
    assert.equal(s.code, 400);
  });

  it('rejects a kind without a protobuf schema with 415', () => {
    const s = statusOf(() => decode(envelope('example.com/v1', 'Widget', msg(1, str(1, 'w')))));
    assert.equal(s.code, 415);
  });

  it('rejects a body without a kind', () => {
    assert.equal(statusOf(() => decode(envelope('v1', '', msg(1, str(1, 'w'))))).code, 400);
  });
});

describe('protoMessageFor', () => {
  it('maps group-versions to k8s.io/api packages', () => {
    const cases: [string, string, string | undefined][] = [
      ['apps/v1', 'Deployment', 'k8s.io.api.apps.v1.Deployment'],
      ['v1', 'Secret', 'k8s.io.api.core.v1.Secret'],
      ['authentication.k8s.io/v1', 'SelfSubjectReview', 'k8s.io.api.authentication.v1.SelfSubjectReview'],
      ['authorization.k8s.io/v1', 'SelfSubjectAccessReview', 'k8s.io.api.authorization.v1.SelfSubjectAccessReview'],
      ['networking.k8s.io/v1', 'Ingress', 'k8s.io.api.networking.v1.Ingress'],
      ['rbac.authorization.k8s.io/v1', 'ClusterRole', 'k8s.io.api.rbac.v1.ClusterRole'],
      ['admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'k8s.io.api.admissionregistration.v1.ValidatingWebhookConfiguration'],
      ['flowcontrol.apiserver.k8s.io/v1', 'FlowSchema', 'k8s.io.api.flowcontrol.v1.FlowSchema'],
      ['certificates.k8s.io/v1', 'CertificateSigningRequest', 'k8s.io.api.certificates.v1.CertificateSigningRequest'],
      ['events.k8s.io/v1', 'Event', 'k8s.io.api.events.v1.Event'],
      ['scheduling.k8s.io/v1', 'PriorityClass', 'k8s.io.api.scheduling.v1.PriorityClass'],
      ['node.k8s.io/v1', 'RuntimeClass', 'k8s.io.api.node.v1.RuntimeClass'],
      ['coordination.k8s.io/v1', 'Lease', 'k8s.io.api.coordination.v1.Lease'],
      ['discovery.k8s.io/v1', 'EndpointSlice', 'k8s.io.api.discovery.v1.EndpointSlice'],
      ['storage.k8s.io/v1', 'StorageClass', 'k8s.io.api.storage.v1.StorageClass'],
      ['policy/v1', 'Eviction', 'k8s.io.api.policy.v1.Eviction'],
      ['batch/v1', 'CronJob', 'k8s.io.api.batch.v1.CronJob'],
      ['autoscaling/v1', 'Scale', 'k8s.io.api.autoscaling.v1.Scale'],
      ['autoscaling/v2', 'HorizontalPodAutoscaler', 'k8s.io.api.autoscaling.v2.HorizontalPodAutoscaler'],
      ['v1', 'DeleteOptions', 'k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions'],
      ['batch/v1', 'DeleteOptions', 'k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions'],
      ['meta.k8s.io/v1', 'DeleteOptions', 'k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions'],
      ['apps/v1beta1', 'Deployment', undefined],
      ['example.com/v1', 'Widget', undefined],
      ['v1', 'NoSuchKind', undefined],
      ['apps/v1', 'toString', undefined],
    ];
    for (const [av, kind, want] of cases) assert.equal(protoMessageFor(av, kind), want, `${av} ${kind}`);
  });
});

describe('helpers', () => {
  it('recognises the protobuf media type', () => {
    assert.equal(isProtobufContentType('application/vnd.kubernetes.protobuf'), true);
    assert.equal(isProtobufContentType('Application/VND.Kubernetes.Protobuf; charset=binary'), true);
    assert.equal(isProtobufContentType('application/vnd.kubernetes.protobuf;stream=watch'), true);
    assert.equal(isProtobufContentType('application/json'), false);
    assert.equal(isProtobufContentType(undefined), false);
  });

  it('formats durations as Go does', () => {
    const cases: [bigint, string][] = [
      [0n, '0s'], [1n, '1ns'], [1500n, '1.5µs'], [2_000_000n, '2ms'], [1_500_000_000n, '1.5s'],
      [90_000_000_000n, '1m30s'], [3_600_000_000_000n, '1h0m0s'], [-5_000_000_000n, '-5s'],
      [3_723_000_000_001n, '1h2m3.000000001s'],
    ];
    for (const [ns, want] of cases) assert.equal(formatGoDuration(ns), want);
  });
});
