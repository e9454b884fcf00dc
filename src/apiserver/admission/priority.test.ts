import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../apimachinery/object.js';
import { StatusError } from '../../apimachinery/errors.js';
import { createPriorityPlugin } from './priority.js';
import { attributes, createFakeDeps } from './testing.js';

function pod(spec: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'x' }], ...spec } };
}

function pc(name: string, value: number, extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, preemptionPolicy: 'PreemptLowerPriority', ...extra };
}

const spec = (o: KubeObject): Record<string, unknown> => o.spec as Record<string, unknown>;

async function refusal(p: Promise<void>): Promise<StatusError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof StatusError);
    return err;
  }
  assert.fail('expected a refusal');
}

describe('Priority admission', () => {
  const cases: { name: string; classes: KubeObject[]; spec: Record<string, unknown>; want: Record<string, unknown> }[] = [
    { name: 'no class, no default: 0', classes: [], spec: {}, want: { priority: 0, preemptionPolicy: 'PreemptLowerPriority' } },
    { name: 'named class', classes: [pc('high', 1000, { preemptionPolicy: 'Never' })], spec: { priorityClassName: 'high' },
      want: { priority: 1000, preemptionPolicy: 'Never', priorityClassName: 'high' } },
    { name: 'built-in class without an object', classes: [], spec: { priorityClassName: 'system-node-critical' },
      want: { priority: 2000001000, preemptionPolicy: 'PreemptLowerPriority' } },
    { name: 'global default (lowest of several)', classes: [pc('a', 50, { globalDefault: true }), pc('b', 10, { globalDefault: true }), pc('c', 5)], spec: {},
      want: { priority: 10, priorityClassName: 'b' } },
    { name: 'client priority equal to the computed one is kept', classes: [pc('high', 1000)], spec: { priorityClassName: 'high', priority: 1000 },
      want: { priority: 1000 } },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const deps = createFakeDeps();
      for (const k of c.classes) deps.put('scheduling.k8s.io', 'priorityclasses', k);
      const p = pod(c.spec);
      await createPriorityPlugin(deps).mutate!(attributes('CREATE', '', 'pods', p));
      for (const [k, v] of Object.entries(c.want)) assert.deepEqual(spec(p)[k], v, k);
    });
  }

  it('refuses an unknown class with 403', async () => {
    const err = await refusal(Promise.resolve(createPriorityPlugin(createFakeDeps()).mutate!(attributes('CREATE', '', 'pods', pod({ priorityClassName: 'nope' })))));
    assert.equal(err.code, 403);
    assert.equal(err.message, 'pods "p" is forbidden: no PriorityClass with name nope was found');
  });

  it('refuses a client priority that disagrees', async () => {
    const deps = createFakeDeps();
    deps.put('scheduling.k8s.io', 'priorityclasses', pc('high', 1000));
    const err = await refusal(Promise.resolve(createPriorityPlugin(deps).mutate!(attributes('CREATE', '', 'pods', pod({ priorityClassName: 'high', priority: 5 })))));
    assert.equal(err.code, 403);
    assert.match(err.message, /the integer value of priority \(5\) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name/);
  });

  it('refuses a client preemptionPolicy that disagrees', async () => {
    const deps = createFakeDeps();
    deps.put('scheduling.k8s.io', 'priorityclasses', pc('never', 7, { preemptionPolicy: 'Never' }));
    const err = await refusal(Promise.resolve(createPriorityPlugin(deps).mutate!(attributes('CREATE', '', 'pods', pod({ priorityClassName: 'never', preemptionPolicy: 'PreemptLowerPriority' })))));
    assert.match(err.message, /the string value of PreemptionPolicy \(PreemptLowerPriority\) must not be provided in pod spec; priority admission controller computed Never/);
  });

  it('keeps the stored priority on update', async () => {
    const old = pod({ priority: 42, preemptionPolicy: 'Never' });
    const next = pod({});
    await createPriorityPlugin(createFakeDeps()).mutate!(attributes('UPDATE', '', 'pods', next, { oldObject: old }));
    assert.equal(spec(next).priority, 42);
    assert.equal(spec(next).preemptionPolicy, 'Never');
  });

  it('ignores subresources and other resources', async () => {
    const p = pod({ priorityClassName: 'nope' });
    await createPriorityPlugin(createFakeDeps()).mutate!(attributes('CREATE', '', 'pods', p, { subresource: 'status' }));
    assert.equal(spec(p).priority, undefined);
  });

  it('allows only one global default PriorityClass', async () => {
    const deps = createFakeDeps();
    deps.put('scheduling.k8s.io', 'priorityclasses', pc('first', 1, { globalDefault: true }));
    const plugin = createPriorityPlugin(deps);
    const err = await refusal(Promise.resolve(plugin.validate!(attributes('CREATE', 'scheduling.k8s.io', 'priorityclasses', pc('second', 2, { globalDefault: true })))));
    assert.equal(err.message, 'priorityclasses.scheduling.k8s.io "second" is forbidden: PriorityClass first is already marked as default. Only one default can exist');
    // Updating the default itself is fine.
    await plugin.validate!(attributes('UPDATE', 'scheduling.k8s.io', 'priorityclasses', pc('first', 1, { globalDefault: true })));
    await plugin.validate!(attributes('CREATE', 'scheduling.k8s.io', 'priorityclasses', pc('third', 3)));
  });
});
