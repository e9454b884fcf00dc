/**
 * The server's node-join token (format in src/client/node-join.ts), kept in
 * `<data-dir>/server/node-token` (mode 0600): created once with a random secret; the CA hash is
 * recomputed on every start.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeToken } from '../../client/node-join.js';
import { NODE_TOKEN_USER, caCertHash, formatNodeToken, parseNodeToken } from '../../client/node-join.js';

export function nodeTokenPath(dataDir: string): string {
  return join(dataDir, 'server', 'node-token');
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
