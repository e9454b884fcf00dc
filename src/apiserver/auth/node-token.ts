/**
 * The node-join token, in k3s's "secure" format: `K10<sha256 hex of the CA certificate PEM>::node:<secret>`.
 * The hash lets a joining agent check that the server it reached holds the cluster CA before it
 * sends the secret; the secret proves to the server that the agent may join.
 *
 * The server keeps it in `<data-dir>/server/node-token` (mode 0600), created once with a random
 * secret; the hash is recomputed from the CA on every start.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';

export const NODE_TOKEN_USER = 'node';
const PREFIX = 'K10';

export interface NodeToken {
  /** sha256 hex of the CA bundle PEM. */
  caHash: string;
  username: string;
  secret: string;
}

export function nodeTokenPath(dataDir: string): string {
  return join(dataDir, 'server', 'node-token');
}

export function caCertHash(caCertPem: string): string {
  return createHash('sha256').update(caCertPem, 'utf8').digest('hex');
}

export function formatNodeToken(t: NodeToken): string {
  return `${PREFIX}${t.caHash}::${t.username}:${t.secret}`;
}

/** Parses a full token; throws a message meant for the person who typed it. */
export function parseNodeToken(text: string): NodeToken {
  const m = /^K10([0-9a-f]{64})::([^:\s]+):(\S+)$/.exec(text.trim());
  if (!m) throw new Error('the token is not a Skiff node token (expected K10<ca-hash>::node:<secret>, as in <server-data-dir>/server/node-token)');
  return { caHash: m[1]!, username: m[2]!, secret: m[3]! };
}

/** Reads the server's node token, creating its secret on first use. */
export function ensureNodeToken(dataDir: string, caCertPem: string): NodeToken & { path: string; text: string } {
  const path = nodeTokenPath(dataDir);
  let secret = '';
  if (existsSync(path)) {
    try {
      secret = parseNodeToken(readFileSync(path, 'utf8')).secret;
    } catch {
      secret = '';
    }
  }
  if (!secret) secret = randomBytes(24).toString('hex');
  const token = { caHash: caCertHash(caCertPem), username: NODE_TOKEN_USER, secret };
  const text = formatNodeToken(token);
  mkdirSync(join(dataDir, 'server'), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${text}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { ...token, path, text };
}

/** Constant-time comparison of a presented `user:secret` with the token's. */
export function nodeCredentialsMatch(token: NodeToken, username: string, secret: string): boolean {
  const want = Buffer.from(`${token.username}:${token.secret}`, 'utf8');
  const got = Buffer.from(`${username}:${secret}`, 'utf8');
  return want.length === got.length && timingSafeEqual(want, got);
}
