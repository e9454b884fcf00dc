/**
 * Service account tokens: ES256 JWTs issued by the TokenRequest API (`serviceaccounts/<name>/token`)
 * and accepted as bearer tokens. The signing key lives in `<data-dir>/tls/service-account.key` and
 * survives restarts, so issued tokens stay valid.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TokenAuthenticator, UserInfo } from './authenticator.js';

export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface ServiceAccountKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Key id: a hash of the public key, as upstream. */
  kid: string;
}

export function loadOrCreateServiceAccountKeys(dataDir: string): ServiceAccountKeys {
  const dir = join(dataDir, 'tls');
  const file = join(dir, 'service-account.key');
  let privateKey: KeyObject;
  if (existsSync(file)) {
    privateKey = createPrivateKey(readFileSync(file));
  } else {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const kid = createHash('sha256').update(der).digest('base64url');
  return { privateKey, publicKey, kid };
}

function b64(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

export interface TokenClaims {
  namespace: string;
  name: string;
  uid: string;
  audiences: string[];
  expirationSeconds: number;
  boundObject?: { kind: string; name: string; uid: string };
}

export interface IssuedToken {
  token: string;
  expirationTimestamp: string;
}

export interface TokenIssuer {
  issue(c: TokenClaims): IssuedToken;
}

export function createTokenIssuer(keys: ServiceAccountKeys, now: () => number = Date.now): TokenIssuer {
  return {
    issue(c) {
      const iat = Math.floor(now() / 1000);
      const exp = iat + c.expirationSeconds;
      const k8s: Record<string, unknown> = { namespace: c.namespace, serviceaccount: { name: c.name, uid: c.uid } };
      if (c.boundObject) k8s[c.boundObject.kind === 'Pod' ? 'pod' : c.boundObject.kind.toLowerCase()] = { name: c.boundObject.name, uid: c.boundObject.uid };
      const payload = {
        aud: c.audiences, exp, iat, nbf: iat, iss: SERVICE_ACCOUNT_ISSUER, jti: randomUUID(),
        'kubernetes.io': k8s, sub: `system:serviceaccount:${c.namespace}:${c.name}`,
      };
      const signingInput = `${b64({ alg: 'ES256', kid: keys.kid })}.${b64(payload)}`;
      const sig = sign('sha256', Buffer.from(signingInput), { key: keys.privateKey, dsaEncoding: 'ieee-p1363' });
      return { token: `${signingInput}.${sig.toString('base64url')}`, expirationTimestamp: new Date(exp * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') };
    },
  };
}

interface Payload {
  iss?: unknown; sub?: unknown; exp?: unknown; nbf?: unknown; aud?: unknown;
  'kubernetes.io'?: { namespace?: unknown; serviceaccount?: { name?: unknown; uid?: unknown } };
}

/** Accepts tokens we issued (signature, issuer, expiry and, when given, audience). */
export function createServiceAccountTokenAuthenticator(keys: ServiceAccountKeys, opts: { audiences?: string[]; now?: () => number } = {}): TokenAuthenticator {
  const now = opts.now ?? Date.now;
  return (token: string): UserInfo | undefined => {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    let payload: Payload;
    try {
      const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as { alg?: unknown; kid?: unknown };
      if (header.alg !== 'ES256' || header.kid !== keys.kid) return undefined;
      const ok = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), { key: keys.publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(parts[2], 'base64url'));
      if (!ok) return undefined;
      payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Payload;
    } catch {
      return undefined;
    }
    const t = Math.floor(now() / 1000);
    if (payload.iss !== SERVICE_ACCOUNT_ISSUER || typeof payload.exp !== 'number' || payload.exp < t) return undefined;
    if (typeof payload.nbf === 'number' && payload.nbf > t + 60) return undefined;
    if (opts.audiences && Array.isArray(payload.aud) && !payload.aud.some((a) => opts.audiences?.includes(String(a)))) return undefined;
    const k8s = payload['kubernetes.io'];
    const ns = k8s?.namespace;
    const name = k8s?.serviceaccount?.name;
    if (typeof ns !== 'string' || typeof name !== 'string') return undefined;
    const uid = k8s?.serviceaccount?.uid;
    return {
      username: `system:serviceaccount:${ns}:${name}`,
      uid: typeof uid === 'string' ? uid : undefined,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`],
    };
  };
}
