import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuantity, tryParseQuantity, canonicalQuantity, compareQuantities, addQuantities, milliValue } from './quantity.js';

describe('quantity canonical form', () => {
  const cases: [string | number, string][] = [
    ['100m', '100m'], ['0.1', '100m'], ['1Gi', '1Gi'], ['1024Mi', '1Gi'], ['1.5Gi', '1536Mi'],
    ['1e3', '1e3'], ['1000', '1k'], ['1500', '1500'], ['0.5', '500m'], ['1k', '1k'], ['12e6', '12e6'],
    ['1E3', '1e3'], ['0', '0'], ['512', '512'], ['100Ki', '100Ki'], ['1000Mi', '1000Mi'], ['1023', '1023'],
    ['0.5Gi', '512Mi'], ['-1', '-1'], ['1n', '1n'], ['0.1n', '1n'], ['1u', '1u'], ['2000m', '2'],
    ['+5', '5'], ['.5', '500m'], [5, '5'], [0.25, '250m'], ['100M', '100M'], ['1.5', '1500m'],
    ['10Ki', '10Ki'], ['1.5Ki', '1536'], ['1e-3', '1e-3'],
  ];
  for (const [input, want] of cases) it(`${input} → ${want}`, () => assert.equal(canonicalQuantity(input), want));
});

describe('quantity parse errors', () => {
  for (const bad of ['', 'abc', '1K', '1 Gi', '1.2.3', 'Gi', '1e', '--1', '1Gib', ' 1']) {
    it(JSON.stringify(bad), () => assert.equal(tryParseQuantity(bad), undefined));
  }
  it('throws 400', () => assert.throws(() => parseQuantity('x'), { code: 400 }));
});

describe('quantity arithmetic', () => {
  const cases: { name: string; got: () => unknown; want: unknown }[] = [
    { name: 'cmp less', got: () => compareQuantities('100m', '1'), want: -1 },
    { name: 'cmp equal across formats', got: () => compareQuantities('1Ki', '1024'), want: 0 },
    { name: 'cmp greater', got: () => compareQuantities('1G', '1Gi'), want: -1 },
    { name: 'add milli', got: () => addQuantities('100m', '900m'), want: '1' },
    { name: 'add binary', got: () => addQuantities('1Gi', '512Mi'), want: '1536Mi' },
    { name: 'add to zero takes format', got: () => addQuantities('0', '1Gi'), want: '1Gi' },
    { name: 'milli of 1', got: () => milliValue('1'), want: 1000 },
    { name: 'milli of 100m', got: () => milliValue('100m'), want: 100 },
    { name: 'milli rounds up', got: () => milliValue('0.0001'), want: 1 },
    { name: 'value rounds up', got: () => parseQuantity('1500m').value(), want: 2 },
    { name: 'value of 1Gi', got: () => parseQuantity('1Gi').value(), want: 1073741824 },
    { name: 'sub', got: () => parseQuantity('1').sub(parseQuantity('250m')).toString(), want: '750m' },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(c.got(), c.want));
});
