import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bearerToken, createAuthenticator } from './authenticator.js';
import { TokenFileError, parseCsv, parseTokenFile } from './token-file.js';

describe('parseTokenFile', () => {
  const cases: Array<{ name: string; text: string; want: Record<string, { username: string; uid: string; groups: string[] }> }> = [
    {
      name: 'three columns, no groups',
      text: 'abc,alice,1001\n',
      want: { abc: { username: 'alice', uid: '1001', groups: [] } },
    },
    {
      name: 'quoted group list',
      text: 'abc,alice,1001,"system:masters,dev"\n',
      want: { abc: { username: 'alice', uid: '1001', groups: ['system:masters', 'dev'] } },
    },
    {
      name: 'unquoted single group, extra columns ignored',
      text: 'abc,alice,1001,ops,ignored,"also, ignored"',
      want: { abc: { username: 'alice', uid: '1001', groups: ['ops'] } },
    },
    {
      name: 'blank lines, comments and CRLF',
      text: '# tokens\r\n\r\nt1,u1,id1\r\n\n# more\nt2,u2,id2,"g1,,g2"\r\n',
      want: {
        t1: { username: 'u1', uid: 'id1', groups: [] },
        t2: { username: 'u2', uid: 'id2', groups: ['g1', 'g2'] },
      },
    },
    {
      name: 'escaped quote inside a quoted field',
      text: '"to""ken",bob,"",""\n',
      want: { 'to"ken': { username: 'bob', uid: '', groups: [] } },
    },
    {
      name: 'empty token skipped, duplicate keeps the last',
      text: ',nobody,0\nx,first,1\nx,second,2\n',
      want: { x: { username: 'second', uid: '2', groups: [] } },
    },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      assert.deepEqual(Object.fromEntries(parseTokenFile(tc.text)), tc.want);
    });
  }

  it('rejects rows with fewer than three columns, naming the line', () => {
    assert.throws(() => parseTokenFile('a,b,c\n\nonly,two\n', 'tokens.csv'), (err: unknown) => {
      assert.ok(err instanceof TokenFileError);
      assert.match(err.message, /tokens\.csv:3: must have at least 3 columns/);
      return true;
    });
  });

  it('rejects an unterminated quote', () => {
    assert.throws(() => parseTokenFile('a,b,"c\n'), TokenFileError);
  });

  it('quoted fields may span lines', () => {
    assert.deepEqual(parseCsv('a,"b\nc",d\ne,f,g').map((r) => r.fields), [['a', 'b\nc', 'd'], ['e', 'f', 'g']]);
  });
});

function fakeRequest(headers: Record<string, string>): IncomingMessage {
  return { headers, socket: {} } as unknown as IncomingMessage;
}

describe('bearer token authentication', () => {
  it('reads Authorization and the WebSocket sub-protocol', () => {
    assert.equal(bearerToken(fakeRequest({ authorization: 'Bearer abc' })), 'abc');
    assert.equal(bearerToken(fakeRequest({ authorization: 'bearer abc' })), 'abc');
    assert.equal(bearerToken(fakeRequest({ authorization: 'Basic abc' })), undefined);
    assert.equal(bearerToken(fakeRequest({ authorization: 'Bearer ' })), undefined);
    const proto = `v5.channel.k8s.io, base64url.bearer.authorization.k8s.io.${Buffer.from('tok').toString('base64url')}`;
    assert.equal(bearerToken(fakeRequest({ 'sec-websocket-protocol': proto })), 'tok');
  });

  it('authenticates tokens from the file and adds system:authenticated', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-token-'));
    try {
      const file = path.join(dir, 'tokens.csv');
      await writeFile(file, 'secret,alice,u-1,"dev,ops"\n');
      const auth = createAuthenticator({
        tokenAuthFile: file,
        caCertPem: '',
        tokenAuthenticators: [(t) => (t === 'sa' ? { username: 'system:serviceaccount:default:x', groups: ['system:serviceaccounts'] } : undefined)],
      });
      assert.deepEqual(auth.authenticate(fakeRequest({ authorization: 'Bearer secret' })), {
        username: 'alice',
        uid: 'u-1',
        groups: ['dev', 'ops', 'system:authenticated'],
      });
      assert.deepEqual(auth.authenticate(fakeRequest({ authorization: 'Bearer sa' }))?.groups, [
        'system:serviceaccounts',
        'system:authenticated',
      ]);
      assert.equal(auth.authenticate(fakeRequest({ authorization: 'Bearer wrong' })), undefined);
      assert.equal(auth.authenticate(fakeRequest({})), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
