/**
 * Summary providers of kubelets that run inside this process without an HTTPS endpoint (simulated
 * nodes), by node name: the API server's metrics reads them here instead of over the network.
 */
import type { SummaryProvider } from './summary-api.js';

const providers = new Map<string, SummaryProvider>();

/** Registers a node's provider; the returned function removes it (if it is still the one registered). */
export function registerInProcessSummary(nodeName: string, provider: SummaryProvider): () => void {
  providers.set(nodeName, provider);
  return () => {
    if (providers.get(nodeName) === provider) providers.delete(nodeName);
  };
}

export function inProcessSummary(nodeName: string): SummaryProvider | undefined {
  return providers.get(nodeName);
}
