import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseMeminfo, parseProcStat } from './node-proc.js';

test('/proc/stat: non-idle jiffies as ns, boot time', () => {
  const text = [
    'cpu  100 20 30 5000 40 5 6 7 0 0',
    'cpu0 50 10 15 2500 20 2 3 3 0 0',
    'intr 12345',
    'btime 1700000000',
  ].join('\n');
  const s = parseProcStat(text);
  // user+nice+system+irq+softirq+steal = 168 jiffies of 10 ms.
  assert.equal(s.usageCoreNanoSeconds, 168 * 1e7);
  assert.equal(s.bootMs, 1_700_000_000_000);
});

test('/proc/meminfo: working set is total minus available', () => {
  const m = parseMeminfo('MemTotal:        8000000 kB\nMemFree:         1000000 kB\nMemAvailable:    6000000 kB\nBuffers:  1 kB\n');
  assert.equal(m.totalBytes, 8_000_000 * 1024);
  assert.equal(m.availableBytes, 6_000_000 * 1024);
  assert.equal(m.workingSetBytes, 2_000_000 * 1024);
  assert.equal(m.usageBytes, 7_000_000 * 1024);
});

test('the real /proc parses to plausible figures', () => {
  const m = parseMeminfo(readText('/proc/meminfo'));
  assert.ok(m.totalBytes > 0 && m.workingSetBytes > 0 && m.workingSetBytes < m.totalBytes);
  const s = parseProcStat(readText('/proc/stat'));
  assert.ok(s.usageCoreNanoSeconds > 0 && s.bootMs > 0 && s.bootMs < Date.now());
});

function readText(p: string): string {
  return readFileSync(p, 'utf8');
}
