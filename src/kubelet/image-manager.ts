/**
 * The kubelet's image manager (upstream `images.imageManager.EnsureImageExists`): before a
 * container is created, applies its pull policy against the runtime's images and records what
 * happened, with upstream's events and waiting reasons:
 *
 * - an unparsable name: Warning `InspectFailed`, reason InvalidImageName;
 * - `Never` and absent: Warning `ErrImageNeverPull`, reason ErrImageNeverPull;
 * - present and no pull needed: Normal `Pulled` "Container image … already present on machine";
 * - a failed pull of this image for this pod less than its back-off ago: Normal `BackOff`
 *   "Back-off pulling image …", reason ImagePullBackOff (10 s doubling to 5 min, per pod + image)
 *   with the last pull error in the message (`…: ErrImagePull: <error>`, as since 1.32);
 * - otherwise Normal `Pulling`, then Normal `Pulled` with duration and size, or Warning `Failed`
 *   "Failed to pull image …: <runtime error>" and reason ErrImagePull with the runtime's error.
 *
 * A failure stands for `settleMs` (upstream's pod worker retries a failed sync after 10 s): syncs
 * in between (Skiff's pod worker also wakes on its own status writes) get the same answer without
 * new events, so ErrImagePull is seen before ImagePullBackOff, as upstream.
 *
 * Credentials: the pod's pull secrets (`pullSecrets`, read for each pull) form a keyring
 * (`credentials/keyring.ts`); with no matching entry the pull goes out without credentials,
 * otherwise each matching credential is tried in turn until one pull succeeds, and the failure
 * text is the runtime's error (several distinct errors: `[e1, e2]`, upstream's aggregate).
 *
 * Each new failure also gets the Warning `Failed` "Error: <reason>" event upstream's
 * startContainer records; the caller shows the waiting reason and message.
 */
import type { Container, ObjectReference, Pod, Secret } from '../apimachinery/generated/types.js';
import type { Backoff } from './backoff.js';
import { keyringFromSecrets } from './credentials/keyring.js';
import { formatDuration } from './duration.js';
import type { EventRecorder } from './events.js';
import type { ImagePuller, ImagePullReason, PullPolicy } from './runtime/cri/pull-policy.js';
import {
  ERR_IMAGE_NEVER_PULL, ERR_IMAGE_PULL, IMAGE_PULL_BACK_OFF, INVALID_IMAGE_NAME, defaultPullPolicy, shouldPullImage, validImageName,
} from './runtime/cri/pull-policy.js';
import { grpcErrorText } from './runtime/cri/grpc-error-text.js';

export type EnsureImageResult =
  | { ok: true; imageRef: string }
  | { ok: false; reason: ImagePullReason; message: string; /** try again at this time (ms) */ retryAt: number };

export interface ImageManager {
  ensureImageExists(pod: Pod, container: Container, ref: ObjectReference): Promise<EnsureImageResult>;
}

export interface ImageManagerOptions {
  puller: ImagePuller;
  recorder: EventRecorder;
  /** The image pull back-off (upstream: its own 10 s → 300 s back-off). */
  backoff: Backoff;
  now: () => number;
  /** How long a failure stands before the next attempt; default 10 s. */
  settleMs?: number;
  /** The pod's image pull secrets (read before each pull); default none. */
  pullSecrets?: (pod: Pod) => Promise<Secret[]>;
}

type Failure = Extract<EnsureImageResult, { ok: false }>;

/** Upstream's pod worker back-off after a failed sync. */
const DEFAULT_SETTLE_MS = 10_000;

/** Go's `utilerrors.NewAggregate(...).Error()`: one message alone, several (deduplicated) in brackets. */
function aggregateText(texts: readonly string[]): string {
  const unique = [...new Set(texts)];
  return unique.length === 1 ? unique[0] ?? '' : `[${unique.join(', ')}]`;
}

class PullFailure extends Error {}

function pullPolicy(container: Container, image: string): PullPolicy {
  const p = container.imagePullPolicy;
  return p === 'Always' || p === 'IfNotPresent' || p === 'Never' ? p : defaultPullPolicy(image);
}

export function createImageManager(opts: ImageManagerOptions): ImageManager {
  const { puller, recorder, backoff, now } = opts;
  const settleMs = opts.settleMs ?? DEFAULT_SETTLE_MS;
  const pullSecrets = opts.pullSecrets ?? (async (): Promise<Secret[]> => []);
  /** Per pod + image: when its pull last failed (the back-off runs from there) and with what. */
  const pullFailures = new Map<string, { at: number; text: string }>();
  /** Per pod + container + image: the last failure, standing until its retry time. */
  const standing = new Map<string, Failure>();

  function forgetOld(at: number): void {
    for (const [k, f] of pullFailures) if (at - f.at > 2 * backoff.maxMs) pullFailures.delete(k);
    for (const [k, f] of standing) if (f.retryAt < at) standing.delete(k);
  }

  /** Pulls with each matching credential in turn (upstream kuberuntime PullImage). */
  async function pullWithCredentials(pod: Pod, image: string): Promise<string> {
    const creds = keyringFromSecrets(await pullSecrets(pod)).lookup(image);
    if (!creds.length) return puller.pullImage(image);
    const errors: string[] = [];
    for (const auth of creds) {
      try {
        return await puller.pullImage(image, auth);
      } catch (err) {
        errors.push(grpcErrorText(err));
      }
    }
    throw new PullFailure(aggregateText(errors));
  }

  async function ensure(pod: Pod, container: Container, ref: ObjectReference): Promise<EnsureImageResult> {
    const image = container.image ?? '';
    const failure = (reason: ImagePullReason, message: string): Failure => ({ ok: false, reason, message, retryAt: now() + settleMs });
    if (!validImageName(image)) {
      const message = `Failed to apply default image tag "${image}": couldn't parse image name "${image}": invalid reference format`;
      recorder.event(ref, 'Warning', 'InspectFailed', message);
      return failure(INVALID_IMAGE_NAME, message);
    }
    const policy = pullPolicy(container, image);
    const present = policy === 'Always' ? undefined : await puller.imagePresent(image);
    if (!shouldPullImage(policy, present !== undefined)) {
      if (present !== undefined) {
        recorder.event(ref, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
        return { ok: true, imageRef: present };
      }
      const message = `Container image "${image}" is not present with pull policy of Never`;
      recorder.event(ref, 'Warning', ERR_IMAGE_NEVER_PULL, message);
      return failure(ERR_IMAGE_NEVER_PULL, message);
    }
    const key = `${pod.metadata?.uid ?? ''}_${image}`;
    const last = pullFailures.get(key);
    if (last !== undefined && backoff.isInBackOffSince(key, last.at)) {
      const message = `Back-off pulling image "${image}"`;
      recorder.event(ref, 'Normal', 'BackOff', message);
      return failure(IMAGE_PULL_BACK_OFF, `${message}: ${ERR_IMAGE_PULL}: ${last.text}`);
    }
    recorder.event(ref, 'Normal', 'Pulling', `Pulling image "${image}"`);
    const started = now();
    let imageRef: string;
    try {
      imageRef = await pullWithCredentials(pod, image);
    } catch (err) {
      const text = grpcErrorText(err);
      recorder.event(ref, 'Warning', 'Failed', `Failed to pull image "${image}": ${text}`);
      const at = now();
      forgetOld(at);
      backoff.next(key, at);
      pullFailures.set(key, { at, text });
      return failure(ERR_IMAGE_PULL, text);
    }
    const took = formatDuration(now() - started);
    const size = (await puller.imageStatus?.(imageRef).catch(() => undefined))?.size ?? 0;
    recorder.event(ref, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${took} (${took} including waiting). Image size: ${size} bytes.`);
    pullFailures.delete(key);
    backoff.reset(key);
    return { ok: true, imageRef };
  }

  return {
    async ensureImageExists(pod, container, ref) {
      const key = `${pod.metadata?.uid ?? ''}_${container.name}_${container.image ?? ''}`;
      const prev = standing.get(key);
      if (prev && now() < prev.retryAt) return prev;
      const r = await ensure(pod, container, ref);
      if (r.ok) {
        standing.delete(key);
        return r;
      }
      recorder.event(ref, 'Warning', 'Failed', `Error: ${r.reason}`);
      standing.set(key, r);
      return r;
    },
  };
}
