export * from './names.js';
export * from './network.js';
export * from './field.js';
export * from './object-meta.js';
export * from './label-selector.js';
