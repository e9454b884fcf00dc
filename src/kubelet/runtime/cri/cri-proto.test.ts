import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { CRI_PROTO } from './cri-proto.js';
import { embeddedModuleText } from './embed-proto.js';
import { IMAGE_SERVICE, RUNTIME_SERVICE, criPackageDefinition } from './cri-client.js';

const protoPath = fileURLToPath(new URL('./cri.proto', import.meta.url));
const referencePath = fileURLToPath(new URL('../../../../../shared/reference/cri-api-v0.32.9-runtime-v1.proto', import.meta.url));

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

function allTypes(ns: protobuf.NamespaceBase, out: Map<string, protobuf.ReflectionObject>): Map<string, protobuf.ReflectionObject> {
  for (const o of ns.nestedArray) {
    out.set(o.fullName, o);
    if (o instanceof protobuf.Namespace || o instanceof protobuf.Type) allTypes(o, out);
  }
  return out;
}

test('every service, message, field and enum value matches the reference CRI v1 proto', { skip: !existsSync(referencePath) && 'reference proto not present' }, () => {
  const keep = { keepCase: true };
  const ours = allTypes(protobuf.parse(CRI_PROTO, keep).root, new Map());
  // The reference imports gogo.proto for options only; parsing does not resolve imports.
  const theirs = allTypes(protobuf.parse(readFileSync(referencePath, 'utf8'), keep).root, new Map());
  let checked = 0;
  for (const [name, o] of ours) {
    const ref = theirs.get(name);
    assert.ok(ref, `${name} is not in the reference`);
    if (o instanceof protobuf.Type) {
      assert.ok(ref instanceof protobuf.Type, `${name} is a message in the reference`);
      for (const f of o.fieldsArray) {
        const rf: protobuf.Field | undefined = ref.fields[f.name];
        assert.ok(rf, `${name}.${f.name} is not in the reference`);
        assert.equal(f.id, rf.id, `${name}.${f.name} number`);
        assert.equal(f.type, rf.type, `${name}.${f.name} type`);
        assert.equal(f.repeated, rf.repeated, `${name}.${f.name} repeated`);
        assert.equal(f instanceof protobuf.MapField, rf instanceof protobuf.MapField, `${name}.${f.name} map`);
        if (f instanceof protobuf.MapField && rf instanceof protobuf.MapField) assert.equal(f.keyType, rf.keyType);
        checked++;
      }
    } else if (o instanceof protobuf.Enum) {
      assert.ok(ref instanceof protobuf.Enum, `${name} is an enum in the reference`);
      assert.deepEqual({ ...o.values }, { ...ref.values }, `${name} values`);
    } else if (o instanceof protobuf.Service) {
      assert.ok(ref instanceof protobuf.Service, `${name} is a service in the reference`);
      for (const m of o.methodsArray) {
        const rm: protobuf.Method | undefined = ref.methods[m.name];
        assert.ok(rm, `${name}.${m.name} is not in the reference`);
        assert.equal(m.requestType, rm.requestType);
        assert.equal(m.responseType, rm.responseType);
        assert.equal(Boolean(m.responseStream), Boolean(rm.responseStream));
      }
    }
  }
  assert.ok(checked > 100);
});
