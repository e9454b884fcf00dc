import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CRI_PROTO } from './cri-proto.js';
import { embeddedModuleText } from './embed-proto.js';
import { IMAGE_SERVICE, RUNTIME_SERVICE, criPackageDefinition } from './cri-client.js';

const protoPath = fileURLToPath(new URL('./cri.proto', import.meta.url));

test('cri-proto.ts embeds cri.proto as it is (regenerate with embed-proto.ts)', () => {
  const text = readFileSync(protoPath, 'utf8');
  assert.equal(CRI_PROTO, text);
  assert.equal(readFileSync(new URL('./cri-proto.ts', import.meta.url), 'utf8'), embeddedModuleText(text));
});

test('the package definition has both services', () => {
  const def = criPackageDefinition();
  assert.ok(def[RUNTIME_SERVICE]);
  assert.ok(def[IMAGE_SERVICE]);
  assert.ok(def['runtime.v1.ContainerConfig']);
});

// The field-by-field check against the reference CRI proto (build-time data, absent on user machines)
// is `npx tsx scripts/check-cri-proto.ts [reference.proto]`.
