/**
 * What a real node observes about itself for each status update: the pressure conditions from
 * host readings against the hard eviction thresholds (held for the pressure transition period),
 * and the images its runtime holds (`status.images`). Each part is optional; a part that fails
 * this time is left out.
 */
import type { ContainerImage } from '../apimachinery/generated/types.js';
import type { NodePressure, NodeReadings, Threshold } from './node-pressure.js';
import { DEFAULT_EVICTION_HARD, createPressureTransition, nodePressure } from './node-pressure.js';
import type { RuntimeImage } from './node-status.js';
import { nodeImages } from './node-status.js';

export interface NodeObservation {
  pressure?: NodePressure;
  images?: ContainerImage[];
}

export interface NodeObserverOptions {
  /** The runtime's images (CRI ListImages). */
  images?: { listImages(): Promise<RuntimeImage[]> };
  readings?: () => NodeReadings | Promise<NodeReadings>;
  thresholds?: readonly Threshold[];
  /** How long a pressure condition stays True after it was last observed; default 5 min. */
  pressureTransitionPeriodMs?: number;
  now?: () => number;
}

export function createNodeObserver(opts: NodeObserverOptions): () => Promise<NodeObservation> {
  const transition = createPressureTransition(opts.pressureTransitionPeriodMs, opts.now);
  return async () => {
    const out: NodeObservation = {};
    if (opts.readings) {
      try {
        out.pressure = transition(nodePressure(await opts.readings(), opts.thresholds ?? DEFAULT_EVICTION_HARD));
      } catch {
        // no readings this time: the conditions keep their last value
      }
    }
    if (opts.images) {
      try {
        out.images = nodeImages(await opts.images.listImages());
      } catch {
        // the runtime is busy or restarting: report the images next time
      }
    }
    return out;
  };
}
