import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../../apimachinery/errors.js';
import { selectContainer } from './pod-log.js';

const pod = (containers: string[], inits: string[] = [], annotations?: Record<string, string>): Parameters<typeof selectContainer>[0] => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', annotations },
  spec: { containers: containers.map((name) => ({ name })), initContainers: inits.map((name) => ({ name })) },
});

test('the only container is the default; several need a name or the default-container annotation', () => {
  assert.equal(selectContainer(pod(['app']), ''), 'app');
  assert.equal(selectContainer(pod(['a', 'b'], [], { 'kubectl.kubernetes.io/default-container': 'b' }), ''), 'b');
  assert.throws(() => selectContainer(pod(['a', 'b'], ['init']), ''), (e: unknown) => e instanceof StatusError && e.code === 400 &&
    e.message === 'a container name must be specified for pod web, choose one of: [a b] or one of the init containers: [init]');
  assert.equal(selectContainer(pod(['a', 'b'], ['init']), 'init'), 'init');
  assert.throws(() => selectContainer(pod(['a']), 'x'), /container x is not valid for pod web/);
});
