/**
 * Writes the admin kubeconfig (k3s style: one cluster, user and context, all named after the
 * cluster, credentials embedded base64). Overwrites atomically; the file is mode 0600 and its
 * parent directory is created when missing.
 */
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';

export interface KubeconfigOptions {
  /** e.g. `https://127.0.0.1:6443` */
  server: string;
  caCertPem: string;
  clientCertPem: string;
  clientKeyPem: string;
  /** Name of the cluster, user and context; `default` like k3s. */
  clusterName?: string;
}

export function kubeconfigYaml(opts: KubeconfigOptions): string {
  const name = opts.clusterName ?? 'default';
  const b64 = (pem: string): string => Buffer.from(pem, 'utf8').toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [
      {
        name,
        cluster: {
          server: opts.server,
          'certificate-authority-data': b64(opts.caCertPem),
        },
      },
    ],
    users: [
      {
        name,
        user: {
          'client-certificate-data': b64(opts.clientCertPem),
          'client-key-data': b64(opts.clientKeyPem),
        },
      },
    ],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
  };
  return stringify(config, { lineWidth: 0 });
}

export function writeKubeconfig(file: string, opts: KubeconfigOptions): void {
  const target = path.resolve(file);
  mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
  const tmp = `${target}.tmp-${process.pid}`;
  writeFileSync(tmp, kubeconfigYaml(opts), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, target);
}
