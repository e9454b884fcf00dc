import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceAccountTokenAuthenticator, createTokenIssuer, loadOrCreateServiceAccountKeys } from './service-account-token.js';

test('issued tokens authenticate as the service account until they expire; keys persist', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-sa-'));
  try {
    const keys = loadOrCreateServiceAccountKeys(dir);
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const issued = createTokenIssuer(keys, () => clock).issue({ namespace: 'ns', name: 'robot', uid: 'u1', audiences: ['https://kubernetes.default.svc.cluster.local'], expirationSeconds: 600 });
    assert.equal(issued.expirationTimestamp, '2026-01-01T00:10:00Z');
    const again = loadOrCreateServiceAccountKeys(dir);
    assert.equal(again.kid, keys.kid);
    const auth = createServiceAccountTokenAuthenticator(again, { now: () => clock });
    assert.deepEqual(auth(issued.token), { username: 'system:serviceaccount:ns:robot', uid: 'u1', groups: ['system:serviceaccounts', 'system:serviceaccounts:ns'] });
    const [h, p, s] = issued.token.split('.');
    assert.equal(auth(`${h}.${p}x.${s}`), undefined, 'tampered payload');
    clock += 601_000;
    assert.equal(auth(issued.token), undefined, 'expired');
    assert.equal(auth('not-a-jwt'), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
