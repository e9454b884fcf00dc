/**
 * Image pull policy as upstream's image manager applies it: `Always` pulls every time,
 * `IfNotPresent` only when the runtime lacks the image, `Never` fails with ErrImageNeverPull when
 * it is missing. The default policy is `Always` for `:latest` or untagged images, else
 * `IfNotPresent`. Failures carry the reason the kubelet shows (ErrImagePull, ErrImageNeverPull,
 * InvalidImageName) and, after repeated failures, ImagePullBackOff.
 */
export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

export const ERR_IMAGE_PULL = 'ErrImagePull';
export const IMAGE_PULL_BACK_OFF = 'ImagePullBackOff';
export const ERR_IMAGE_NEVER_PULL = 'ErrImageNeverPull';
export const INVALID_IMAGE_NAME = 'InvalidImageName';

export type ImagePullReason = typeof ERR_IMAGE_PULL | typeof ERR_IMAGE_NEVER_PULL | typeof INVALID_IMAGE_NAME;

/** The image's tag, `latest` when it has none; undefined for digest references. */
export function imageTag(image: string): string | undefined {
  if (image.includes('@')) return undefined;
  const last = image.slice(image.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  return colon >= 0 ? last.slice(colon + 1) : 'latest';
}

export function defaultPullPolicy(image: string): PullPolicy {
  return imageTag(image) === 'latest' ? 'Always' : 'IfNotPresent';
}

export function shouldPullImage(policy: PullPolicy, present: boolean): boolean {
  if (policy === 'Always') return true;
  if (policy === 'IfNotPresent') return !present;
  return false;
}

export class ImagePullError extends Error {
  readonly reason: ImagePullReason;
  constructor(reason: ImagePullReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImagePullError';
    this.reason = reason;
  }
}

/** What the image manager needs from the runtime's image service. */
export interface ImagePuller {
  /** The image id when present, undefined when not. */
  imagePresent(image: string): Promise<string | undefined>;
  /** Pulls and returns the image ref. */
  pullImage(image: string): Promise<string>;
}

export interface EnsureImageResult {
  imageRef: string;
  pulled: boolean;
  /** ms the pull took (0 when none). */
  pullMs: number;
}

const NAME_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@[a-z0-9]+:[a-f0-9]{32,})?$/;

/** Whether a container's image string is a valid reference (lowercase repository, optional tag/digest). */
export function validImageName(image: string): boolean {
  // A registry host may contain dots and a port; domain labels are lowercase alphanumerics and dashes.
  return image.length > 0 && NAME_RE.test(image);
}

/** Applies the pull policy: returns the image ref, pulling when the policy says so. */
export async function ensureImage(puller: ImagePuller, image: string, policy: PullPolicy = defaultPullPolicy(image), onPull?: () => void): Promise<EnsureImageResult> {
  if (!validImageName(image)) throw new ImagePullError(INVALID_IMAGE_NAME, `Failed to apply default image tag "${image}": couldn't parse image name "${image}": invalid reference format`);
  const present = await puller.imagePresent(image);
  if (!shouldPullImage(policy, present !== undefined)) {
    if (present !== undefined) return { imageRef: present, pulled: false, pullMs: 0 };
    throw new ImagePullError(ERR_IMAGE_NEVER_PULL, `Container image "${image}" is not present with pull policy of Never`);
  }
  const started = Date.now();
  onPull?.();
  try {
    const imageRef = await puller.pullImage(image);
    return { imageRef, pulled: true, pullMs: Date.now() - started };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new ImagePullError(ERR_IMAGE_PULL, `Failed to pull image "${image}": ${msg}`, { cause: e });
  }
}
