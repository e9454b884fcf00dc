import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, stat, unlink } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthenticator } from './authenticator.js';
import type { UserInfo } from './authenticator.js';
import { PKI_FILES, ensurePki } from './pki.js';
import type { Pki } from './pki.js';

describe('ensurePki', () => {
  let dir: string;
  let pki: Pki;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-pki-'));
    pki = await ensurePki({ dir, hostnames: ['skiff.example'], ips: ['10.43.0.1'] });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes all PEM files, keys 0600', async () => {
    for (const name of Object.values(PKI_FILES)) {
      const st = await stat(path.join(dir, 'tls', name));
      assert.ok(st.isFile(), name);
      if (name.endsWith('.key')) assert.equal(st.mode & 0o777, 0o600, name);
    }
    assert.match(pki.serverKeyPem, /^-----BEGIN PRIVATE KEY-----/);
    assert.match(pki.adminKeyPem, /^-----BEGIN PRIVATE KEY-----/);
  });

  it('CA is a CA and signs both leaves', () => {
    const ca = new X509Certificate(pki.caCertPem);
    assert.equal(ca.ca, true);
    assert.ok(new X509Certificate(pki.serverCertPem).verify(ca.publicKey));
    assert.ok(new X509Certificate(pki.adminCertPem).verify(ca.publicKey));
  });

  it('serving certificate carries the expected SANs', () => {
    const cert = new X509Certificate(pki.serverCertPem);
    for (const ip of ['127.0.0.1', '::1', '10.43.0.1']) assert.ok(cert.checkIP(ip), ip);
    for (const name of [
      'localhost',
      'kubernetes',
      'kubernetes.default',
      'kubernetes.default.svc',
      'kubernetes.default.svc.cluster.local',
      'skiff.example',
      os.hostname().toLowerCase(),
    ]) {
      assert.ok(cert.checkHost(name, { subject: 'never' }), name);
    }
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  });

  it('admin certificate is system:admin in system:masters', () => {
    const cert = new X509Certificate(pki.adminCertPem);
    const subject = cert.subject.split('\n');
    assert.ok(subject.includes('CN=system:admin'), cert.subject);
    assert.ok(subject.includes('O=system:masters'), cert.subject);
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  });

  it('reuses everything on a second call with the same names', async () => {
    const again = await ensurePki({ dir, hostnames: ['skiff.example'], ips: ['10.43.0.1'] });
    assert.equal(again.caCertPem, pki.caCertPem);
    assert.equal(again.serverCertPem, pki.serverCertPem);
    assert.equal(again.serverKeyPem, pki.serverKeyPem);
    assert.equal(again.adminCertPem, pki.adminCertPem);
    assert.equal(again.adminKeyPem, pki.adminKeyPem);
  });

  it('re-issues only the serving certificate when a SAN is missing', async () => {
    const more = await ensurePki({ dir, hostnames: ['skiff.example', 'new.example'], ips: ['10.43.0.1', '192.0.2.7'] });
    assert.equal(more.caCertPem, pki.caCertPem);
    assert.equal(more.adminCertPem, pki.adminCertPem);
    assert.notEqual(more.serverCertPem, pki.serverCertPem);
    const cert = new X509Certificate(more.serverCertPem);
    assert.ok(cert.checkHost('new.example', { subject: 'never' }));
    assert.ok(cert.checkIP('192.0.2.7'));
    // A subset of names keeps the (larger) certificate.
    const subset = await ensurePki({ dir, hostnames: ['skiff.example'], ips: ['10.43.0.1'] });
    assert.equal(subset.serverCertPem, more.serverCertPem);
  });

  it('re-creates everything when the CA is gone', async () => {
    const dir2 = await mkdtemp(path.join(os.tmpdir(), 'skiff-pki-'));
    try {
      const first = await ensurePki({ dir: dir2 });
      await unlink(path.join(dir2, 'tls', PKI_FILES.caKey));
      const second = await ensurePki({ dir: dir2 });
      assert.notEqual(second.caCertPem, first.caCertPem);
      assert.notEqual(second.adminCertPem, first.adminCertPem);
      assert.ok(new X509Certificate(second.adminCertPem).verify(new X509Certificate(second.caCertPem).publicKey));
    } finally {
      await rm(dir2, { recursive: true, force: true });
    }
  });

  it('signClientCert issues certificates with CN and O', async () => {
    const issued = await pki.signClientCert('system:node:n1', ['system:nodes', 'extra']);
    const cert = new X509Certificate(issued.certPem);
    const subject = cert.subject.split('\n');
    assert.ok(subject.includes('CN=system:node:n1'));
    assert.ok(subject.includes('O=system:nodes'));
    assert.ok(subject.includes('O=extra'));
  });

  describe('TLS handshake with client certificates', () => {
    let server: https.Server;
    let port: number;

    before(async () => {
      const authenticator = createAuthenticator({ caCertPem: pki.caCertPem });
      server = https.createServer(
        { key: pki.serverKeyPem, cert: pki.serverCertPem, ca: pki.caCertPem, requestCert: true, rejectUnauthorized: false },
        (req, res) => {
          const user = authenticator.authenticate(req);
          res.writeHead(user ? 200 : 401, { 'content-type': 'application/json' });
          res.end(JSON.stringify(user ?? null));
        },
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });
    after(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    function get(opts: { cert?: string; key?: string; host?: string }): Promise<{ status: number; user: UserInfo | null }> {
      return new Promise((resolve, reject) => {
        const req = https.get(
          {
            host: opts.host ?? '127.0.0.1',
            port,
            path: '/',
            ca: pki.caCertPem,
            cert: opts.cert,
            key: opts.key,
            agent: false,
          },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, user: JSON.parse(body) as UserInfo | null }));
          },
        );
        req.on('error', reject);
      });
    }

    it('admin certificate authenticates as system:admin', async () => {
      const { status, user } = await get({ cert: pki.adminCertPem, key: pki.adminKeyPem });
      assert.equal(status, 200);
      assert.equal(user?.username, 'system:admin');
      assert.deepEqual(user?.groups, ['system:masters', 'system:authenticated']);
    });

    it('a signed client certificate maps every O to a group', async () => {
      const issued = await pki.signClientCert('system:node:n1', ['system:nodes', 'extra']);
      const { status, user } = await get({ cert: issued.certPem, key: issued.keyPem });
      assert.equal(status, 200);
      assert.deepEqual(user, { username: 'system:node:n1', groups: ['system:nodes', 'extra', 'system:authenticated'] });
    });

    it('a serving certificate is not accepted as a client certificate', async () => {
      const { status } = await get({ cert: pki.serverCertPem, key: pki.serverKeyPem });
      assert.equal(status, 401);
    });

    it('server name "localhost" verifies against the CA', async () => {
      const { status } = await get({ host: 'localhost', cert: pki.adminCertPem, key: pki.adminKeyPem });
      assert.equal(status, 200);
    });

    it('no client certificate is unauthenticated', async () => {
      const { status, user } = await get({});
      assert.equal(status, 401);
      assert.equal(user, null);
    });

    it('a certificate from another CA is rejected', async () => {
      const other = await mkdtemp(path.join(os.tmpdir(), 'skiff-pki-other-'));
      try {
        const foreign = await ensurePki({ dir: other });
        const { status } = await get({ cert: foreign.adminCertPem, key: foreign.adminKeyPem });
        assert.equal(status, 401);
      } finally {
        await rm(other, { recursive: true, force: true });
      }
    });
  });
});
