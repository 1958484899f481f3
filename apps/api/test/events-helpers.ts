// Moved to ./support/events-helpers; new files import from './support/events-helpers'. Kept for specs still in flight.
export * from './support/events-helpers';
