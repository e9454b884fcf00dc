import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../apimachinery/generated/types.js';
import { hostNetworkHostsContent, managedHostsContent, podHostnameAndDomain } from './etc-hosts.js';

function pod(spec: Partial<NonNullable<Pod['spec']>>, name = 'web'): Pod {
  return { metadata: { name, namespace: 'shop' }, spec: { containers: [], ...spec } };
}

test('the hostname is spec.hostname or the pod name, cut to 63 characters without a trailing dash', () => {
  assert.deepEqual(podHostnameAndDomain(pod({}), 'cluster.local'), { hostname: 'web', domain: '' });
  assert.deepEqual(podHostnameAndDomain(pod({ hostname: 'db-0', subdomain: 'db' }), 'cluster.local'),
    { hostname: 'db-0', domain: 'db.shop.svc.cluster.local' });
  const long = `${'a'.repeat(62)}-bcd`;
  assert.equal(podHostnameAndDomain(pod({}, long), 'cluster.local').hostname, 'a'.repeat(62));
});

test('a managed hosts file has the header, localhost lines, the pod IP line and the host aliases', () => {
  const text = managedHostsContent(['10.42.0.7'], 'web', '', [{ ip: '10.1.2.3', hostnames: ['foo.local', 'bar.local'] }]);
  assert.equal(text, [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
    '10.42.0.7\tweb',
    '',
    '# Entries added by HostAliases.',
    '10.1.2.3\tfoo.local\tbar.local',
    '',
  ].join('\n'));
  assert.match(managedHostsContent(['10.42.0.8'], 'db-0', 'db.shop.svc.cluster.local', undefined),
    /\n10\.42\.0\.8\tdb-0\.db\.shop\.svc\.cluster\.local\tdb-0\n$/);
});

test('a host-network pod gets the node hosts file under its own header', () => {
  assert.equal(hostNetworkHostsContent('127.0.0.1 localhost\n', undefined), '# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n');
});
