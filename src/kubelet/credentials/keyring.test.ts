import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Secret } from '../../apimachinery/generated/types.js';
import {
  CredentialParseError, createKeyring, imageRepository, keyringFromSecrets, labelMatches, registryKey, urlMatches,
} from './keyring.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function jsonSecret(name: string, auths: Record<string, unknown>): Secret {
  return { metadata: { name }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64(JSON.stringify({ auths })) } };
}

const user = (u: string): { username: string; password: string } => ({ username: u, password: `${u}-pw` });

describe('keyring: image repositories', () => {
  const cases: [string, string][] = [
    ['busybox', 'docker.io/library/busybox'],
    ['busybox:1.35', 'docker.io/library/busybox'],
    ['library/busybox@sha256:abcd', 'docker.io/library/busybox'],
    ['me/app:v1', 'docker.io/me/app'],
    ['docker.io/me/app', 'docker.io/me/app'],
    ['index.docker.io/me/app', 'docker.io/me/app'],
    ['127.0.0.1:5000/skiff/busybox:e2e', '127.0.0.1:5000/skiff/busybox'],
    ['localhost/app', 'localhost/app'],
    ['quay.io/coreos/etcd:v3', 'quay.io/coreos/etcd'],
  ];
  for (const [image, want] of cases) test(`${image} → ${want}`, () => assert.equal(imageRepository(image), want));
});

describe('keyring: registry keys and matching', () => {
  test('scheme, /v1/ and /v2/ and a bare slash are dropped', () => {
    assert.equal(registryKey('https://index.docker.io/v1/'), 'index.docker.io');
    assert.equal(registryKey('http://reg.example.com:5000/v2/'), 'reg.example.com:5000');
    assert.equal(registryKey('reg.example.com/'), 'reg.example.com');
    assert.equal(registryKey('reg.example.com/team/app'), 'reg.example.com/team/app');
  });

  const cases: [string, string, boolean][] = [
    ['quay.io', 'quay.io/coreos/etcd', true],
    ['quay.io/coreos', 'quay.io/coreos/etcd', true],
    ['quay.io/other', 'quay.io/coreos/etcd', false],
    ['*.example.com', 'reg.example.com/app', true],
    ['*.example.com', 'a.reg.example.com/app', false],
    ['*.example.com', 'example.com/app', false],
    ['reg.*.com', 'reg.example.com/app', true],
    ['reg?.example.com', 'reg1.example.com/app', true],
    ['app*.k8s.io', 'appfoo.k8s.io/x', true],
    ['reg.example.com:5000', 'reg.example.com:5000/app', true],
    ['reg.example.com:5000', 'reg.example.com/app', false],
    ['reg.example.com', 'reg.example.com:5000/app', false],
    ['127.0.0.1:5000', '127.0.0.1:5000/skiff/busybox', true],
    ['127.0.0.1:5001', '127.0.0.1:5000/skiff/busybox', false],
  ];
  for (const [key, target, want] of cases) test(`${key} ${want ? 'matches' : 'does not match'} ${target}`, () => assert.equal(urlMatches(key, target), want));

  test('label globs', () => {
    assert.ok(labelMatches('*', 'anything'));
    assert.ok(!labelMatches('a.b', 'aXb'));
    assert.ok(labelMatches('k8s*', 'k8sfoo'));
  });
});

describe('keyring: lookup', () => {
  test('most specific key first, then every other match', () => {
    const k = createKeyring([{ 'quay.io': user('host'), 'quay.io/coreos': user('path'), '*.io': user('glob') }]);
    assert.deepEqual(k.lookup('quay.io/coreos/etcd:v3').map((c) => c.username), ['path', 'host', 'glob']);
    assert.deepEqual(k.lookup('quay.io/other/x').map((c) => c.username), ['host', 'glob']);
    assert.deepEqual(k.lookup('gcr.io/x').map((c) => c.username), ['glob']);
    assert.deepEqual(k.lookup('registry.k8s.io/x').map((c) => c.username), []);
  });

  test('non-glob labels before globs; credentials of one key in secret order', () => {
    const k = createKeyring([{ '*.example.com': user('glob'), 'reg.example.com': user('a') }, { 'https://reg.example.com': user('b') }]);
    assert.deepEqual(k.lookup('reg.example.com/app').map((c) => c.username), ['a', 'b', 'glob']);
  });

  test('Docker Hub: index.docker.io, https://index.docker.io/v1/ and docker.io keys', () => {
    for (const key of ['index.docker.io', 'https://index.docker.io/v1/', 'docker.io']) {
      const k = createKeyring([{ [key]: user('hub') }]);
      for (const image of ['busybox', 'library/busybox:1', 'me/app', 'docker.io/me/app', 'index.docker.io/me/app']) {
        assert.deepEqual(k.lookup(image), [{ username: 'hub', password: 'hub-pw' }], `${key} for ${image}`);
      }
      assert.deepEqual(k.lookup('quay.io/me/app'), [], key);
      assert.deepEqual(k.lookup('127.0.0.1:5000/me/app'), [], key);
    }
  });

  test('the registry with a port', () => {
    const k = createKeyring([{ '127.0.0.1:5000': user('u') }]);
    assert.deepEqual(k.lookup('127.0.0.1:5000/skiff/busybox:e2e'), [{ username: 'u', password: 'u-pw' }]);
    assert.deepEqual(k.lookup('localhost:5000/skiff/busybox:e2e'), []);
  });
});

describe('keyring: pull secrets', () => {
  test('dockerconfigjson with auth overriding username/password', () => {
    const k = keyringFromSecrets([jsonSecret('s', { 'reg.example.com': { username: 'x', password: 'y', auth: b64('u:p:q'), email: 'e@x' } })]);
    assert.deepEqual(k.lookup('reg.example.com/app'), [{ username: 'u', password: 'p:q' }]);
  });

  test('dockerconfigjson with username/password only', () => {
    const k = keyringFromSecrets([jsonSecret('s', { 'https://reg.example.com/v2/': { username: 'u', password: 'p' } })]);
    assert.deepEqual(k.lookup('reg.example.com/app'), [{ username: 'u', password: 'p' }]);
  });

  test('legacy dockercfg', () => {
    const secret: Secret = { metadata: { name: 'old' }, type: 'kubernetes.io/dockercfg', data: { '.dockercfg': b64(JSON.stringify({ 'reg.example.com': { auth: b64('u:p') } })) } };
    assert.deepEqual(keyringFromSecrets([secret]).lookup('reg.example.com/app'), [{ username: 'u', password: 'p' }]);
  });

  test('other secret types and a type without its key are ignored', () => {
    const opaque: Secret = { metadata: { name: 'o' }, type: 'Opaque', data: { '.dockerconfigjson': b64('{"auths":{"r.io":{"auth":"dTpw"}}}') } };
    const wrongKey: Secret = { metadata: { name: 'w' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockercfg': b64('{}') } };
    assert.deepEqual(keyringFromSecrets([opaque, wrongKey]).lookup('r.io/x'), []);
  });

  test('a malformed document or auth field fails', () => {
    const bad: Secret = { metadata: { name: 'b' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64('{nope') } };
    assert.throws(() => keyringFromSecrets([bad]), CredentialParseError);
    assert.throws(() => keyringFromSecrets([jsonSecret('s', { 'r.io': { auth: b64('nocolon') } })]), /must be formatted as base64\(username:password\)/);
    assert.throws(() => keyringFromSecrets([jsonSecret('s', { 'r.io': { auth: '!!' } })]), /illegal base64/);
  });
});
