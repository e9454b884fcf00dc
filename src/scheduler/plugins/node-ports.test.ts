import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerPort } from '../../apimachinery/generated/types.js';
import { Snapshot } from '../framework/snapshot.js';
import { create, ERR_REASON } from './node-ports.js';
import { filterAll, makeNode, makePod } from './testing.js';

const withPorts = (name: string, ports: ContainerPort[], nodeName?: string) => makePod(name, { nodeName, containers: [{ name: 'c', ports }] });

describe('NodePorts', () => {
  const existing = [
    withPorts('e1', [{ containerPort: 80, hostPort: 8080 }], 'a'),
    withPorts('e2', [{ containerPort: 53, hostPort: 5353, protocol: 'UDP', hostIP: '10.0.0.1' }], 'b'),
  ];
  const snap = Snapshot.fromObjects([makeNode('a'), makeNode('b')], existing);
  const cases: { name: string; ports: ContainerPort[]; want: Record<string, string> }[] = [
    { name: 'no host ports: skipped', ports: [{ containerPort: 80 }], want: { a: '', b: '' } },
    { name: 'same TCP port conflicts', ports: [{ containerPort: 1, hostPort: 8080 }], want: { a: ERR_REASON, b: '' } },
    { name: 'other protocol is free', ports: [{ containerPort: 1, hostPort: 8080, protocol: 'UDP' }], want: { a: '', b: '' } },
    { name: 'wildcard conflicts with a specific address', ports: [{ containerPort: 1, hostPort: 5353, protocol: 'UDP' }], want: { a: '', b: ERR_REASON } },
    { name: 'different specific addresses do not conflict', ports: [{ containerPort: 1, hostPort: 5353, protocol: 'UDP', hostIP: '10.0.0.2' }], want: { a: '', b: '' } },
    { name: 'specific address conflicts with wildcard in use', ports: [{ containerPort: 1, hostPort: 8080, hostIP: '10.0.0.9' }], want: { a: ERR_REASON, b: '' } },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(filterAll(create(), withPorts('p', c.ports), snap), c.want));
});
