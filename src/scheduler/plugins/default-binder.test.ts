import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../apimachinery/generated/types.js';
import { CycleState } from '../framework/cycle-state.js';
import { create, NAME } from './default-binder.js';
import { makePod } from './testing.js';

describe('DefaultBinder', () => {
  const cases: { name: string; fail: boolean; ok: boolean }[] = [
    { name: 'binds through the API', fail: false, ok: true },
    { name: 'an API failure is an error status', fail: true, ok: false },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const calls: string[] = [];
      const api = {
        bindPod: async (p: Pod, n: string) => {
          if (c.fail) throw new Error('conflict');
          calls.push(`${p.metadata?.name}->${n}`);
        },
        deletePod: async () => {},
      };
      const plugin = create({ api });
      assert.equal(plugin.name, NAME);
      const s = await plugin.bind(new CycleState(), makePod('p'), 'n1');
      assert.equal(s.isSuccess(), c.ok);
      if (c.ok) assert.deepEqual(calls, ['p->n1']);
      else assert.equal(s.message(), 'conflict');
    });
  }
});
