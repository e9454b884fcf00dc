import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerdPaths, nodePodCidr, renderCniConflist, renderContainerdConfig } from './config.js';
import { MissingPackagesError, checkRequirements } from './prerequisites.js';

test('config.toml keeps root, state and socket under the data dir', () => {
  const paths = containerdPaths('/var/lib/skiff');
  const toml = renderContainerdConfig({ paths, sandboxImage: 'registry.k8s.io/pause:3.10', cniBinDir: '/usr/lib/cni', systemdCgroup: false, streamServerPort: 41234 });
  assert.match(toml, /^version = 2$/m);
  assert.match(toml, /^root = "\/var\/lib\/skiff\/containerd\/root"$/m);
  assert.match(toml, /^state = "\/var\/lib\/skiff\/containerd\/state"$/m);
  assert.match(toml, /^ {2}address = "\/var\/lib\/skiff\/containerd\/containerd.sock"$/m);
  assert.match(toml, /sandbox_image = "registry.k8s.io\/pause:3.10"/);
  assert.match(toml, /snapshotter = "overlayfs"/);
  assert.match(toml, /SystemdCgroup = false/);
  assert.match(toml, /bin_dir = "\/usr\/lib\/cni"/);
  assert.match(toml, /conf_dir = "\/var\/lib\/skiff\/containerd\/cni\/net.d"/);
  assert.match(toml, /stream_server_port = "41234"/);
});

test('the CNI list is a bridge with host-local IPAM on the pod CIDR, then portmap', () => {
  const conf = JSON.parse(renderCniConflist({ networkName: 'skiff', bridge: 'skiff0', podCidr: '10.42.3.0/24', ipamDir: '/d/ipam' })) as {
    name: string; plugins: { type: string; bridge?: string; ipam?: { type: string; dataDir: string; ranges: { subnet: string }[][] }; capabilities?: Record<string, boolean> }[];
  };
  assert.equal(conf.name, 'skiff');
  assert.deepEqual(conf.plugins.map((p) => p.type), ['bridge', 'portmap']);
  assert.equal(conf.plugins[0]?.bridge, 'skiff0');
  assert.equal(conf.plugins[0]?.ipam?.ranges[0]?.[0]?.subnet, '10.42.3.0/24');
  assert.equal(conf.plugins[0]?.ipam?.dataDir, '/d/ipam');
  assert.deepEqual(conf.plugins[1]?.capabilities, { portMappings: true });
  assert.throws(() => renderCniConflist({ networkName: 'x', bridge: 'b', podCidr: '10.42.300.0/24', ipamDir: '/d' }), /invalid pod CIDR/);
});

test('node pod CIDRs are /24s of the cluster /16', () => {
  assert.equal(nodePodCidr('10.42.0.0/16', 0), '10.42.0.0/24');
  assert.equal(nodePodCidr('10.42.0.0/16', 7), '10.42.7.0/24');
  assert.throws(() => nodePodCidr('10.42.0.0/8', 1));
});

test('a missing program names its Debian package', () => {
  assert.throws(
    () => checkRequirements([{ program: '/nonexistent/containerd', debianPackage: 'containerd', what: 'x' }, { program: 'no-such-runc-here', debianPackage: 'runc', what: 'y' }]),
    (e: unknown) => e instanceof MissingPackagesError && /apt-get install containerd runc/.test(e.message),
  );
});
