/**
 * Preemption through the real kubectl against `skiff server --simulated-nodes 2` with small nodes
 * (`--simulated-node-capacity cpu=2,memory=4Gi,pods=10`): a high-priority pod on a full cluster
 * evicts a lower-priority pod, which terminates gracefully (Terminating, then gone), while the
 * preemptor is nominated to that node and then bound to it. Texts are upstream 1.32's.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/cluster.js';
import type { TestServer } from '../helpers/cluster.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { describeResult, parseTable, rowOf } from './kubectl-util.js';

const NS = 'nodes-preempt';
const GRACE = 5;

function pod(name: string, priorityClassName: string, cpu: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { t: 'preempt' }, annotations: { 'sim.skiff.io/ignore-sigterm': 'true' } },
    spec: {
      priorityClassName,
      terminationGracePeriodSeconds: GRACE,
      containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu, memory: '256Mi' } } }],
    },
  });
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.message : String(last)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

describe('preemption through kubectl', () => {
  let server: TestServer;
  const k = (args: string[], input?: string) => kubectl(server, ['-n', NS, ...args], { input });
  const ok = (args: string[], input?: string) => kubectlOk(server, ['-n', NS, ...args], { input });

  async function rows(): Promise<Map<string, Record<string, string>>> {
    const t = parseTable(await ok(['get', 'pods', '-o', 'wide', '-l', 't=preempt']));
    const out = new Map<string, Record<string, string>>();
    for (const r of t.rows) out.set(r[0]!, rowOf(t, r[0]!)!);
    return out;
  }

  before(async () => {
    server = await startServer({ args: ['--simulated-nodes', '2', '--simulated-node-capacity', 'cpu=2,memory=4Gi,pods=10'] });
    await kubectlOk(server, ['create', 'namespace', NS]);
    await until('two Ready nodes', async () => {
      const t = parseTable(await kubectlOk(server, ['get', 'nodes']));
      return t.rows.length === 2 && t.rows.every((r) => r[1] === 'Ready');
    });
  });

  after(async () => {
    await server?.cleanup();
  });

  it('a high-priority pod preempts a lower-priority pod on a full cluster; the victim terminates gracefully', async () => {
    assert.equal(await kubectlOk(server, ['create', 'priorityclass', 'low', '--value=100']), 'priorityclass.scheduling.k8s.io/low created\n');
    assert.equal(await kubectlOk(server, ['create', 'priorityclass', 'high', '--value=100000']), 'priorityclass.scheduling.k8s.io/high created\n');
    const pcs = parseTable(await kubectlOk(server, ['get', 'priorityclasses']));
    assert.equal(rowOf(pcs, 'high')?.VALUE, '100000');

    // Fill both nodes: 1500m of 2 CPUs each.
    await ok(['create', '-f', '-'], pod('low-0', 'low', '1500m'));
    await ok(['create', '-f', '-'], pod('low-1', 'low', '1500m'));
    const placed = await until('both low pods Running', async () => {
      const m = await rows();
      const a = m.get('low-0');
      const b = m.get('low-1');
      return a?.STATUS === 'Running' && b?.STATUS === 'Running' ? m : undefined;
    });
    assert.deepEqual([placed.get('low-0')!.NODE, placed.get('low-1')!.NODE].sort(), ['sim-0', 'sim-1']);

    // A same-priority pod does not preempt: it stays Pending with upstream's message.
    await ok(['create', '-f', '-'], pod('peer', 'low', '1500m'));
    let events = '';
    try {
      await until('FailedScheduling for peer', async () => {
        const out = await ok(['describe', 'pod', 'peer']);
        events = out.slice(out.indexOf('Events:'));
        return out.includes(
          'default-scheduler  0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
        );
      });
    } catch (err) {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${events}\n${await ok(['get', 'pods', '-o', 'wide'])}`);
    }
    const unchanged = await rows();
    assert.equal(unchanged.get('low-0')?.STATUS, 'Running', 'an equal-priority pod preempts nothing');
    assert.equal(unchanged.get('low-1')?.STATUS, 'Running', 'an equal-priority pod preempts nothing');
    await ok(['delete', 'pod', 'peer']);

    await ok(['create', '-f', '-'], pod('high', 'high', '1500m'));

    // One low pod is chosen as victim: it turns Terminating (deletionTimestamp set) while the
    // preemptor is nominated to its node.
    let victim = '';
    let nominated = '';
    let victimState = '';
    await until('a victim Terminating and the preemptor nominated', async () => {
      const m = await rows();
      for (const name of ['low-0', 'low-1']) {
        if (m.get(name)?.STATUS === 'Terminating' && victim === '') {
          victim = name;
          const jp = 'jsonpath={.metadata.deletionTimestamp}|{.status.conditions[?(@.type=="DisruptionTarget")].reason}|{.status.conditions[?(@.type=="DisruptionTarget")].message}';
          const r = await k(['get', 'pod', name, '-o', jp]);
          victimState = r.code === 0 ? r.stdout : `(gone: ${r.stderr.trim()})`;
        }
      }
      const h = m.get('high');
      if (h && h['NOMINATED NODE'] !== '<none>' && h['NOMINATED NODE'] !== '') nominated = h['NOMINATED NODE']!;
      return victim !== '' && nominated !== '';
    }, 30_000, 100);
    const survivor = victim === 'low-0' ? 'low-1' : 'low-0';
    assert.equal(placed.get(victim)!.NODE, nominated, 'the preemptor is nominated to the victim\'s node');
    // While Terminating the victim carries a deletionTimestamp and upstream's DisruptionTarget condition.
    assert.match(victimState, /^\d{4}-\d\d-\d\dT[^|]+\|PreemptionByScheduler\|default-scheduler: preempting to accommodate a higher priority pod$/);

    // The victim is deleted gracefully: it disappears only after its containers stopped; the
    // preemptor is then bound to the nominated node and runs. The other low pod stays.
    await until(`${victim} gone`, async () => {
      const r = await k(['get', 'pod', victim]);
      return r.code !== 0 && r.stderr.includes('NotFound');
    });
    const after = await until('high Running', async () => {
      const m = await rows();
      return m.get('high')?.STATUS === 'Running' ? m : undefined;
    });
    assert.equal(after.get('high')!.NODE, nominated);
    assert.equal(after.get(survivor)?.STATUS, 'Running');
    assert.equal(after.get(survivor)?.NODE, placed.get(survivor)!.NODE);

    const describeHigh = await ok(['describe', 'pod', 'high']);
    assert.match(describeHigh, new RegExp(`^ {2}Normal +Scheduled +.+ +default-scheduler +Successfully assigned ${NS}/high to ${nominated}$`, 'm'));

    const ev = await ok(['get', 'events', '--field-selector', `involvedObject.name=${victim},reason=Preempted`, '-o', 'jsonpath={.items[*].message}']);
    const uid = await ok(['get', 'pod', 'high', '-o', 'jsonpath={.metadata.uid}']);
    assert.equal(ev, `Preempted by pod ${uid} on node ${nominated}`, describeResult(['get', 'events'], { code: 0, stdout: ev, stderr: '' }));
  });

  it('pods carry the priority of their PriorityClass (Priority admission)', async () => {
    assert.equal(await ok(['get', 'pod', 'high', '-o', 'jsonpath={.spec.priority}']), '100000');
    const out = await ok(['describe', 'pod', 'high']);
    assert.match(out, /^Priority: +100000$/m);
    assert.match(out, /^Priority Class Name: +high$/m);
  });
});
