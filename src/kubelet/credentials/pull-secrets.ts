/**
 * A pod's image pull secrets as upstream's kubelet collects them (`getPullSecretsForPod`): each
 * named secret of `spec.imagePullSecrets` from the pod's namespace, entries with an empty name
 * skipped; the secrets that cannot be read are named in one Warning event
 * `FailedToRetrieveImagePullSecret` on the pod and the pull goes on without them.
 */
import type { ObjectReference, Pod, Secret } from '../../apimachinery/generated/types.js';
import type { ObjectLookup } from '../env/environment.js';
import type { EventRecorder } from '../events.js';

export const FAILED_TO_RETRIEVE_IMAGE_PULL_SECRET = 'FailedToRetrieveImagePullSecret';

export interface PullSecretsOptions {
  lookup: Pick<ObjectLookup, 'secret'>;
  recorder: EventRecorder;
}

function podRef(pod: Pod): ObjectReference {
  const m = pod.metadata ?? {};
  return { kind: 'Pod', apiVersion: 'v1', namespace: m.namespace, name: m.name, uid: m.uid, resourceVersion: m.resourceVersion };
}

export async function podPullSecrets(pod: Pod, opts: PullSecretsOptions): Promise<Secret[]> {
  const ns = pod.metadata?.namespace ?? 'default';
  const names = (pod.spec?.imagePullSecrets ?? []).map((r) => r.name ?? '').filter((n) => n !== '');
  const found = await Promise.all(names.map((n) => opts.lookup.secret(ns, n).catch(() => undefined)));
  const failed = names.filter((_, i) => found[i] === undefined);
  if (failed.length) {
    opts.recorder.event(podRef(pod), 'Warning', FAILED_TO_RETRIEVE_IMAGE_PULL_SECRET,
      `Unable to retrieve some image pull secrets (${failed.join(', ')}); attempting to pull the image may not succeed.`);
  }
  return found.filter((s): s is Secret => s !== undefined);
}
