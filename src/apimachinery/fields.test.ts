import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseFieldSelector, matchesFields, escapeFieldValue, formatFieldSelector } from './fields.js';

describe('parseFieldSelector', () => {
  const cases: { sel: string; want: unknown }[] = [
    { sel: '', want: [] },
    { sel: 'a=b', want: [{ field: 'a', op: '=', value: 'b' }] },
    { sel: 'metadata.name==x,status.phase!=Running', want: [{ field: 'metadata.name', op: '=', value: 'x' }, { field: 'status.phase', op: '!=', value: 'Running' }] },
    { sel: 'a=b\\,c\\=d\\\\', want: [{ field: 'a', op: '=', value: 'b,c=d\\' }] },
    { sel: 'a=', want: [{ field: 'a', op: '=', value: '' }] },
    { sel: 'a=b,', want: [{ field: 'a', op: '=', value: 'b' }] },
  ];
  for (const c of cases) it(JSON.stringify(c.sel), () => assert.deepEqual(parseFieldSelector(c.sel), c.want));

  const errors: { sel: string; msg: string }[] = [
    { sel: 'abc', msg: "invalid selector: 'abc'; can't understand 'abc'" },
    { sel: 'a=b=c', msg: 'invalid field selector: unescaped character in value: 61' },
    { sel: 'a=b\\x', msg: 'invalid field selector: invalid escape sequence: \\x' },
    { sel: 'a=b\\', msg: 'invalid field selector: invalid escape sequence: \\' },
  ];
  for (const c of errors) {
    it(`error ${JSON.stringify(c.sel)}`, () => assert.throws(() => parseFieldSelector(c.sel), (e: unknown) => {
      assert.equal((e as { code: number }).code, 400);
      assert.equal((e as Error).message, c.msg);
      return true;
    }));
  }
});

describe('matchesFields', () => {
  const fields = { 'metadata.name': 'web', 'status.phase': 'Running' };
  const cases: { sel: string; want: boolean }[] = [
    { sel: '', want: true },
    { sel: 'metadata.name=web', want: true },
    { sel: 'metadata.name!=web', want: false },
    { sel: 'status.phase=Running,metadata.name=web', want: true },
    { sel: 'spec.nodeName=', want: true },
    { sel: 'spec.nodeName!=', want: false },
  ];
  for (const c of cases) it(c.sel, () => assert.equal(matchesFields(parseFieldSelector(c.sel), fields), c.want));
  it('escape round trip', () => {
    assert.equal(escapeFieldValue('a,b=c\\'), 'a\\,b\\=c\\\\');
    assert.equal(formatFieldSelector(parseFieldSelector('x=a\\,b')), 'x=a\\,b');
  });
});
