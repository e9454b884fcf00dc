/**
 * Copies the JSON data files under src/ (generated schema, OpenAPI documents) into dist/src/ so
 * the compiled modules find them at the same relative paths as under tsx. Run after `tsc`.
 *
 *   tsx scripts/copy-assets.ts [outDir]      (outDir defaults to dist, the tsconfig outDir)
 */
import { cpSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(resolve(root, process.argv[2] ?? 'dist'), 'src');

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.json')) out.push(p);
  }
  return out;
}

const files = walk(src, []);
for (const f of files) {
  const target = join(dist, relative(src, f));
  mkdirSync(dirname(target), { recursive: true });
  cpSync(f, target);
}
console.log(`copied ${files.length} JSON files to ${dist}`);
