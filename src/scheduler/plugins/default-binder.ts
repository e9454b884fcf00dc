/**
 * DefaultBinder: binds through the API (POST pods/binding) (upstream plugins/defaultbinder).
 */
import type { BindPlugin, Handle } from '../framework/interfaces.js';
import { Status } from '../framework/status.js';

export const NAME = 'DefaultBinder';

export function create(handle: Pick<Handle, 'api'>) {
  return {
    name: NAME,
    async bind(_state, pod, nodeName) {
      try {
        await handle.api.bindPod(pod, nodeName);
        return Status.SUCCESS;
      } catch (e) {
        return Status.error(e);
      }
    },
  } satisfies BindPlugin;
}
