/**
 * Checks that the project's own CRI proto (src/kubelet/runtime/cri/cri.proto, embedded in
 * cri-proto.ts) matches the reference CRI v1 proto: every service, message, field number, type
 * and enum value it declares exists identically there. Build-time check (the reference lives in
 * ../shared/reference, which user machines do not have):
 *
 *   npx tsx scripts/check-cri-proto.ts [../shared/reference/cri-api-v0.32.9-runtime-v1.proto]
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { CRI_PROTO } from '../src/kubelet/runtime/cri/cri-proto.js';

function allTypes(ns: protobuf.NamespaceBase, out: Map<string, protobuf.ReflectionObject>): Map<string, protobuf.ReflectionObject> {
  for (const o of ns.nestedArray) {
    out.set(o.fullName, o);
    if (o instanceof protobuf.Namespace || o instanceof protobuf.Type) allTypes(o, out);
  }
  return out;
}

function checkAgainstReference(referencePath: string): number {
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
  return checked;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const reference = process.argv[2] ?? join(root, '..', 'shared', 'reference', 'cri-api-v0.32.9-runtime-v1.proto');
const checked = checkAgainstReference(reference);
console.log(`cri.proto matches ${reference}: ${checked} fields checked`);
