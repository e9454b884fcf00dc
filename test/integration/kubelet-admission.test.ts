/**
 * Kubelet admission order against a real `skiff server` child: pods bound to a simulated node
 * before its kubelet starts reach the kubelet together and are admitted in creation order, each
 * against the ones admitted before it (upstream HandlePodAdditions sorts by creation time). The
 * older pod runs; the newer one, which no longer fits, is rejected with OutOfcpu.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startServer } from '../helpers/cluster.js';
import type { TestServer } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';
import { createRestClient } from '../../src/client/rest-client.js';
import type { RestClient } from '../../src/client/rest-client.js';
import type { KubeObject } from '../../src/apimachinery/object.js';
import type { Pod } from '../../src/apimachinery/generated/types.js';
import { startSimulatedNodes } from '../../src/kubelet/simulated-nodes.js';
import type { SimulatedNodes } from '../../src/kubelet/simulated-nodes.js';

const PODS = { group: '', version: 'v1', resource: 'pods' };
const NS = 'default';
const NODE = 'adm-0';

let server: TestServer;
let client: RestClient;
let sim: SimulatedNodes | undefined;

function pod(name: string, cpu: string): KubeObject {
  const p: Pod = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: { nodeName: NODE, containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu } } }] },
  };
  return p as unknown as KubeObject;
}

async function getPod(name: string): Promise<Pod> {
  return (await client.get(PODS, name, { namespace: NS })) as unknown as Pod;
}

before(async () => {
  server = await startServer();
  const tls = path.join(server.dataDir, 'tls');
  client = createRestClient({
    server: server.url, caPem: readFileSync(path.join(tls, 'server-ca.crt'), 'utf8'),
    certPem: readFileSync(path.join(tls, 'client-admin.crt'), 'utf8'), keyPem: readFileSync(path.join(tls, 'client-admin.key'), 'utf8'),
  });
});

after(async () => {
  await sim?.stop();
  client?.close();
  await server?.cleanup();
});

describe('kubelet admission order', () => {
  test('pods already bound when the kubelet starts are admitted oldest first', async () => {
    // Named so that name order and creation order disagree.
    await client.create(PODS, pod('b-older', '1500m'), { namespace: NS });
    // creationTimestamp has whole seconds: let the second pod be created in a later one.
    await new Promise((r) => setTimeout(r, 1100));
    await client.create(PODS, pod('a-newer', '1500m'), { namespace: NS });
    const [older, newer] = [await getPod('b-older'), await getPod('a-newer')];
    assert.ok((older.metadata?.creationTimestamp ?? '') < (newer.metadata?.creationTimestamp ?? ''), 'distinct creation seconds');

    sim = startSimulatedNodes({ client, count: 1, namePrefix: 'adm-', capacity: { cpu: '2', memory: '4Gi', pods: 110 } });
    await sim.ready;

    const running = await eventually('b-older Running', async () => {
      const p = await getPod('b-older');
      return p.status?.phase === 'Running' ? p : undefined;
    });
    assert.equal(running.status?.reason, undefined);
    const rejected = await eventually('a-newer rejected', async () => {
      const p = await getPod('a-newer');
      return p.status?.phase === 'Failed' ? p : undefined;
    });
    assert.equal(rejected.status?.reason, 'OutOfcpu');
    assert.equal(rejected.status?.message, "Pod was rejected: Node didn't have enough resource: cpu, requested: 1500, used: 1500, capacity: 2000");
    assert.equal(rejected.status?.containerStatuses, undefined);
    const runtime = sim.runtimeFor(NODE);
    assert.ok(runtime);
    const sandboxes = await runtime.listPodSandbox();
    assert.deepEqual(sandboxes.map((s) => s.metadata.name), ['b-older'], 'the rejected pod got no sandbox');
  });
});
