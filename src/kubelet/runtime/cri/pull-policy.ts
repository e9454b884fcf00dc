/**
 * Image pull policy as upstream's image manager applies it: `Always` pulls every time,
 * `IfNotPresent` only when the runtime lacks the image, `Never` fails with ErrImageNeverPull when
 * it is missing. The default policy is `Always` for `:latest` or untagged images, else
 * `IfNotPresent`. The waiting reasons the kubelet shows for image failures are here too; the
 * kubelet's image manager (`../../image-manager.ts`) applies them with events and back-off.
 */
import type { PullAuth } from '../../credentials/keyring.js';

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

export const ERR_IMAGE_PULL = 'ErrImagePull';
export const IMAGE_PULL_BACK_OFF = 'ImagePullBackOff';
export const ERR_IMAGE_NEVER_PULL = 'ErrImageNeverPull';
export const INVALID_IMAGE_NAME = 'InvalidImageName';

export type ImagePullReason = typeof ERR_IMAGE_PULL | typeof IMAGE_PULL_BACK_OFF | typeof ERR_IMAGE_NEVER_PULL | typeof INVALID_IMAGE_NAME;

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

/** What the image manager needs from the runtime's image service. */
export interface ImagePuller {
  /** The image id when present, undefined when not. */
  imagePresent(image: string): Promise<string | undefined>;
  /** Pulls (with the registry credentials, when given) and returns the image ref. */
  pullImage(image: string, auth?: PullAuth): Promise<string>;
  /** A present image's size in bytes (for the Pulled event), as CRI ImageStatus gives it. */
  imageStatus?(image: string): Promise<{ size: number } | undefined>;
}

const NAME_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@[a-z0-9]+:[a-f0-9]{32,})?$/;

/** Whether a container's image string is a valid reference (lowercase repository, optional tag/digest). */
export function validImageName(image: string): boolean {
  // A registry host may contain dots and a port; domain labels are lowercase alphanumerics and dashes.
  return image.length > 0 && NAME_RE.test(image);
}
