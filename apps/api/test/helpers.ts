// Moved to ./support/helpers; new files import from './support/helpers'. Kept for specs still in flight.
export * from './support/helpers';
