import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from '../../apimachinery/generated/types.js';
import {
  CycleState,
  FitError,
  fitErrorMessage,
  Framework,
  newDiagnosis,
  NodeInfo,
  numFeasibleNodesToFind,
  podRequests,
  PreFilterResult,
  Snapshot,
  StateKey,
  Status,
} from './index.js';
import type { FilterPlugin, Handle, PreFilterPlugin, ScorePlugin, BindPlugin, ReservePlugin, PermitPlugin, PostFilterPlugin } from './index.js';

function node(name: string, cpu = '4', mem = '8Gi', pods = '110'): Node {
  return { metadata: { name, labels: { 'kubernetes.io/hostname': name } }, status: { allocatable: { cpu, memory: mem, pods } } };
}

function pod(name: string, extra: Partial<NonNullable<Pod['spec']>> = {}): Pod {
  return { metadata: { name, namespace: 'default', uid: `uid-${name}` }, spec: { containers: [{ name: 'c' }], ...extra } };
}

const noApi = { bindPod: async () => {}, deletePod: async () => {} };

describe('numFeasibleNodesToFind', () => {
  const cases: [string, number, number, number][] = [
    ['below 100 nodes: all', 99, 0, 99],
    ['100 nodes adaptive', 100, 0, 100],
    ['1000 nodes adaptive 42%', 1000, 0, 420],
    ['5000 nodes adaptive 10%', 5000, 0, 500],
    ['6000 nodes adaptive floor 5%', 6000, 0, 300],
    ['200 nodes at 10% gets the 100 minimum', 200, 10, 100],
    ['explicit 100%', 5000, 100, 5000],
    ['explicit 30%', 1000, 30, 300],
  ];
  for (const [name, n, pct, want] of cases) it(name, () => assert.equal(numFeasibleNodesToFind(n, pct), want));
});

describe('FitError message', () => {
  it('counts and sorts reasons as upstream, then appends the PostFilter message', () => {
    const d = newDiagnosis();
    d.nodeToStatus.set('a', Status.unresolvable('node(s) had untolerated taint {dedicated: gpu}'));
    d.nodeToStatus.set('b', Status.unschedulable('Insufficient cpu'));
    d.nodeToStatus.set('c', Status.unschedulable('Insufficient cpu'));
    d.postFilterMsg = 'preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.';
    assert.equal(
      fitErrorMessage(3, d),
      '0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
    );
  });
  it('a node with several reasons counts each', () => {
    const d = newDiagnosis();
    d.nodeToStatus.set('a', Status.unschedulable('Insufficient cpu', 'Insufficient memory'));
    d.nodeToStatus.set('b', Status.unschedulable('Insufficient memory'));
    assert.equal(fitErrorMessage(2, d), '0/2 nodes are available: 1 Insufficient cpu, 2 Insufficient memory.');
  });
  it('PreFilter rejection uses the PreFilter message only', () => {
    const d = newDiagnosis();
    d.preFilterMsg = 'persistentvolumeclaim "x" not found';
    d.nodeToStatus.absentNodesStatus = Status.unresolvable('persistentvolumeclaim "x" not found');
    assert.equal(fitErrorMessage(5, d), '0/5 nodes are available: persistentvolumeclaim "x" not found.');
  });
  it('absent nodes count with the absent status', () => {
    const d = newDiagnosis();
    d.nodeToStatus.absentNodesStatus = Status.unresolvable('Preemption is not helpful for scheduling');
    d.nodeToStatus.set('a', Status.unresolvable('No preemption victims found for incoming pod'));
    assert.equal(fitErrorMessage(3, d), '0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.');
  });
});

describe('pod requests and NodeInfo', () => {
  it('max of containers and init containers, sidecars added, overhead added', () => {
    const p = pod('p', {
      containers: [{ name: 'a', resources: { requests: { cpu: '100m', memory: '100Mi' } } }, { name: 'b', resources: { requests: { cpu: '200m' } } }],
      initContainers: [
        { name: 'i1', resources: { requests: { cpu: '1', memory: '50Mi' } } },
        { name: 'side', restartPolicy: 'Always', resources: { requests: { cpu: '50m', memory: '10Mi' } } },
      ],
      overhead: { cpu: '10m', memory: '1Mi' },
    });
    const r = podRequests(p);
    assert.equal(r.milliCPU, 1000 + 10);
    assert.equal(r.memory, (110 + 1) * 1024 * 1024);
    const nz = podRequests(p, true);
    assert.equal(nz.memory, (100 + 200 + 10 + 1) * 1024 * 1024); // b has no memory request: 200Mi default
  });
  it('NodeInfo sums requests, ports, affinity lists; remove undoes it', () => {
    const ni = new NodeInfo(node('n1'));
    const p = pod('p', {
      containers: [{ name: 'a', ports: [{ containerPort: 80, hostPort: 8080 }], resources: { requests: { cpu: '1' } } }],
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'x', labelSelector: {} }] } },
    });
    ni.addPod(p);
    assert.equal(ni.requested.milliCPU, 1000);
    assert.equal(ni.usedPorts.conflicts({ hostIP: '127.0.0.1', protocol: 'TCP', port: 8080 }), true);
    assert.equal(ni.podsWithRequiredAntiAffinity.length, 1);
    assert.equal(ni.allocatable.allowedPodNumber, 110);
    assert.ok(ni.removePod(p));
    assert.equal(ni.requested.milliCPU, 0);
    assert.equal(ni.usedPorts.size, 0);
    assert.equal(ni.podsWithRequiredAntiAffinity.length, 0);
  });
});

describe('CycleState', () => {
  it('keys are private by identity and clone copies cloneable values', () => {
    const k1 = new StateKey<{ n: number; clone(): { n: number; clone(): unknown } }>('k');
    const k2 = new StateKey<number>('k');
    const s = new CycleState();
    const v = { n: 1, clone() { return { ...this }; } };
    s.write(k1, v);
    s.write(k2, 5);
    assert.equal(s.read(k1), v);
    assert.equal(s.read(k2), 5);
    const c = s.clone();
    assert.notEqual(c.read(k1), v);
    assert.equal(c.read(k1)?.n, 1);
  });
});

function filterBy(name: string, bad: Record<string, Status>): (h: Handle) => FilterPlugin {
  return () => ({ name, filter: (_s, _p, ni) => bad[ni.name] ?? Status.SUCCESS }) satisfies FilterPlugin;
}

describe('Framework cycle', () => {
  it('Filter failures become the FitError; PostFilter message is appended', async () => {
    const fw = new Framework({
      api: noApi,
      plugins: [
        { factory: filterBy('A', { n1: Status.unresolvable('node(s) had untolerated taint {dedicated: gpu}') }) },
        { factory: filterBy('B', { n1: Status.unschedulable('never seen'), n2: Status.unschedulable('Insufficient cpu'), n3: Status.unschedulable('Insufficient cpu') }) },
        {
          factory: () =>
            ({
              name: 'P',
              postFilter: async () => ({ status: Status.unschedulable('preemption: nope') }),
            }) satisfies PostFilterPlugin,
        },
      ],
    });
    const out = await fw.runSchedulingCycle(pod('p'), Snapshot.fromObjects([node('n1'), node('n2'), node('n3')]));
    assert.equal(out.kind, 'unschedulable');
    if (out.kind !== 'unschedulable') return;
    assert.equal(out.fitError.message, '0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu. preemption: nope');
    assert.deepEqual([...out.unschedulablePlugins].sort(), ['A', 'B']);
  });

  it('scores are normalized, weighted and summed; the highest wins', async () => {
    const scores: Record<string, number> = { n1: 10, n2: 30, n3: 20 };
    const fw = new Framework({
      api: noApi,
      plugins: [
        {
          factory: () =>
            ({
              name: 'S',
              score: (_s, _p, ni) => scores[ni.name]!,
              normalizeScore: (_s, _p, list) => {
                for (const x of list) x.score = x.score * 2;
                return Status.SUCCESS;
              },
            }) satisfies ScorePlugin,
          weight: 3,
        },
        { factory: () => ({ name: 'T', score: (_s, _p, ni) => (ni.name === 'n3' ? 100 : 0) }) satisfies ScorePlugin, weight: 1 },
      ],
    });
    const snap = Snapshot.fromObjects([node('n1'), node('n2'), node('n3')]);
    const r = fw.schedulePod(new CycleState(), pod('p'), snap);
    assert.ok(!(r instanceof Status) && !(r instanceof FitError));
    assert.equal(r.nodeName, 'n3'); // 120+100 > 180
    assert.equal(r.feasibleNodes, 3);
  });

  it('ties are broken at random', () => {
    let i = 0;
    const seq = [0.9, 0.1];
    const fw = new Framework({ api: noApi, plugins: [{ factory: () => ({ name: 'S', score: () => 5 }) satisfies ScorePlugin }], random: () => seq[i++ % 2]! });
    const snap = Snapshot.fromObjects([node('a'), node('b'), node('c')]);
    const r = fw.schedulePod(new CycleState(), pod('p'), snap);
    assert.ok(!(r instanceof Status) && !(r instanceof FitError));
    assert.equal(r.nodeName, 'c');
  });

  it('PreFilter Skip skips the Filter; PreFilterResult narrows the nodes', () => {
    let filtered = 0;
    const fw = new Framework({
      api: noApi,
      plugins: [
        {
          factory: () =>
            ({
              name: 'Skipper',
              preFilter: () => Status.skip(),
              filter: () => {
                filtered++;
                return Status.unschedulable('x');
              },
            }) satisfies PreFilterPlugin & FilterPlugin,
        },
        { factory: () => ({ name: 'Narrow', preFilter: () => new PreFilterResult(new Set(['b'])) }) satisfies PreFilterPlugin },
      ],
    });
    const r = fw.schedulePod(new CycleState(), pod('p'), Snapshot.fromObjects([node('a'), node('b')]));
    assert.equal(filtered, 0);
    assert.ok(!(r instanceof Status) && !(r instanceof FitError));
    assert.equal(r.nodeName, 'b');
  });

  it('PreFilter rejection is reported with its message', () => {
    const fw = new Framework({ api: noApi, plugins: [{ factory: () => ({ name: 'X', preFilter: () => Status.unresolvable('nope') }) satisfies PreFilterPlugin }] });
    const r = fw.schedulePod(new CycleState(), pod('p'), Snapshot.fromObjects([node('a'), node('b')]));
    assert.ok(r instanceof FitError);
    assert.equal(r.message, '0/2 nodes are available: nope.');
  });

  it('no nodes: error', () => {
    const fw = new Framework({ api: noApi, plugins: [] });
    const r = fw.schedulePod(new CycleState(), pod('p'), new Snapshot());
    assert.ok(r instanceof Status);
    assert.equal(r.message(), 'no nodes available to schedule pods');
  });

  it('stops filtering after enough feasible nodes and rotates the start', () => {
    const seen: string[] = [];
    const fw = new Framework({
      api: noApi,
      plugins: [{ factory: () => ({ name: 'F', filter: (_s, _p, ni) => (seen.push(ni.name), Status.SUCCESS) }) satisfies FilterPlugin }],
    });
    const nodes = Array.from({ length: 1000 }, (_, i) => node(`n${i}`));
    const snap = Snapshot.fromObjects(nodes);
    const r = fw.schedulePod(new CycleState(), pod('p'), snap);
    assert.ok(!(r instanceof Status) && !(r instanceof FitError));
    assert.equal(r.feasibleNodes, 420);
    assert.equal(seen.length, 420);
    seen.length = 0;
    fw.schedulePod(new CycleState(), pod('q'), snap);
    assert.equal(seen[0], 'n420');
  });

  it('Reserve, Permit, bind; reserve failure unreserves and forgets', async () => {
    const calls: string[] = [];
    const mk = (failReserve: boolean) =>
      new Framework({
        api: noApi,
        plugins: [
          {
            factory: () =>
              ({
                name: 'R',
                reserve: () => (calls.push('reserve'), failReserve ? Status.unschedulable('no room') : Status.SUCCESS),
                unreserve: () => void calls.push('unreserve'),
              }) satisfies ReservePlugin,
          },
          { factory: () => ({ name: 'Pm', permit: () => (calls.push('permit'), { status: Status.SUCCESS }) }) satisfies PermitPlugin },
          { factory: () => ({ name: 'B', bind: async (_s, _p, n) => (calls.push(`bind ${n}`), Status.SUCCESS) }) satisfies BindPlugin },
        ],
      });
    const hooks = { assume: () => void calls.push('assume'), forget: () => void calls.push('forget') };
    const fw = mk(false);
    const out = await fw.runSchedulingCycle(pod('p'), Snapshot.fromObjects([node('a')]), hooks);
    assert.equal(out.kind, 'scheduled');
    if (out.kind !== 'scheduled') return;
    const s = await fw.runBindingCycle(out.state, pod('p'), out.result.nodeName, hooks);
    assert.ok(s.isSuccess());
    assert.deepEqual(calls, ['assume', 'reserve', 'permit', 'bind a']);
    calls.length = 0;
    const out2 = await mk(true).runSchedulingCycle(pod('p'), Snapshot.fromObjects([node('a')]), hooks);
    assert.equal(out2.kind, 'unschedulable');
    if (out2.kind === 'unschedulable') assert.equal(out2.fitError.message, '0/1 nodes are available: 1 no room.');
    assert.deepEqual(calls, ['assume', 'reserve', 'unreserve', 'forget']);
  });

  it('Permit Wait is released by allow', async () => {
    let handle!: Handle;
    const fw = new Framework({
      api: noApi,
      plugins: [
        { factory: (h) => ((handle = h), { name: 'W', permit: () => ({ status: Status.wait(), timeoutMs: 5000 }) }) satisfies PermitPlugin },
        { factory: () => ({ name: 'B', bind: async () => Status.SUCCESS }) satisfies BindPlugin },
      ],
    });
    const p = pod('p');
    const out = await fw.runSchedulingCycle(p, Snapshot.fromObjects([node('a')]));
    assert.equal(out.kind, 'scheduled');
    if (out.kind !== 'scheduled') return;
    const done = fw.runBindingCycle(out.state, p, 'a');
    handle.getWaitingPod('uid-p')!.allow('W');
    assert.ok((await done).isSuccess());
  });
});
