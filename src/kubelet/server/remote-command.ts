/**
 * `kubectl exec` and `kubectl attach` on the kubelet: not built yet (answers 501).
 */
import type { UpgradeHandler } from './upgrade-routes.js';
import { rejectUpgrade } from './upgrade-routes.js';

export const handleExec: UpgradeHandler = (_req, socket) => rejectUpgrade(socket, 501, 'exec is not implemented yet');
export const handleAttach: UpgradeHandler = (_req, socket) => rejectUpgrade(socket, 501, 'attach is not implemented yet');
