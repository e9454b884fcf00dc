/**
 * Registry credentials from image pull secrets, matched to images as upstream's
 * `pkg/credentialprovider` keyring does:
 *
 * - a secret of type `kubernetes.io/dockerconfigjson` (`.dockerconfigjson`, `{"auths": {...}}`) or
 *   `kubernetes.io/dockercfg` (`.dockercfg`, the bare map) gives one entry per registry key; an
 *   entry's `auth` (base64 `user:pass`) wins over its `username` / `password`; a malformed
 *   document or `auth` fails the whole keyring (upstream then fails the pull with that error);
 * - a key may carry a scheme (`https://`, `http://`, ignored) and a path; a leading `/v1/` or
 *   `/v2/` path is the registry itself (`https://index.docker.io/v1/` is `index.docker.io`);
 * - an image matches a key when both hosts have as many dot-separated labels, each label matches
 *   (`*` and `?` globs, per label), the ports are equal and the key's path is a prefix of the
 *   image's repository path;
 * - keys are tried in reverse lexical order (longer paths before their prefixes, plain labels
 *   before `*`), every matching key's credentials in turn; when none matches, a Docker Hub image
 *   (`busybox`, `library/x`, `docker.io/…`, `index.docker.io/…`) takes the `index.docker.io`
 *   credentials.
 *
 * Pure functions: the kubelet reads the secrets, this module never talks to the API.
 */
import type { Secret } from '../../apimachinery/generated/types.js';
import type { WireAuthConfig } from '../runtime/cri/wire.js';

export const SECRET_TYPE_DOCKER_CONFIG_JSON = 'kubernetes.io/dockerconfigjson';
export const SECRET_TYPE_DOCKERCFG = 'kubernetes.io/dockercfg';
export const DOCKER_CONFIG_JSON_KEY = '.dockerconfigjson';
export const DOCKERCFG_KEY = '.dockercfg';

/** Upstream's key for Docker Hub credentials (`https://index.docker.io/v1/` reduces to it). */
const DEFAULT_REGISTRY_HOST = 'index.docker.io';

/** Credentials for one pull: CRI's AuthConfig (`PullImageRequest.auth`). */
export type PullAuth = WireAuthConfig;

export interface Keyring {
  /** Credentials to try, most specific first; empty when none applies. */
  lookup(image: string): PullAuth[];
}

export class CredentialParseError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CredentialParseError';
  }
}

type DockerConfig = Record<string, { username: string; password: string }>;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** `base64(user:pass)` → [user, pass], as upstream's decodeDockerConfigFieldAuth. */
function decodeAuthField(auth: string): [string, string] {
  if (!BASE64_RE.test(auth)) throw new CredentialParseError(`illegal base64 data in auth field`);
  const decoded = Buffer.from(auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new CredentialParseError('unable to parse auth field, must be formatted as base64(username:password)');
  return [decoded.slice(0, colon), decoded.slice(colon + 1).replace(/^\0+|\0+$/g, '')];
}

function str(x: unknown): string {
  return typeof x === 'string' ? x : '';
}

/** A dockercfg map (`{"<registry>": {username, password, auth, email}}`). */
export function parseDockerConfig(map: unknown): DockerConfig {
  if (!isRecord(map)) throw new CredentialParseError('docker config is not a JSON object');
  const out: DockerConfig = {};
  for (const [registry, entry] of Object.entries(map)) {
    if (!isRecord(entry)) throw new CredentialParseError(`docker config entry ${JSON.stringify(registry)} is not a JSON object`);
    const auth = str(entry.auth);
    const [username, password] = auth ? decodeAuthField(auth) : [str(entry.username), str(entry.password)];
    out[registry] = { username, password };
  }
  return out;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CredentialParseError(`${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** The registry map of a pull secret; undefined for other secret types or an empty key. */
export function dockerConfigOfSecret(secret: Secret): DockerConfig | undefined {
  const data = secret.data ?? {};
  const decode = (key: string): string => Buffer.from(data[key] ?? '', 'base64').toString('utf8');
  if (secret.type === SECRET_TYPE_DOCKER_CONFIG_JSON && data[DOCKER_CONFIG_JSON_KEY]) {
    const doc = parseJson(decode(DOCKER_CONFIG_JSON_KEY), `secret ${secret.metadata?.name ?? ''} ${DOCKER_CONFIG_JSON_KEY}`);
    const auths = isRecord(doc) ? doc.auths : undefined;
    return auths === undefined || auths === null ? {} : parseDockerConfig(auths);
  }
  if (secret.type === SECRET_TYPE_DOCKERCFG && data[DOCKERCFG_KEY]) {
    return parseDockerConfig(parseJson(decode(DOCKERCFG_KEY), `secret ${secret.metadata?.name ?? ''} ${DOCKERCFG_KEY}`));
  }
  return undefined;
}

interface SchemelessUrl {
  labels: string[];
  port: string;
  path: string;
}

/** host[:port][/path] without scheme, split as upstream's SplitURL (IPv6 brackets kept out of labels). */
function parseSchemeless(s: string): SchemelessUrl {
  const slash = s.indexOf('/');
  const hostPort = slash < 0 ? s : s.slice(0, slash);
  const path = slash < 0 ? '' : s.slice(slash);
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(hostPort);
  const host = m?.[1] ?? hostPort;
  return { labels: host.replace(/^\[|\]$/g, '').split('.'), port: m?.[2] ?? '', path };
}

/** Whether a glob label (`*` any run, `?` one character) matches a label. */
export function labelMatches(glob: string, label: string): boolean {
  if (!/[*?]/.test(glob)) return glob === label;
  const re = glob.split('').map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[\\^$.+()[\]{}|]/g, '\\$&'))).join('');
  return new RegExp(`^${re}$`).test(label);
}

/** Upstream URLsMatch: equal label counts and ports, every label glob-matched, path prefix. */
export function urlMatches(key: string, target: string): boolean {
  const k = parseSchemeless(key);
  const t = parseSchemeless(target);
  if (k.port !== t.port || k.labels.length !== t.labels.length || !t.path.startsWith(k.path)) return false;
  return k.labels.every((g, i) => labelMatches(g, t.labels[i] ?? ''));
}

/** The index key of a registry entry: scheme dropped, `/v1/`, `/v2/` and a bare `/` path dropped. */
export function registryKey(loc: string): string {
  const rest = loc.replace(/^https?:\/\//, '');
  const slash = rest.indexOf('/');
  const host = slash < 0 ? rest : rest.slice(0, slash);
  let path = slash < 0 ? '' : rest.slice(slash);
  if (path.startsWith('/v1/') || path.startsWith('/v2/')) path = path.slice(3);
  return path && path !== '/' ? host + path : host;
}

/**
 * The repository an image is pulled from, normalised as Docker references are
 * (`busybox:1` → `docker.io/library/busybox`); tag and digest dropped.
 */
export function imageRepository(image: string): string {
  let name = image;
  const at = name.indexOf('@');
  if (at >= 0) name = name.slice(0, at);
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) name = name.slice(0, colon);
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  if (slash >= 0 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase())) {
    return first === 'index.docker.io' ? `docker.io${name.slice(slash)}` : name;
  }
  return slash < 0 ? `docker.io/library/${name}` : `docker.io/${name}`;
}

/** Upstream isDefaultRegistryMatch: whether a (normalised) repository lives on Docker Hub. */
function isDockerHub(repository: string): boolean {
  const slash = repository.indexOf('/');
  if (slash === 0) return false;
  if (slash < 0) return true;
  const first = repository.slice(0, slash);
  return first === 'docker.io' || first === DEFAULT_REGISTRY_HOST || !/[.:]/.test(first);
}

/** A keyring from registry maps (applied in order: one key's credentials keep that order). */
export function createKeyring(configs: readonly DockerConfig[]): Keyring {
  const creds = new Map<string, PullAuth[]>();
  for (const cfg of configs) {
    for (const [loc, ident] of Object.entries(cfg)) {
      const key = registryKey(loc);
      if (!key) continue;
      const list = creds.get(key) ?? [];
      list.push({ username: ident.username, password: ident.password });
      creds.set(key, list);
    }
  }
  const index = [...creds.keys()].sort().reverse();
  return {
    lookup(image) {
      const repository = imageRepository(image);
      const found = index.filter((k) => urlMatches(k, repository)).flatMap((k) => creds.get(k) ?? []);
      if (found.length) return found.map((c) => ({ ...c }));
      const hub = creds.get(DEFAULT_REGISTRY_HOST);
      return hub && isDockerHub(repository) ? hub.map((c) => ({ ...c })) : [];
    },
  };
}

/** The keyring of a pod's pull secrets (secrets of other types are ignored; a malformed one throws). */
export function keyringFromSecrets(secrets: readonly Secret[]): Keyring {
  return createKeyring(secrets.map(dockerConfigOfSecret).filter((c): c is DockerConfig => c !== undefined));
}
