/**
 * The node IPAM controller through a real `skiff server --cluster-cidr 10.77.0.0/23
 * --controllers nodeipam` (room for two /24s): a node created with a podCIDR inside the range keeps
 * it and reserves it, one outside the range (as simulated nodes have) is left alone, a new node
 * gets the free /24 as spec.podCIDR and spec.podCIDRs, the next one gets a CIDRNotAvailable event
 * and, once a node is deleted, the freed /24.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/apimachinery/object.js';
import type { Node } from '../../src/apimachinery/generated/types.js';
import type { RestClient } from '../../src/client/rest-client.js';
import { clientFromKubeconfig } from '../../src/client/rest-client.js';
import type { TestServer } from '../helpers/cluster.js';
import { startServer } from '../helpers/cluster.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { eventually } from '../helpers/eventually.js';

const NODES = { group: '', version: 'v1', resource: 'nodes' };
type NodeObj = Node & KubeObject;

let server: TestServer;
let client: RestClient;

async function addNode(name: string, podCIDR?: string): Promise<void> {
  await client.create(NODES, {
    apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {},
  } as KubeObject);
}

async function podCidrOf(name: string): Promise<string | undefined> {
  return (await client.get<NodeObj>(NODES, name)).spec?.podCIDR;
}

before(async () => {
  server = await startServer({ args: ['--cluster-cidr', '10.77.0.0/23', '--controllers', 'nodeipam'] });
  client = clientFromKubeconfig(server.kubeconfig);
});

after(async () => {
  client?.close();
  await server?.cleanup();
});

test('nodes get free /24s, exhaustion is reported, deletion frees the subnet', { timeout: 120_000 }, async () => {
  await addNode('pre', '10.77.1.0/24');
  await addNode('sim', '10.128.1.0/24');
  await addNode('a');
  assert.equal(await eventually('node a\'s pod CIDR', () => podCidrOf('a')), '10.77.0.0/24');
  const a = await client.get<NodeObj>(NODES, 'a');
  assert.deepEqual(a.spec?.podCIDRs, ['10.77.0.0/24']);
  assert.equal(await podCidrOf('sim'), '10.128.1.0/24');

  await addNode('b');
  await eventually('a CIDRNotAvailable event for node b', async () => {
    const events = await kubectlOk(server, ['get', 'events', '--field-selector', 'involvedObject.name=b',
      '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
    return /CIDRNotAvailable: Node b status is now: CIDRNotAvailable/.test(events) ? true : undefined;
  });
  assert.equal(await podCidrOf('b'), undefined);

  await client.delete(NODES, 'a');
  assert.equal(await eventually('node b\'s pod CIDR after a was deleted', () => podCidrOf('b'), 60_000), '10.77.0.0/24');
});
