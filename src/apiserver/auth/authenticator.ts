/**
 * Request authentication: who is calling. Tried in order, the first that recognises the request
 * wins, as upstream's union authenticator does:
 *
 * 1. an x509 client certificate signed by the cluster CA (CN → user, O → groups);
 * 2. a bearer token (`Authorization: Bearer T`, or the WebSocket sub-protocol
 *    `base64url.bearer.authorization.k8s.io.<T>`) from the static token file, then from any
 *    extra token authenticators (service account tokens, bootstrap tokens, ...).
 *
 * Every authenticated user also gets the group `system:authenticated`. `undefined` means
 * unauthenticated; the API server answers 401 except on its open endpoints.
 */
import { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { loadTokenFile } from './token-file.js';
import type { TokenUser } from './token-file.js';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export interface Authenticator {
  authenticate(req: IncomingMessage): UserInfo | undefined;
}

/** Looks a bearer token up; `undefined` when the token is not one it knows. */
export type TokenAuthenticator = (token: string) => UserInfo | undefined;

export interface AuthenticatorOptions {
  /** Upstream `--token-auth-file` CSV; read once at start. */
  tokenAuthFile?: string;
  /** PEM bundle of CAs whose client certificates are trusted. */
  caCertPem: string;
  /** Consulted after the static tokens, in order. */
  tokenAuthenticators?: TokenAuthenticator[];
}

export const GROUP_AUTHENTICATED = 'system:authenticated';
export const WEBSOCKET_BEARER_PROTOCOL_PREFIX = 'base64url.bearer.authorization.k8s.io.';

export function createAuthenticator(opts: AuthenticatorOptions): Authenticator {
  const cas = parseCaBundle(opts.caCertPem);
  const staticTokens: Map<string, TokenUser> = opts.tokenAuthFile
    ? loadTokenFile(opts.tokenAuthFile)
    : new Map();
  const extraTokens = opts.tokenAuthenticators ?? [];
  /** A TLS connection's peer never changes, so its verdict is kept per socket. */
  const certUsers = new WeakMap<object, UserInfo | null>();

  function fromCertificate(req: IncomingMessage): UserInfo | undefined {
    const socket = req.socket as Partial<TLSSocket>;
    if (typeof socket.getPeerCertificate !== 'function') return undefined;
    const cached = certUsers.get(req.socket);
    if (cached !== undefined) return cached ?? undefined;
    const user = userFromPeer(socket as TLSSocket, cas);
    certUsers.set(req.socket, user ?? null);
    return user;
  }

  function fromToken(req: IncomingMessage): UserInfo | undefined {
    const token = bearerToken(req);
    if (token === undefined) return undefined;
    const entry = staticTokens.get(token);
    if (entry) {
      return withAuthenticatedGroup({
        username: entry.username,
        uid: entry.uid || undefined,
        groups: entry.groups,
      });
    }
    for (const lookup of extraTokens) {
      const user = lookup(token);
      if (user) return withAuthenticatedGroup(user);
    }
    return undefined;
  }

  return {
    authenticate(req) {
      return fromCertificate(req) ?? fromToken(req);
    },
  };
}

/**
 * The bearer token of a request, as upstream reads it: `Authorization: Bearer <token>` (scheme
 * case-insensitive), else a WebSocket sub-protocol carrying the token base64url-encoded.
 */
export function bearerToken(req: Pick<IncomingMessage, 'headers'>): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const parts = auth.trim().split(' ');
    if (parts.length >= 2 && parts[0]!.toLowerCase() === 'bearer' && parts[1] !== '') {
      return parts[1];
    }
  }
  const protocols = req.headers['sec-websocket-protocol'];
  if (typeof protocols === 'string') {
    for (const raw of protocols.split(',')) {
      const protocol = raw.trim();
      if (!protocol.startsWith(WEBSOCKET_BEARER_PROTOCOL_PREFIX)) continue;
      const encoded = protocol.slice(WEBSOCKET_BEARER_PROTOCOL_PREFIX.length);
      const token = Buffer.from(encoded, 'base64url').toString('utf8');
      if (token !== '') return token;
    }
  }
  return undefined;
}

/** Verifies the peer's leaf certificate against our CAs and maps its subject to a user. */
function userFromPeer(socket: TLSSocket, cas: X509Certificate[]): UserInfo | undefined {
  const peer = socket.getPeerCertificate(false);
  if (!peer || !peer.raw || peer.raw.length === 0) return undefined;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(peer.raw);
  } catch {
    return undefined;
  }
  if (!verifiedByCa(cert, cas)) return undefined;
  if (!hasClientAuthUsage(cert)) return undefined;

  const cn = firstValue(peer.subject?.CN);
  if (!cn) return undefined;
  const groups = allValues(peer.subject?.O);
  return withAuthenticatedGroup({ username: cn, groups });
}

function verifiedByCa(cert: X509Certificate, cas: X509Certificate[]): boolean {
  const now = Date.now();
  if (!(Date.parse(cert.validFrom) <= now && now < Date.parse(cert.validTo))) return false;
  if (cert.ca) return false;
  return cas.some((ca) => {
    try {
      return cert.checkIssued(ca) && cert.verify(ca.publicKey);
    } catch {
      return false;
    }
  });
}

/** Without an extended key usage extension a certificate may be used for anything. */
function hasClientAuthUsage(cert: X509Certificate): boolean {
  const usages = cert.keyUsage;
  if (!usages || usages.length === 0) return true;
  return usages.includes('1.3.6.1.5.5.7.3.2') || usages.includes('2.5.29.37.0');
}

function firstValue(v: string | string[] | undefined): string | undefined {
  if (Array.isArray(v)) return v[0];
  return v;
}

function allValues(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? [...v] : [v];
}

function withAuthenticatedGroup(user: UserInfo): UserInfo {
  if (user.groups.includes(GROUP_AUTHENTICATED)) return user;
  return { ...user, groups: [...user.groups, GROUP_AUTHENTICATED] };
}

export function parseCaBundle(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new X509Certificate(block));
}
