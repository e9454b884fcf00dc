import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, ObjectReference, Pod, Secret } from '../apimachinery/generated/types.js';
import type { PullAuth } from './credentials/keyring.js';
import { createBackoff } from './backoff.js';
import { createImageManager } from './image-manager.js';
import { CriError } from './runtime/cri/cri-client.js';

function setup(present: Set<string>) {
  let clock = 1_000_000;
  const events: string[] = [];
  const pulled: string[] = [];
  const manager = createImageManager({
    now: () => clock,
    backoff: createBackoff({ initialMs: 10_000, maxMs: 300_000, now: () => clock }),
    recorder: { event: (_ref: ObjectReference, type: string, reason: string, message: string) => events.push(`${type} ${reason} ${message}`) },
    puller: {
      async imagePresent(image: string) { return present.has(image) ? 'sha256:present' : undefined; },
      async pullImage(image: string) {
        pulled.push(image);
        clock += 1_234;
        if (image.includes('missing')) throw new CriError('NotFound', 5, 'PullImage', `failed to pull and unpack image "${image}": not found`);
        present.add(image);
        return 'sha256:new';
      },
      async imageStatus() { return { size: 4242 }; },
    },
  });
  const pod: Pod = { metadata: { name: 'p', namespace: 'default', uid: 'u1' }, spec: { containers: [] } };
  const ensure = (c: Partial<Container>) => manager.ensureImageExists(pod, { name: 'main', ...c }, { kind: 'Pod', name: 'p' });
  return { events, pulled, ensure, advance: (ms: number) => { clock += ms; } };
}

test('image manager: present images, Never, pulls with events', async () => {
  const s = setup(new Set(['busybox:1.35']));
  assert.deepEqual(await s.ensure({ image: 'busybox:1.35' }), { ok: true, imageRef: 'sha256:present' });
  assert.equal(s.events.pop(), 'Normal Pulled Container image "busybox:1.35" already present on machine');
  const never = await s.ensure({ image: 'other:1', imagePullPolicy: 'Never' });
  assert.equal(never.ok ? '' : `${never.reason} ${never.message}`, 'ErrImageNeverPull Container image "other:1" is not present with pull policy of Never');
  assert.deepEqual(s.events.splice(-2), [
    'Warning ErrImageNeverPull Container image "other:1" is not present with pull policy of Never', 'Warning Failed Error: ErrImageNeverPull',
  ]);
  assert.deepEqual(await s.ensure({ image: 'busybox:1.35', imagePullPolicy: 'Always' }), { ok: true, imageRef: 'sha256:new' });
  assert.deepEqual(s.events.splice(0), [
    'Normal Pulling Pulling image "busybox:1.35"',
    'Normal Pulled Successfully pulled image "busybox:1.35" in 1.234s (1.234s including waiting). Image size: 4242 bytes.',
  ]);
  const bad = await s.ensure({ image: 'Bad Name' });
  assert.equal(bad.ok ? '' : bad.reason, 'InvalidImageName');
  assert.deepEqual(s.pulled, ['busybox:1.35']);
});

test('image manager: a failed pull is ErrImagePull, then ImagePullBackOff until the back-off ends', async () => {
  const s = setup(new Set());
  const image = 'reg.local/app:missing';
  const first = await s.ensure({ image });
  assert.equal(first.ok, false);
  if (first.ok) return;
  assert.equal(first.reason, 'ErrImagePull');
  assert.equal(first.message, `rpc error: code = NotFound desc = failed to pull and unpack image "${image}": not found`);
  assert.deepEqual(s.events.slice(-2), [`Warning Failed Failed to pull image "${image}": ${first.message}`, 'Warning Failed Error: ErrImagePull']);
  // Until the failure has stood for 10 s, syncs get the same answer and no new events.
  const events = s.events.length;
  assert.deepEqual(await s.ensure({ image }), first);
  assert.equal(s.events.length, events);
  s.advance(10_000);
  // The back-off (10 s) has passed: pull again, fail, the back-off doubles to 20 s.
  const second = await s.ensure({ image });
  assert.equal(second.ok ? '' : second.reason, 'ErrImagePull');
  assert.equal(s.pulled.length, 2);
  s.advance(10_000);
  const third = await s.ensure({ image });
  assert.deepEqual(third.ok ? undefined : [third.reason, third.message],
    ['ImagePullBackOff', `Back-off pulling image "${image}": ErrImagePull: ${first.message}`]);
  assert.deepEqual(s.events.slice(-2), [`Normal BackOff Back-off pulling image "${image}"`, 'Warning Failed Error: ImagePullBackOff']);
  assert.equal(s.pulled.length, 2);
});

test('image manager: pull secrets give credentials, each matching one tried until a pull succeeds', async () => {
  const clock = 1_000_000;
  const calls: string[] = [];
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const secret = (name: string, auths: Record<string, unknown>): Secret => ({
    metadata: { name }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64(JSON.stringify({ auths })) },
  });
  let secrets: Secret[] = [];
  const manager = createImageManager({
    now: () => clock,
    backoff: createBackoff({ initialMs: 10_000, maxMs: 300_000, now: () => clock }),
    recorder: { event: () => undefined },
    pullSecrets: async () => secrets,
    puller: {
      async imagePresent() { return undefined; },
      async pullImage(image: string, auth?: PullAuth) {
        calls.push(`${image} ${auth ? `${auth.username}:${auth.password}` : '-'}`);
        if (auth?.password !== 'good') throw new CriError('Internal', 2, 'PullImage', `failed to pull "${image}": 401 Unauthorized`);
        return 'sha256:ok';
      },
    },
  });
  const pod = (uid: string): Pod => ({ metadata: { name: 'p', namespace: 'default', uid }, spec: { containers: [] } });
  const ensure = (uid: string, image: string) => manager.ensureImageExists(pod(uid), { name: 'main', image }, { kind: 'Pod', name: 'p' });

  secrets = [secret('a', { 'reg.local': { username: 'u', password: 'bad' } }), secret('b', { 'https://reg.local/team': { auth: b64('v:good') } })];
  assert.deepEqual(await ensure('u1', 'reg.local/team/app:1'), { ok: true, imageRef: 'sha256:ok' });
  assert.deepEqual(calls.splice(0), ['reg.local/team/app:1 v:good']);

  assert.deepEqual(await ensure('u2', 'other.local/app:1'), { ok: false, reason: 'ErrImagePull', message: 'rpc error: code = Unknown desc = failed to pull "other.local/app:1": 401 Unauthorized', retryAt: clock + 10_000 });
  assert.deepEqual(calls.splice(0), ['other.local/app:1 -']);

  secrets = [secret('a', { 'reg.local': { username: 'u', password: 'bad' } }), secret('c', { 'reg.local': { username: 'w', password: 'worse' } })];
  const failed = await ensure('u3', 'reg.local/app:1');
  assert.equal(failed.ok ? '' : failed.message, 'rpc error: code = Unknown desc = failed to pull "reg.local/app:1": 401 Unauthorized');
  assert.deepEqual(calls.splice(0), ['reg.local/app:1 u:bad', 'reg.local/app:1 w:worse']);

  secrets = [{ metadata: { name: 'broken' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64('{') } }];
  const broken = await ensure('u4', 'reg.local/app:1');
  assert.equal(broken.ok ? '' : broken.reason, 'ErrImagePull');
  assert.deepEqual(calls, []);
});
