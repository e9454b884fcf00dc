import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Container, Node, Pod, PodSpec } from '../apimachinery/generated/types.js';
import { admitPod, rejectionStatusMessage } from './admission.js';

function node(extra: { allocatable?: Record<string, string>; labels?: Record<string, string>; taints?: NonNullable<Node['spec']>['taints'] } = {}): Node {
  return {
    metadata: { name: 'n1', labels: { 'kubernetes.io/os': 'linux', 'kubernetes.io/hostname': 'n1', ...(extra.labels ?? {}) } },
    spec: { taints: extra.taints },
    status: { allocatable: extra.allocatable ?? { cpu: '2', memory: '4Gi', pods: '10' } },
  };
}

let seq = 0;
function pod(requests: Record<string, string> = {}, spec: Partial<PodSpec> = {}, labels?: Record<string, string>): Pod {
  const c: Container = { name: 'c', image: 'busybox', resources: { requests } };
  seq++;
  return { metadata: { name: `p${seq}`, namespace: 'default', uid: `u${seq}`, labels }, spec: { nodeName: 'n1', containers: [c], ...spec } };
}

describe('kubelet admission', () => {
  it('admits a pod that fits', () => {
    assert.deepEqual(admitPod({ pod: pod({ cpu: '1' }), node: node(), otherPods: [pod({ cpu: '500m' })] }), { admit: true });
  });

  it('rejects a pod whose CPU does not fit with OutOfcpu and upstream text', () => {
    const r = admitPod({ pod: pod({ cpu: '4' }), node: node(), otherPods: [pod({ cpu: '500m' })] });
    assert.deepEqual(r, { admit: false, reason: 'OutOfcpu', message: "Node didn't have enough resource: cpu, requested: 4000, used: 500, capacity: 2000" });
    assert.equal(rejectionStatusMessage('x'), 'Pod was rejected: x');
  });

  it('counts memory in bytes and pods by number', () => {
    const mem = admitPod({ pod: pod({ memory: '3Gi' }), node: node(), otherPods: [pod({ memory: '2Gi' })] });
    assert.equal(mem.admit, false);
    assert.equal(!mem.admit && mem.reason, 'OutOfmemory');
    const full = admitPod({ pod: pod(), node: node({ allocatable: { cpu: '2', memory: '4Gi', pods: '2' } }), otherPods: [pod(), pod()] });
    assert.deepEqual(full, { admit: false, reason: 'OutOfpods', message: "Node didn't have enough resource: pods, requested: 1, used: 2, capacity: 2" });
  });

  it('ignores extended resources the node does not have, checks those it has', () => {
    assert.equal(admitPod({ pod: pod({ 'example.com/foo': '3' }), node: node(), otherPods: [] }).admit, true);
    const r = admitPod({ pod: pod({ 'example.com/foo': '3' }), node: node({ allocatable: { cpu: '2', memory: '1Gi', pods: '10', 'example.com/foo': '2' } }), otherPods: [] });
    assert.equal(!r.admit && r.reason, 'OutOfexample.com/foo');
  });

  it('rejects a nodeSelector or required affinity mismatch with NodeAffinity', () => {
    const r = admitPod({ pod: pod({}, { nodeSelector: { disk: 'ssd' } }), node: node(), otherPods: [] });
    assert.deepEqual(r, { admit: false, reason: 'NodeAffinity', message: "Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector" });
    assert.equal(admitPod({ pod: pod({}, { nodeSelector: { disk: 'ssd' } }), node: node({ labels: { disk: 'ssd' } }), otherPods: [] }).admit, true);
  });

  it('reports resources before affinity', () => {
    const r = admitPod({ pod: pod({ cpu: '3' }, { nodeSelector: { disk: 'ssd' } }), node: node(), otherPods: [] });
    assert.equal(!r.admit && r.reason, 'OutOfcpu');
  });

  it('rejects a host port already taken with NodePorts', () => {
    const withPort = (): Pod => pod({}, { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80, hostPort: 8080 }] }] });
    const r = admitPod({ pod: withPort(), node: node(), otherPods: [withPort()] });
    assert.deepEqual(r, { admit: false, reason: 'NodePorts', message: "Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports" });
  });

  it('rejects untolerated NoExecute taints, except for static pods; NoSchedule is ignored', () => {
    const tainted = node({ taints: [{ key: 'k', value: 'v', effect: 'NoExecute' }] });
    const r = admitPod({ pod: pod(), node: tainted, otherPods: [] });
    assert.deepEqual(r, { admit: false, reason: 'TaintToleration', message: "Predicate TaintToleration failed: node(s) had taints that the pod didn't tolerate" });
    assert.equal(admitPod({ pod: pod(), node: tainted, otherPods: [], isStatic: true }).admit, true);
    assert.equal(admitPod({ pod: pod({}, { tolerations: [{ key: 'k', operator: 'Exists' }] }), node: tainted, otherPods: [] }).admit, true);
    assert.equal(admitPod({ pod: pod(), node: node({ taints: [{ key: 'k', effect: 'NoSchedule' }] }), otherPods: [] }).admit, true);
  });

  it('checks the OS label and spec.os first', () => {
    const r = admitPod({ pod: pod({ cpu: '9' }, {}, { 'kubernetes.io/os': 'windows' }), node: node(), otherPods: [] });
    assert.equal(!r.admit && r.reason, 'PodOSSelectorNodeLabelDoesNotMatch');
    const f = admitPod({ pod: pod({}, { os: { name: 'windows' } }), node: node(), otherPods: [] });
    assert.deepEqual(f, { admit: false, reason: 'PodOSNotSupported', message: "Failed to admit pod as the OS field doesn't match node OS" });
  });
});
