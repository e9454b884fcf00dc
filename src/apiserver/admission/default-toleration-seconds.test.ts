import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../apimachinery/object.js';
import type { Toleration } from '../../apimachinery/generated/types.js';
import { createDefaultTolerationSecondsPlugin } from './default-toleration-seconds.js';
import { attributes } from './testing.js';

const notReady: Toleration = { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };
const unreachable: Toleration = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };

function pod(tolerations?: Toleration[]): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'x' }], tolerations } };
}

async function admit(tolerations?: Toleration[], op: 'CREATE' | 'UPDATE' = 'CREATE'): Promise<Toleration[] | undefined> {
  const p = pod(tolerations);
  await createDefaultTolerationSecondsPlugin().mutate!(attributes(op, '', 'pods', p));
  return (p.spec as { tolerations?: Toleration[] }).tolerations;
}

describe('DefaultTolerationSeconds admission', () => {
  it('adds both tolerations with 300 s', async () => {
    assert.deepEqual(await admit(), [notReady, unreachable]);
  });
  it('adds them on update too', async () => {
    assert.deepEqual(await admit(undefined, 'UPDATE'), [notReady, unreachable]);
  });
  it('keeps an existing toleration and adds only the missing one', async () => {
    const own: Toleration = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 };
    assert.deepEqual(await admit([own]), [own, notReady]);
  });
  it('an empty key or effect tolerates both', async () => {
    const all: Toleration = { operator: 'Exists' };
    assert.deepEqual(await admit([all]), [all]);
    const anyEffect: Toleration = { key: 'node.kubernetes.io/not-ready', operator: 'Exists' };
    assert.deepEqual(await admit([anyEffect]), [anyEffect, unreachable]);
  });
  it('a NoSchedule toleration does not count', async () => {
    const ns: Toleration = { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoSchedule' };
    assert.deepEqual(await admit([ns]), [ns, notReady, unreachable]);
  });
  it('leaves other resources and subresources alone', async () => {
    const p = pod();
    await createDefaultTolerationSecondsPlugin().mutate!(attributes('CREATE', '', 'pods', p, { subresource: 'status' }));
    assert.equal((p.spec as { tolerations?: Toleration[] }).tolerations, undefined);
  });
});
