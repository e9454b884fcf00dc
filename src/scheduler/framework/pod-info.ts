/**
 * A pod with what the plugins need precomputed once (upstream framework.PodInfo): requests,
 * host ports and parsed pod (anti-)affinity terms.
 */
import type { Pod, PodAffinityTerm, WeightedPodAffinityTerm } from '../../apimachinery/generated/types.js';
import type { LabelSelector } from '../../apimachinery/labels.js';
import { labelSelectorFromObject, nothing } from '../../apimachinery/labels.js';
import { podRequests, Resource } from './resource.js';

export interface HostPort {
  hostIP: string;
  protocol: string;
  port: number;
}

export interface AffinityTerm {
  namespaces: ReadonlySet<string>;
  selector: LabelSelector;
  namespaceSelector: LabelSelector;
  topologyKey: string;
}

export interface WeightedAffinityTerm extends AffinityTerm {
  weight: number;
}

/** Namespace labels by name, for terms with a namespaceSelector. */
export type NamespaceLabels = (namespace: string) => Record<string, string> | undefined;

export function podKey(pod: Pod): string {
  return pod.metadata?.uid || `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

export function podPriority(pod: Pod): number {
  return pod.spec?.priority ?? 0;
}

export function podHostPorts(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      out.push({ hostIP: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
    }
  }
  return out;
}

function safeSelector(sel: PodAffinityTerm['labelSelector']): LabelSelector {
  try {
    return labelSelectorFromObject(sel);
  } catch {
    return nothing();
  }
}

export function newAffinityTerm(pod: Pod, term: PodAffinityTerm): AffinityTerm {
  const ns = new Set<string>();
  if ((term.namespaces ?? []).length === 0 && !term.namespaceSelector) ns.add(pod.metadata?.namespace ?? 'default');
  else for (const n of term.namespaces ?? []) ns.add(n);
  return {
    namespaces: ns,
    selector: safeSelector(term.labelSelector),
    namespaceSelector: term.namespaceSelector ? safeSelector(term.namespaceSelector) : nothing(),
    topologyKey: term.topologyKey,
  };
}

/** Does `term` (of some pod) select `pod`? */
export function termMatches(term: AffinityTerm, pod: Pod, nsLabels?: NamespaceLabels): boolean {
  const ns = pod.metadata?.namespace ?? 'default';
  if (!term.namespaces.has(ns) && !term.namespaceSelector.matches(nsLabels?.(ns) ?? {})) return false;
  return term.selector.matches(pod.metadata?.labels ?? {});
}

function weighted(pod: Pod, terms: WeightedPodAffinityTerm[] | undefined): WeightedAffinityTerm[] {
  return (terms ?? []).map((t) => ({ ...newAffinityTerm(pod, t.podAffinityTerm), weight: t.weight }));
}

export class PodInfo {
  readonly key: string;
  readonly priority: number;
  /** Requests as the fit filter counts them. */
  readonly requests: Resource;
  /** Requests with upstream's defaults for containers that request no CPU/memory (scoring). */
  readonly nonZeroRequests: Resource;
  readonly hostPorts: HostPort[];
  readonly requiredAffinityTerms: AffinityTerm[];
  readonly requiredAntiAffinityTerms: AffinityTerm[];
  readonly preferredAffinityTerms: WeightedAffinityTerm[];
  readonly preferredAntiAffinityTerms: WeightedAffinityTerm[];

  constructor(readonly pod: Pod) {
    this.key = podKey(pod);
    this.priority = podPriority(pod);
    this.requests = podRequests(pod);
    this.nonZeroRequests = podRequests(pod, true);
    this.hostPorts = podHostPorts(pod);
    const a = pod.spec?.affinity;
    this.requiredAffinityTerms = (a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => newAffinityTerm(pod, t));
    this.requiredAntiAffinityTerms = (a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => newAffinityTerm(pod, t));
    this.preferredAffinityTerms = weighted(pod, a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
    this.preferredAntiAffinityTerms = weighted(pod, a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
  }

  get name(): string {
    return this.pod.metadata?.name ?? '';
  }

  get namespace(): string {
    return this.pod.metadata?.namespace ?? 'default';
  }

  hasAffinity(): boolean {
    const a = this.pod.spec?.affinity;
    return !!(a?.podAffinity || a?.podAntiAffinity);
  }

  hasRequiredAntiAffinity(): boolean {
    return this.requiredAntiAffinityTerms.length > 0;
  }
}
