/**
 * Downward API values (upstream fieldpath + resource helpers), shared by env `fieldRef` /
 * `resourceFieldRef` and the downwardAPI / projected volumes.
 */
import type { Container, Pod, ResourceFieldSelector } from '../../apimachinery/generated/types.js';
import { parseQuantity } from '../../apimachinery/quantity.js';

/** What only the kubelet knows about a running pod. */
export interface PodRuntimeFacts {
  podIPs: string[];
  hostIPs: string[];
}

/** Go's `%q` for the strings a label or annotation value holds (printable text is the common case). */
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** `k="v"` lines in key order, as the downward API renders whole label / annotation maps. */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {}).sort().map((k) => `${k}=${goQuote(m![k]!)}`).join('\n');
}

const SUBSCRIPT = /^metadata\.(labels|annotations)\['(.*)'\]$/;

/** The value of an object field selector for this pod; throws `unsupported fieldPath: x` otherwise. */
export function podFieldValue(pod: Pod, fieldPath: string, facts: PodRuntimeFacts): string {
  const meta = pod.metadata ?? {};
  switch (fieldPath) {
    case 'spec.nodeName': return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP': return facts.hostIPs[0] ?? '';
    case 'status.hostIPs': return facts.hostIPs.join(',');
    case 'status.podIP': return facts.podIPs[0] ?? '';
    case 'status.podIPs': return facts.podIPs.join(',');
    case 'metadata.name': return meta.name ?? '';
    case 'metadata.namespace': return meta.namespace ?? '';
    case 'metadata.uid': return meta.uid ?? '';
    case 'metadata.labels': return formatMap(meta.labels);
    case 'metadata.annotations': return formatMap(meta.annotations);
    default: break;
  }
  const sub = SUBSCRIPT.exec(fieldPath);
  if (sub) {
    const map = sub[1] === 'labels' ? meta.labels : meta.annotations;
    return map?.[sub[2]!] ?? '';
  }
  throw new Error(`unsupported fieldPath: ${fieldPath}`);
}

const DEFAULTED_LIMITS = ['cpu', 'memory', 'ephemeral-storage'];

/**
 * The container as the downward API sees it: limits it leaves unset are the node's allocatable
 * (upstream's defaultPodLimitsForDownwardAPI).
 */
export function withAllocatableLimits(container: Container, allocatable: Record<string, string | number>): Container {
  const limits: Record<string, string | number> = { ...(container.resources?.limits ?? {}) };
  for (const r of DEFAULTED_LIMITS) if (limits[r] === undefined && allocatable[r] !== undefined) limits[r] = allocatable[r];
  return { ...container, resources: { ...(container.resources ?? {}), limits } };
}

/** `limits.cpu` etc. for a container, divided by the divisor and rounded up (upstream ExtractContainerResourceValue). */
export function containerResourceValue(sel: ResourceFieldSelector, container: Container): string {
  const divisorText = sel.divisor === undefined ? '' : String(sel.divisor);
  let divisor = divisorText === '' ? parseQuantity(1) : parseQuantity(divisorText);
  if (divisor.isZero()) divisor = parseQuantity(1);
  const dot = sel.resource.indexOf('.');
  const kind = sel.resource.slice(0, dot);
  const name = sel.resource.slice(dot + 1);
  if (dot < 0 || (kind !== 'limits' && kind !== 'requests')) throw new Error(`unsupported container resource : ${sel.resource}`);
  const list = kind === 'limits' ? container.resources?.limits : container.resources?.requests;
  const raw = list?.[name];
  const q = parseQuantity(raw === undefined ? 0 : raw);
  if (name === 'cpu') return String(Math.ceil(q.milliValue() / divisor.milliValue()));
  if (name === 'memory' || name === 'ephemeral-storage' || name.startsWith('hugepages-')) {
    return String(Math.ceil(q.value() / divisor.value()));
  }
  throw new Error(`unsupported container resource : ${sel.resource}`);
}

/** The resource value for `sel` (its `containerName`, else `defaultContainer`) with allocatable fallback. */
export function podResourceValue(sel: ResourceFieldSelector, pod: Pod, defaultContainer: string | undefined,
  allocatable: Record<string, string | number>): string {
  const name = sel.containerName || defaultContainer;
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const c = all.find((x) => x.name === name);
  if (!c) throw new Error(`container ${name ?? ''} not found`);
  return containerResourceValue(sel, withAllocatableLimits(c, allocatable));
}
