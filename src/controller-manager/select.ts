/**
 * Parses a kube-controller-manager style `--controllers` list: `*` (all), names, and `-name` to
 * leave one out (`*,-deployment`). An empty list runs no controller.
 */
import { ALL_CONTROLLERS } from './index.js';
import type { ControllerName } from './index.js';

export function selectControllers(list: string): ControllerName[] {
  const items = list.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const known = new Set<string>(ALL_CONTROLLERS);
  const chosen = new Set<ControllerName>();
  const excluded = new Set<string>();
  for (const item of items) {
    const name = item.startsWith('-') ? item.slice(1) : item;
    if (name !== '*' && !known.has(name)) {
      throw new Error(`unknown controller "${name}" in --controllers (known: ${ALL_CONTROLLERS.join(', ')})`);
    }
    if (item.startsWith('-')) excluded.add(name);
    else if (name === '*') ALL_CONTROLLERS.forEach((c) => chosen.add(c));
    else chosen.add(name as ControllerName);
  }
  return ALL_CONTROLLERS.filter((c) => chosen.has(c) && !excluded.has(c));
}
