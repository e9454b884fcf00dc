/**
 * Reads the Kubernetes 1.32 OpenAPI v2 document from ../shared/reference and writes the project's
 * committed schema output under src/apimachinery/generated/ (upstream description texts removed).
 *
 *   npm run generate
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, '..', 'shared', 'reference', 'kubernetes-1.32-openapi-v2.json');
const outDir = join(root, 'src', 'apimachinery', 'generated');

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function stripDescriptions(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripDescriptions);
  if (v && typeof v === 'object') {
    const out: { [k: string]: Json } = {};
    for (const [k, val] of Object.entries(v)) {
      if (k === 'description') continue;
      out[k] = stripDescriptions(val);
    }
    return out;
  }
  return v;
}

const doc = JSON.parse(readFileSync(source, 'utf8')) as { definitions: Record<string, Json> };
mkdirSync(outDir, { recursive: true });
const definitions = stripDescriptions(doc.definitions as Json);
writeFileSync(join(outDir, 'definitions.json'), JSON.stringify(definitions, null, 1) + '\n');
console.log(`wrote ${Object.keys(doc.definitions).length} definitions to ${outDir}/definitions.json`);
