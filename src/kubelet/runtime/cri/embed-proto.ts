/**
 * Regenerates `cri-proto.ts` (the proto text the runtime loads) from `cri.proto`:
 *
 *   npx tsx src/kubelet/runtime/cri/embed-proto.ts
 *
 * The text is embedded in a module so it reaches `dist/` with the compiled code (the build copies
 * only JSON assets); `cri-proto.test.ts` fails when the two drift apart.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function embeddedModuleText(protoText: string): string {
  if (/[`\\]|\$\{/.test(protoText)) throw new Error('cri.proto must not contain backticks, backslashes or "${"');
  return [
    '// Generated from cri.proto by embed-proto.ts; do not edit by hand.',
    '/** The text of `cri.proto`, the CRI v1 subset Skiff speaks. */',
    `export const CRI_PROTO = \`${protoText}\`;`,
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const proto = readFileSync(new URL('./cri.proto', import.meta.url), 'utf8');
  writeFileSync(new URL('./cri-proto.ts', import.meta.url), embeddedModuleText(proto));
  process.stdout.write('wrote cri-proto.ts\n');
}
