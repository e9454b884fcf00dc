/**
 * DaemonSets through the real kubectl against `skiff server --simulated-nodes 3`: one pod per node,
 * a node tainted NoSchedule is skipped unless the DaemonSet tolerates the taint, and a node that
 * joins later gets its pod. The late node is one more simulated node (the real kubelet with the
 * simulated runtime, as `--simulated-nodes` runs them) started in the test process against the
 * server's API, the way a node agent joins from another machine.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clientFromKubeconfig } from '../../src/client/rest-client.js';
import type { RestClient } from '../../src/client/rest-client.js';
import { startSimulatedNodes } from '../../src/kubelet/simulated-nodes.js';
import type { SimulatedNodes } from '../../src/kubelet/simulated-nodes.js';
import { startServer } from '../helpers/cluster.js';
import type { TestServer } from '../helpers/cluster.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { parseTable, rowOf } from './kubectl-util.js';
import type { JsonObject } from './kubectl-util.js';
import { namespaced, readyNodes, until } from './workloads-util.js';

const NS = 'workloads-ds';

function daemonSet(name: string, tolerations: JsonObject[] = []): JsonObject {
  return {
    apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { terminationGracePeriodSeconds: 1, tolerations, containers: [{ name: 'c', image: 'busybox' }] },
      },
    },
  };
}

describe('daemonsets through kubectl', () => {
  let server: TestServer;
  let client: RestClient | undefined;
  let late: SimulatedNodes | undefined;
  const { ok, apply } = namespaced(() => server, NS);

  /** Running pods of `app=<name>` → node (sorted by node). */
  async function placements(name: string): Promise<string[]> {
    const t = parseTable(await ok(['get', 'pods', '-o', 'wide', '-l', `app=${name}`]));
    return t.rows.map((r) => rowOf(t, r[0]!)!).filter((r) => r.STATUS === 'Running').map((r) => r.NODE!).sort();
  }

  async function dsRow(name: string): Promise<Record<string, string> | undefined> {
    return rowOf(parseTable(await ok(['get', 'daemonsets'])), name);
  }

  before(async () => {
    server = await startServer({ args: ['--simulated-nodes', '3'] });
    await readyNodes(server, 3);
    await kubectlOk(server, ['create', 'namespace', NS]);
    await until('default ServiceAccount', async () => (await ok(['get', 'serviceaccounts', '-o', 'name'])).includes('serviceaccount/default'));
  });

  after(async () => {
    await late?.stop();
    client?.close();
    await server?.cleanup();
  });

  it('one pod per node, a tainted node skipped unless tolerated, and a pod for a node that joins later', async () => {
    assert.equal(await kubectlOk(server, ['taint', 'node', 'sim-2', 'dedicated=infra:NoSchedule']), 'node/sim-2 tainted\n');
    await apply(
      daemonSet('plain'),
      daemonSet('tolerant', [{ key: 'dedicated', operator: 'Equal', value: 'infra', effect: 'NoSchedule' }]),
    );
    await until('plain on sim-0 and sim-1 only', async () => {
      const r = await dsRow('plain');
      return r?.DESIRED === '2' && r.READY === '2' && (await placements('plain')).join() === 'sim-0,sim-1';
    }, 60_000);
    await until('tolerant on all three nodes', async () => {
      const r = await dsRow('tolerant');
      return r?.DESIRED === '3' && r.CURRENT === '3' && r.READY === '3' && r['UP-TO-DATE'] === '3' && r.AVAILABLE === '3'
        && (await placements('tolerant')).join() === 'sim-0,sim-1,sim-2';
    }, 60_000);
    assert.deepEqual(parseTable(await ok(['get', 'daemonsets'])).header,
      ['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE']);
    // Exactly one pod per node, even after a while.
    const tolerantPods = parseTable(await ok(['get', 'pods', '-l', 'app=tolerant']));
    assert.equal(tolerantPods.rows.length, 3);

    // A fourth node joins: both DaemonSets put a pod there.
    client = clientFromKubeconfig(server.kubeconfig, { userAgent: 'workloads-e2e-late-node' });
    late = startSimulatedNodes({ client, count: 1, namePrefix: 'sim-', startIndex: 3 });
    await late.ready;
    await readyNodes(server, 4);
    await until('plain on sim-0, sim-1 and sim-3', async () => {
      const r = await dsRow('plain');
      return r?.DESIRED === '3' && r.READY === '3' && (await placements('plain')).join() === 'sim-0,sim-1,sim-3';
    }, 60_000);
    await until('tolerant on all four nodes', async () => {
      const r = await dsRow('tolerant');
      return r?.DESIRED === '4' && r.READY === '4' && (await placements('tolerant')).join() === 'sim-0,sim-1,sim-2,sim-3';
    }, 60_000);

    // Removing the taint lets plain onto sim-2 too.
    assert.equal(await kubectlOk(server, ['taint', 'node', 'sim-2', 'dedicated=infra:NoSchedule-']), 'node/sim-2 untainted\n');
    await until('plain on all four nodes', async () => {
      const r = await dsRow('plain');
      return r?.DESIRED === '4' && r.READY === '4' && (await placements('plain')).join() === 'sim-0,sim-1,sim-2,sim-3';
    }, 60_000);
  });
});
