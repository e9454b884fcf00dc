import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCriLogLine, selectEntries, streamCriLog } from './container-logs.js';
import type { CriLogEntry } from './container-logs.js';

const LOG = [
  '2024-05-01T10:00:00.000000001Z stdout F one',
  '2024-05-01T10:00:01.5Z stderr F two',
  '2024-05-01T10:00:02Z stdout P thr',
  '2024-05-01T10:00:02.1Z stdout F ee',
  '2024-05-01T10:00:03Z stdout F ',
  '',
].join('\n');

function entries(): CriLogEntry[] {
  return LOG.split('\n').map(parseCriLogLine).filter((e): e is CriLogEntry => e !== undefined);
}

async function collect(path: string, opts: Parameters<typeof streamCriLog>[1]): Promise<string> {
  let out = '';
  await streamCriLog(path, opts, { write: async (t) => { out += t; return true; } });
  return out;
}

test('CRI log lines parse; partial lines join', () => {
  assert.deepEqual(parseCriLogLine('2024-05-01T10:00:00.000000001Z stdout F hello world'), {
    time: '2024-05-01T10:00:00.000000001Z', ms: Date.parse('2024-05-01T10:00:00Z'), stream: 'stdout', partial: false, text: 'hello world',
  });
  assert.equal(parseCriLogLine('garbage'), undefined);
  assert.equal(entries().length, 5);
});

test('tail counts whole lines; since filters by time', () => {
  assert.deepEqual(selectEntries(entries(), { tailLines: 2 }).map((e) => e.text), ['thr', 'ee', '']);
  assert.deepEqual(selectEntries(entries(), { tailLines: 0 }), []);
  assert.deepEqual(selectEntries(entries(), { sinceMs: Date.parse('2024-05-01T10:00:01Z') }).map((e) => e.text), ['two', 'thr', 'ee', '']);
});

test('plain text, timestamps, limitBytes and follow', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-logs-'));
  try {
    const path = join(dir, '0.log');
    writeFileSync(path, LOG);
    assert.equal(await collect(path, {}), 'one\ntwo\nthree\n\n');
    assert.equal(await collect(path, { timestamps: true, tailLines: 1 }), '2024-05-01T10:00:03Z \n');
    assert.equal(await collect(path, { limitBytes: 5 }), 'one\nt');
    let running = true;
    let out = '';
    const done = streamCriLog(path, { follow: true, tailLines: 1 }, { write: async (t) => { out += t; return true; } }, { running: async () => running, pollMs: 20 });
    await new Promise((r) => setTimeout(r, 50));
    appendFileSync(path, '2024-05-01T10:00:04Z stdout F four\n2024-05-01T10:00:05Z stdout F fi');
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(out, '\nfour\n');
    appendFileSync(path, 've\n');
    running = false;
    await done;
    assert.equal(out, '\nfour\nfive\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
