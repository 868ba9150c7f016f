export * from './registry.js';
export * from './catalog.js';
export type * from './types.js';
