/**
 * Static pods on a simulated kubelet: a manifest dropped into the manifest directory runs and
 * shows up as a mirror pod `<name>-<node>`; deleting the mirror through the API brings it back;
 * changing the file replaces the pod (new hash); removing the file removes the mirror.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientFromKubeconfig } from '../../src/client/rest-client.js';
import type { RestClient } from '../../src/client/rest-client.js';
import { startSimulatedNodes } from '../../src/kubelet/simulated-nodes.js';
import type { SimulatedNodes } from '../../src/kubelet/simulated-nodes.js';
import { startServer } from '../helpers/cluster.js';
import type { TestServer } from '../helpers/cluster.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';

interface PodJson {
  metadata: { name: string; namespace: string; uid: string; annotations?: Record<string, string>; ownerReferences?: { kind: string; name: string; controller?: boolean }[] };
  spec: { nodeName?: string; containers: { image: string }[] };
  status?: { phase?: string };
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function manifest(image: string): string {
  return [
    'apiVersion: v1', 'kind: Pod', 'metadata:', '  name: web', '  labels:', '    app: web', 'spec:',
    '  terminationGracePeriodSeconds: 1', '  containers:', '  - name: c', `    image: ${image}`, '',
  ].join('\n');
}

describe('static pods (simulated kubelet)', () => {
  let server: TestServer;
  let client: RestClient | undefined;
  let nodes: SimulatedNodes | undefined;
  let dir = '';
  let http: Server | undefined;
  let served = '';

  async function getPod(name = 'web-static-0', namespace = 'default'): Promise<PodJson | undefined> {
    const r = await kubectl(server, ['get', 'pod', name, '-n', namespace, '-o', 'json']);
    if (r.code !== 0) return undefined;
    return JSON.parse(r.stdout) as PodJson;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-static-pods-'));
    http = createServer((_req, res) => res.end(served));
    await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
    const manifestUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/pods.yaml`;
    server = await startServer();
    client = clientFromKubeconfig(server.kubeconfig, { userAgent: 'static-pods-test' });
    nodes = startSimulatedNodes({ client, count: 1, namePrefix: 'static-', podManifestPath: dir, manifestUrl, staticPodIntervalMs: 500 });
    await nodes.ready;
  });

  after(async () => {
    await nodes?.stop();
    client?.close();
    await server?.cleanup();
    await new Promise((resolve) => (http ? http.close(resolve) : resolve(undefined)));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs a manifest as a mirror pod, recreates a deleted mirror, follows changes and removal', async () => {
    const file = join(dir, 'web.yaml');
    writeFileSync(file, manifest('busybox:1.35'));
    const first = await until('mirror pod Running', async () => {
      const p = await getPod();
      return p?.status?.phase === 'Running' ? p : undefined;
    });
    const ann = first.metadata.annotations ?? {};
    assert.equal(ann['kubernetes.io/config.source'], 'file');
    assert.ok(ann['kubernetes.io/config.hash']);
    assert.equal(ann['kubernetes.io/config.mirror'], ann['kubernetes.io/config.hash']);
    assert.ok(ann['kubernetes.io/config.seen']);
    assert.equal(first.spec.nodeName, 'static-0');
    assert.deepEqual(first.metadata.ownerReferences?.map((o) => [o.kind, o.name, o.controller]), [['Node', 'static-0', true]]);
    const table = await kubectlOk(server, ['get', 'pods', '-n', 'default']);
    assert.match(table, /^web-static-0\s+1\/1\s+Running/m);

    // Deleting the mirror through the API: it comes back.
    await kubectlOk(server, ['delete', 'pod', 'web-static-0', '-n', 'default', '--wait=false']);
    await until('mirror pod recreated', async () => {
      const p = await getPod();
      return p && p.metadata.uid !== first.metadata.uid && p.status?.phase === 'Running' ? p : undefined;
    });

    // A changed manifest: new hash, new image.
    writeFileSync(file, manifest('busybox:latest'));
    const changed = await until('mirror pod updated', async () => {
      const p = await getPod();
      return p && p.spec.containers[0]?.image === 'busybox:latest' && p.status?.phase === 'Running' ? p : undefined;
    });
    assert.notEqual(changed.metadata.annotations?.['kubernetes.io/config.mirror'], ann['kubernetes.io/config.mirror']);

    // The file removed: the mirror pod goes away and the kubelet stops the pod.
    unlinkSync(file);
    await until('mirror pod gone', async () => ((await getPod()) === undefined ? true : undefined));
    await until('kubelet idle', async () => (nodes!.kubelets[0]!.podCount === 0 ? true : undefined));
  });

  it('polls --manifest-url: a served pod runs as a mirror pod and goes away when no longer served', async () => {
    await kubectlOk(server, ['create', 'namespace', 'static-url']);
    served = manifest('busybox').replace('name: web', 'name: fromurl\n  namespace: static-url');
    const p = await until('URL mirror pod Running', async () => {
      const pod = await getPod('fromurl-static-0', 'static-url');
      return pod?.status?.phase === 'Running' ? pod : undefined;
    });
    assert.equal(p.metadata.annotations?.['kubernetes.io/config.source'], 'http');
    served = '';
    await until('URL mirror pod gone', async () => ((await getPod('fromurl-static-0', 'static-url')) === undefined ? true : undefined));
  });
});
