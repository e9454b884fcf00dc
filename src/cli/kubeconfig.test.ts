import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { writeKubeconfig } from './kubeconfig.js';

interface Parsed {
  apiVersion: string;
  kind: string;
  'current-context': string;
  clusters: Array<{ name: string; cluster: { server: string; 'certificate-authority-data': string } }>;
  users: Array<{ name: string; user: { 'client-certificate-data': string; 'client-key-data': string } }>;
  contexts: Array<{ name: string; context: { cluster: string; user: string } }>;
}

describe('writeKubeconfig', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-kubeconfig-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const opts = {
    server: 'https://127.0.0.1:6443',
    caCertPem: 'CA PEM\n',
    clientCertPem: 'CERT PEM\n',
    clientKeyPem: 'KEY PEM\n',
    clusterName: 'default',
  };

  it('creates the parent directory and writes mode 0600', async () => {
    const file = path.join(dir, 'nested', 'deeper', 'kubeconfig.yaml');
    writeKubeconfig(file, opts);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  it('parses back with embedded base64 credentials and the default context', async () => {
    const file = path.join(dir, 'kubeconfig.yaml');
    writeKubeconfig(file, opts);
    writeKubeconfig(file, { ...opts, server: 'https://127.0.0.1:7443' });
    const cfg = parse(await readFile(file, 'utf8')) as Parsed;
    assert.equal(cfg.apiVersion, 'v1');
    assert.equal(cfg.kind, 'Config');
    assert.equal(cfg['current-context'], 'default');
    assert.deepEqual(cfg.contexts, [{ name: 'default', context: { cluster: 'default', user: 'default' } }]);
    const cluster = cfg.clusters[0]!;
    assert.equal(cluster.name, 'default');
    assert.equal(cluster.cluster.server, 'https://127.0.0.1:7443');
    const unb64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');
    assert.equal(unb64(cluster.cluster['certificate-authority-data']), 'CA PEM\n');
    const user = cfg.users[0]!;
    assert.equal(user.name, 'default');
    assert.equal(unb64(user.user['client-certificate-data']), 'CERT PEM\n');
    assert.equal(unb64(user.user['client-key-data']), 'KEY PEM\n');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });
});
