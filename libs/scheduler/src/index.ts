export * from './types';
export { SchedulerInputError, SchedulerConflictError } from './errors';
export { Fleet, PlacementBuffer, MAX_SLOTS, MAX_PFLOPS, MAX_GREEN_W } from './fleet';
export { toTflops, drawWatts, mwToWatts, requiredGreenWh, priceOf } from './price';
export { packBatch, DEFAULT_STRATEGIES } from './batch';
export type { BatchOptions, BatchResult, BatchStrategy } from './batch';
export { runInstance, parseInstance } from './instance';
