export * from './types';
export { SchedulerInputError, SchedulerConflictError } from './errors';
export { Fleet, PlacementBuffer, MAX_SLOTS, MAX_PFLOPS, MAX_GREEN_W } from './fleet';
export { toTflops, drawWatts, mwToWatts, requiredGreenWh, priceOf } from './price';
