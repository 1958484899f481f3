export * from './types';
export { SchedulerInputError, SchedulerConflictError } from './errors';
export { Fleet, PlacementBuffer } from './fleet';
export { MAX_SLOTS, MAX_PFLOPS, MAX_GREEN_W, CLUSTER_LIMITS, GREEN_WINDOW_LIMITS, RANGE_SLOT_LIMITS } from './limits';
export { toTflops, drawWatts, mwToWatts, requiredGreenWh, priceOf } from './price';
export { packBatch, DEFAULT_STRATEGIES } from './batch';
export type { BatchOptions, BatchResult, BatchStrategy } from './batch';
export { runInstance, parseInstance } from './instance';
