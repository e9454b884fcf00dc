/**
 * How one probe is carried out. The probe manager (timing, thresholds, results) is the same for
 * every runtime; only this strategy differs: the real prober runs exec probes through the
 * runtime's ExecSync and opens HTTP / TCP connections to the pod, the simulated one answers from
 * the pod's `sim.skiff.io/probe-fail` annotation.
 */
import type { Container, Pod, Probe } from '../../apimachinery/generated/types.js';

export type ProbeType = 'liveness' | 'readiness' | 'startup';

export interface ProbeRequest {
  probeType: ProbeType;
  pod: Pod;
  container: Container;
  /** Runtime container id (without the `<runtime>://` prefix). */
  containerId: string;
  probe: Probe;
  podIp: string;
}

export interface ProbeOutcome {
  success: boolean;
  /** Shown in the `Unhealthy` event: `Liveness probe failed: <output>`. */
  output: string;
}

export interface Prober {
  probe(req: ProbeRequest): Promise<ProbeOutcome>;
}
