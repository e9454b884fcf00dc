/** The API client: REST, informers, work queue, expectations, leader election. */
export * from './rest-client.js';
export * from './informer.js';
export * from './work-queue.js';
export * from './expectations.js';
export * from './leader-election.js';
export type { Logger } from './logger.js';
export { silentLogger } from './logger.js';
export * from './discovery.js';
