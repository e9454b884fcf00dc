/** ServiceAccounts: generic behaviour, no spec. */
import type { Strategy } from '../strategy.js';

export const serviceAccountStrategy: Strategy = {
  generationFields: [],
};
