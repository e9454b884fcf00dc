import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseLabelSelector, labelSelectorFromObject, selectorFromSet, formatLabelSelector } from './labels.js';

describe('parseLabelSelector matching', () => {
  const cases: { sel: string; labels: Record<string, string> | undefined; want: boolean }[] = [
    { sel: '', labels: { a: 'b' }, want: true },
    { sel: '', labels: undefined, want: true },
    { sel: 'a=b', labels: { a: 'b' }, want: true },
    { sel: 'a==b', labels: { a: 'c' }, want: false },
    { sel: 'a!=b', labels: {}, want: true },
    { sel: 'a!=b', labels: { a: 'b' }, want: false },
    { sel: 'a in (x, y)', labels: { a: 'y' }, want: true },
    { sel: 'a notin (x,y)', labels: { a: 'z' }, want: true },
    { sel: 'a notin (x,y)', labels: { a: 'x' }, want: false },
    { sel: 'a', labels: { a: '' }, want: true },
    { sel: '!a', labels: { a: '' }, want: false },
    { sel: '!a', labels: { b: '' }, want: true },
    { sel: 'a=b,c!=d,e in (x,y),!f,g', labels: { a: 'b', e: 'x', g: '1' }, want: true },
    { sel: 'a=b,c!=d,e in (x,y),!f,g', labels: { a: 'b', e: 'x', g: '1', f: '' }, want: false },
    { sel: 'n>3', labels: { n: '4' }, want: true },
    { sel: 'n<3', labels: { n: '4' }, want: false },
    { sel: 'n>3', labels: { n: 'x' }, want: false },
    { sel: 'a=', labels: { a: '' }, want: true },
    { sel: 'a in ()', labels: { a: '' }, want: true },
    { sel: 'env in (in, notin)', labels: { env: 'notin' }, want: true },
    { sel: 'example.com/app=web', labels: { 'example.com/app': 'web' }, want: true },
  ];
  for (const c of cases) {
    it(`${JSON.stringify(c.sel)} ${JSON.stringify(c.labels)}`, () => assert.equal(parseLabelSelector(c.sel).matches(c.labels), c.want));
  }
});

describe('parseLabelSelector errors', () => {
  const cases: { sel: string; msg: string }[] = [
    { sel: 'a in', msg: "unable to parse requirement: found '' expected: '('" },
    { sel: 'a=b c', msg: "found 'c', expected: ',' or 'end of string'" },
    { sel: 'a=b,', msg: "found '', expected: identifier after ','" },
    { sel: '=b', msg: "found '=', expected: !, identifier, or 'end of string'" },
    { sel: 'a in (x', msg: "unable to parse requirement: found '', expected: ',' or ')'" },
    { sel: 'x@=b', msg: 'unable to parse requirement: <nil>: Invalid value: "x@": name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyName\',  or \'my.name\',  or \'123-abc\', regex used for validation is \'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\')' },
    { sel: 'a=b@', msg: 'unable to parse requirement: values[0][a]: Invalid value: "b@": a valid label must be an empty string or consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyValue\',  or \'my_value\',  or \'12345\', regex used for validation is \'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\')' },
    { sel: 'a>b', msg: 'unable to parse requirement: values[0]: Invalid value: "b": for \'Gt\', \'Lt\' operators, the value must be an integer' },
  ];
  for (const c of cases) {
    it(c.sel, () => assert.throws(() => parseLabelSelector(c.sel), (e: unknown) => {
      assert.equal((e as { code: number }).code, 400);
      assert.equal((e as Error).message, c.msg);
      return true;
    }));
  }
});

describe('labelSelectorFromObject', () => {
  it('nil selects nothing, empty selects everything', () => {
    assert.equal(labelSelectorFromObject(undefined).matches({}), false);
    assert.equal(labelSelectorFromObject({}).matches({ a: 'b' }), true);
  });
  it('matchLabels and matchExpressions', () => {
    const s = labelSelectorFromObject({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['fe', 'be'] }, { key: 'x', operator: 'DoesNotExist' }] });
    assert.equal(s.matches({ app: 'web', tier: 'fe' }), true);
    assert.equal(s.matches({ app: 'web', tier: 'fe', x: '1' }), false);
    assert.equal(s.toString(), 'app=web,tier in (be,fe),!x');
  });
  it('bad operator', () => {
    assert.throws(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Foo' }] }), /"Foo" is not a valid label selector operator/);
  });
  it('set + format', () => {
    assert.equal(selectorFromSet({ b: '2', a: '1' }).toString(), 'a=1,b=2');
    assert.equal(formatLabelSelector({ matchLabels: { app: 'x' } }), 'app=x');
  });
});
