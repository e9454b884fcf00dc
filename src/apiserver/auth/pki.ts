/**
 * The cluster's private PKI: one CA, the API server's serving certificate and the admin client
 * certificate, all kept as PEM files in `<dir>/tls/` (k3s file names).
 *
 * `ensurePki` is idempotent: files that are present, valid, signed by the CA and not close to
 * expiry are reused; the serving certificate alone is re-issued when it lacks a requested SAN
 * (for example after the host gained an address). Removing the CA files re-creates everything.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import {
  X509Certificate as NodeX509Certificate,
  createPrivateKey,
  webcrypto,
} from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const subtle = webcrypto.subtle;

const DAY_MS = 24 * 60 * 60 * 1000;
const CA_VALIDITY_DAYS = 3650;
const LEAF_VALIDITY_DAYS = 365;
/** Leaf certificates this close to expiry are re-issued on start, as k3s does. */
const RENEW_BEFORE_DAYS = 90;
/** Tolerates a little clock skew between machines. */
const BACKDATE_MS = 5 * 60 * 1000;

const EC_GEN: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const EC_SIGN: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

/** Names every API server certificate carries, like upstream's default `kubernetes` service. */
export const DEFAULT_SERVING_DNS_NAMES: readonly string[] = [
  'localhost',
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
];
export const DEFAULT_SERVING_IPS: readonly string[] = ['127.0.0.1', '::1'];

/** File names inside `<dir>/tls/`. */
export const PKI_FILES = {
  caCert: 'server-ca.crt',
  caKey: 'server-ca.key',
  serverCert: 'serving-kube-apiserver.crt',
  serverKey: 'serving-kube-apiserver.key',
  adminCert: 'client-admin.crt',
  adminKey: 'client-admin.key',
} as const;

export interface PkiOptions {
  /** Data directory; files go to `<dir>/tls/`. */
  dir: string;
  /** Extra DNS names for the serving certificate (IP literals are moved to `ips`). */
  hostnames?: string[];
  /** Extra IP SANs, e.g. the first service IP `10.43.0.1`. */
  ips?: string[];
}

export interface IssuedCert {
  certPem: string;
  keyPem: string;
}

export interface ServingCertOptions {
  dnsNames?: string[];
  ips?: string[];
  /** Also allow client authentication (kubelet serving certs do not need it). */
  clientAuth?: boolean;
  days?: number;
}

export interface Pki {
  /** Absolute path of the `tls` directory. */
  tlsDir: string;
  caCertPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  adminCertPem: string;
  adminKeyPem: string;
  /** The SANs the serving certificate was checked against (or issued with). */
  servingSans: { dnsNames: string[]; ips: string[] };
  /**
   * Issues a client certificate signed by the CA: CN → user name, O → groups (how the API server
   * reads them back). Nothing is written to disk.
   */
  signClientCert(cn: string, groups: string[], opts?: { days?: number }): Promise<IssuedCert>;
  /** Issues a serving certificate (for kubelets, webhooks) signed by the CA. */
  signServingCert(cn: string, opts: ServingCertOptions): Promise<IssuedCert>;
}

interface SigningCa {
  cert: x509.X509Certificate;
  certPem: string;
  key: CryptoKey;
  signAlgorithm: EcdsaParams | RsaHashedImportParams;
}

interface LeafSpec {
  cn: string;
  organizations?: string[];
  dnsNames?: string[];
  ips?: string[];
  serverAuth: boolean;
  clientAuth: boolean;
  days: number;
}

export async function ensurePki(opts: PkiOptions): Promise<Pki> {
  const tlsDir = path.resolve(opts.dir, 'tls');
  await mkdir(tlsDir, { recursive: true, mode: 0o700 });
  const file = (name: string): string => path.join(tlsDir, name);

  let ca = await loadCa(file(PKI_FILES.caCert), file(PKI_FILES.caKey));
  let caIsNew = false;
  if (!ca) {
    ca = await createCa();
    await writePem(file(PKI_FILES.caKey), await exportKeyPem(ca.key), 0o600);
    await writePem(file(PKI_FILES.caCert), ca.certPem, 0o644);
    caIsNew = true;
  }
  const signer = ca;
  const caNode = new NodeX509Certificate(signer.certPem);

  const servingSans = defaultServingSans(opts);
  const servingSpec: LeafSpec = {
    cn: 'kube-apiserver',
    dnsNames: servingSans.dnsNames,
    ips: servingSans.ips,
    serverAuth: true,
    clientAuth: false,
    days: LEAF_VALIDITY_DAYS,
  };
  const server = await ensureLeaf(
    caIsNew,
    caNode,
    signer,
    file(PKI_FILES.serverCert),
    file(PKI_FILES.serverKey),
    servingSpec,
    (cert) =>
      servingSans.dnsNames.every((name) => cert.checkHost(name, { subject: 'never' }) !== undefined) &&
      servingSans.ips.every((ip) => cert.checkIP(ip) !== undefined),
  );

  const adminSpec: LeafSpec = {
    cn: 'system:admin',
    organizations: ['system:masters'],
    serverAuth: false,
    clientAuth: true,
    days: LEAF_VALIDITY_DAYS,
  };
  const admin = await ensureLeaf(
    caIsNew,
    caNode,
    signer,
    file(PKI_FILES.adminCert),
    file(PKI_FILES.adminKey),
    adminSpec,
    (cert) => cert.subject.split('\n').includes('CN=system:admin'),
  );

  return {
    tlsDir,
    caCertPem: signer.certPem,
    serverCertPem: server.certPem,
    serverKeyPem: server.keyPem,
    adminCertPem: admin.certPem,
    adminKeyPem: admin.keyPem,
    servingSans,
    signClientCert: (cn, groups, o) =>
      issueLeaf(signer, {
        cn,
        organizations: groups,
        serverAuth: false,
        clientAuth: true,
        days: o?.days ?? LEAF_VALIDITY_DAYS,
      }),
    signServingCert: (cn, o) => {
      const split = splitNames(o.dnsNames ?? [], o.ips ?? []);
      return issueLeaf(signer, {
        cn,
        dnsNames: split.dnsNames,
        ips: split.ips,
        serverAuth: true,
        clientAuth: o.clientAuth ?? false,
        days: o.days ?? LEAF_VALIDITY_DAYS,
      });
    },
  };
}

/**
 * The serving SANs: loopback, the host name and its non-internal addresses, the in-cluster
 * `kubernetes` service names, plus what the caller asked for. Sorted and de-duplicated.
 */
export function defaultServingSans(opts: Pick<PkiOptions, 'hostnames' | 'ips'>): {
  dnsNames: string[];
  ips: string[];
} {
  const dns = [...DEFAULT_SERVING_DNS_NAMES, os.hostname(), ...(opts.hostnames ?? [])];
  const ips = [...DEFAULT_SERVING_IPS, ...hostAddresses(), ...(opts.ips ?? [])];
  return splitNames(dns, ips);
}

/** Non-internal interface addresses, without IPv6 link-local ones (they need a zone). */
export function hostAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const info of list ?? []) {
      if (info.internal) continue;
      if (info.family === 'IPv6' && /^fe[89ab]/i.test(info.address)) continue;
      out.push(info.address);
    }
  }
  return out;
}

function splitNames(dnsIn: string[], ipsIn: string[]): { dnsNames: string[]; ips: string[] } {
  const dnsNames = new Set<string>();
  const ips = new Set<string>();
  for (const raw of [...dnsIn, ...ipsIn]) {
    const value = raw.trim().replace(/^\[(.*)\]$/, '$1');
    if (!value) continue;
    if (isIP(value)) ips.add(value.toLowerCase());
    else dnsNames.add(value.toLowerCase());
  }
  return { dnsNames: [...dnsNames].sort(), ips: [...ips].sort() };
}

async function ensureLeaf(
  forceNew: boolean,
  caNode: NodeX509Certificate,
  ca: SigningCa,
  certFile: string,
  keyFile: string,
  spec: LeafSpec,
  matches: (cert: NodeX509Certificate) => boolean,
): Promise<IssuedCert> {
  if (!forceNew) {
    const existing = await readPair(certFile, keyFile);
    if (existing && leafStillGood(existing, caNode, matches)) return existing;
  }
  const issued = await issueLeaf(ca, spec);
  await writePem(keyFile, issued.keyPem, 0o600);
  await writePem(certFile, issued.certPem, 0o644);
  return issued;
}

function leafStillGood(
  pair: IssuedCert,
  caNode: NodeX509Certificate,
  matches: (cert: NodeX509Certificate) => boolean,
): boolean {
  try {
    const cert = new NodeX509Certificate(pair.certPem);
    if (!cert.verify(caNode.publicKey)) return false;
    if (!cert.checkPrivateKey(createPrivateKey(pair.keyPem))) return false;
    const renewAt = Date.parse(cert.validTo) - RENEW_BEFORE_DAYS * DAY_MS;
    if (!(Date.now() < renewAt)) return false;
    return matches(cert);
  } catch {
    return false;
  }
}

async function readPair(certFile: string, keyFile: string): Promise<IssuedCert | undefined> {
  try {
    const [certPem, keyPem] = await Promise.all([
      readFile(certFile, 'utf8'),
      readFile(keyFile, 'utf8'),
    ]);
    return { certPem, keyPem };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function loadCa(certFile: string, keyFile: string): Promise<SigningCa | undefined> {
  const pair = await readPair(certFile, keyFile);
  if (!pair) return undefined;
  try {
    const nodeKey = createPrivateKey(pair.keyPem);
    const nodeCert = new NodeX509Certificate(pair.certPem);
    if (!nodeCert.ca || !nodeCert.checkPrivateKey(nodeKey)) return undefined;
    if (Date.parse(nodeCert.validTo) <= Date.now()) return undefined;
    const der = nodeKey.export({ type: 'pkcs8', format: 'der' });
    let algorithm: EcKeyImportParams | RsaHashedImportParams;
    let signAlgorithm: EcdsaParams | RsaHashedImportParams;
    if (nodeKey.asymmetricKeyType === 'ec') {
      const curve = nodeCurveToWeb(nodeKey.asymmetricKeyDetails?.namedCurve);
      if (!curve) return undefined;
      algorithm = { name: 'ECDSA', namedCurve: curve };
      signAlgorithm = { name: 'ECDSA', hash: curve === 'P-384' ? 'SHA-384' : 'SHA-256' };
    } else if (nodeKey.asymmetricKeyType === 'rsa') {
      algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
      signAlgorithm = algorithm;
    } else {
      return undefined;
    }
    const key = await subtle.importKey('pkcs8', der, algorithm, true, ['sign']);
    return { cert: new x509.X509Certificate(pair.certPem), certPem: pair.certPem, key, signAlgorithm };
  } catch {
    return undefined;
  }
}

function nodeCurveToWeb(curve: string | undefined): string | undefined {
  switch (curve) {
    case 'prime256v1':
    case 'P-256':
      return 'P-256';
    case 'secp384r1':
    case 'P-384':
      return 'P-384';
    default:
      return undefined;
  }
}

async function createCa(): Promise<SigningCa> {
  const keys = await subtle.generateKey(EC_GEN, true, ['sign', 'verify']);
  const now = Date.now();
  const name: x509.JsonName = [{ CN: [`skiff-server-ca@${Math.floor(now / 1000)}`] }];
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name,
    keys,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + CA_VALIDITY_DAYS * DAY_MS),
    signingAlgorithm: EC_SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, certPem: cert.toString('pem') + '\n', key: keys.privateKey, signAlgorithm: EC_SIGN };
}

async function issueLeaf(ca: SigningCa, spec: LeafSpec): Promise<IssuedCert> {
  const keys = await subtle.generateKey(EC_GEN, true, ['sign', 'verify']);
  const now = Date.now();
  const subject: x509.JsonName = [{ CN: [spec.cn] }];
  for (const org of spec.organizations ?? []) subject.push({ O: [org] });

  const usages: string[] = [];
  if (spec.serverAuth) usages.push(x509.ExtendedKeyUsage.serverAuth);
  if (spec.clientAuth) usages.push(x509.ExtendedKeyUsage.clientAuth);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      true,
    ),
    new x509.ExtendedKeyUsageExtension(usages, false),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert.publicKey),
  ];
  const altNames: x509.JsonGeneralName[] = [
    ...(spec.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(spec.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  if (altNames.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(altNames, false));

  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject,
    issuer: ca.cert.subjectName,
    publicKey: keys.publicKey,
    signingKey: ca.key,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + spec.days * DAY_MS),
    signingAlgorithm: ca.signAlgorithm,
    extensions,
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportKeyPem(keys.privateKey) };
}

/** PKCS#8 PEM ("PRIVATE KEY"), which node's tls and Go's crypto/tls both read. */
async function exportKeyPem(key: CryptoKey): Promise<string> {
  const der = await subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY') + '\n';
}

/** A positive 16-byte serial (high bit clear so DER needs no sign padding games). */
function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}

/** Writes through a temp file and rename so a crash never leaves half a key behind. */
async function writePem(file: string, content: string, mode: number): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, content, { mode });
  await chmod(tmp, mode);
  await rename(tmp, file);
}

function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ENOENT';
}
