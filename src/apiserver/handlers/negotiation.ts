/** Response shape negotiation from the Accept header (Table, PartialObjectMetadata, plain JSON). */

export type ResponseShape = 'object' | 'table' | 'metadata';

export function responseShape(accept: string | undefined): ResponseShape {
  // Without an `as` parameter every acceptable part means the plain object.
  if (!accept || !accept.includes('as')) return 'object';
  for (const part of accept.split(',')) {
    const params = new Map<string, string>();
    const [type, ...rest] = part.split(';').map((s) => s.trim());
    for (const p of rest) {
      const [k, v] = p.split('=');
      if (k && v) params.set(k.trim(), v.trim());
    }
    if (type !== 'application/json' && type !== '*/*') continue;
    const as = params.get('as');
    if (!as) return 'object';
    if (params.get('g') !== 'meta.k8s.io' || (params.get('v') !== 'v1' && params.get('v') !== 'v1beta1')) continue;
    if (as === 'Table') return 'table';
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return 'metadata';
  }
  return 'object';
}

export function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === 'true' || v === '1';
}

export function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? Math.trunc(n) : undefined;
}
