import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Secret } from '../../apimachinery/generated/types.js';
import { podPullSecrets } from './pull-secrets.js';

test('pull secrets: read from the pod namespace; missing ones named in one warning event, empty names skipped', async () => {
  const events: string[] = [];
  const stored: Record<string, Secret> = { 'team/regcred': { metadata: { name: 'regcred', namespace: 'team' }, type: 'kubernetes.io/dockerconfigjson' } };
  const lookup = {
    async secret(ns: string, name: string): Promise<Secret | undefined> {
      if (name === 'boom') throw new Error('connection refused');
      return stored[`${ns}/${name}`];
    },
  };
  const recorder = { event: (ref: { name?: string; fieldPath?: string }, type: string, reason: string, message: string) => events.push(`${ref.name} ${ref.fieldPath ?? '-'} ${type} ${reason} ${message}`) };
  const pod: Pod = {
    metadata: { name: 'p', namespace: 'team', uid: 'u' },
    spec: { containers: [], imagePullSecrets: [{ name: 'regcred' }, { name: '' }, { name: 'gone' }, { name: 'boom' }] },
  };
  const got = await podPullSecrets(pod, { lookup, recorder });
  assert.deepEqual(got.map((s) => s.metadata?.name), ['regcred']);
  assert.deepEqual(events, [
    'p - Warning FailedToRetrieveImagePullSecret Unable to retrieve some image pull secrets (gone, boom); attempting to pull the image may not succeed.',
  ]);
  events.length = 0;
  assert.deepEqual(await podPullSecrets({ metadata: { name: 'q' }, spec: { containers: [] } }, { lookup, recorder }), []);
  assert.deepEqual(events, []);
});
