export * from './types';
export * from './domain';
export { SchedulerInputError, SchedulerConflictError } from './errors';
export { Fleet, PlacementBuffer } from './fleet';
export { packBatch, DEFAULT_STRATEGIES } from './batch';
export type { BatchOptions, BatchResult, BatchStrategy } from './batch';
export { runInstance, parseInstance } from './instance';
export { shareGreen, proRata, applyRevision } from './green-revision';
export type { GreenHolder, RevisedBooking, RevisedHour } from './green-revision';
