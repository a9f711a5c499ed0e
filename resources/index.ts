export * from './tables.js';
export * from './pipeline.js';
export * from './limits.js';
export * from './environment.js';
export * from './routes.js';
export * from './lake.js';
export * from './cors.js';
export * from './partitions.js';
