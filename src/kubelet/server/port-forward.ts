/**
 * `kubectl port-forward` on the kubelet: not built yet (answers 501).
 */
import type { UpgradeHandler } from './upgrade-routes.js';
import { rejectUpgrade } from './upgrade-routes.js';

export const handlePortForward: UpgradeHandler = (_req, socket) => rejectUpgrade(socket, 501, 'port-forward is not implemented yet');
