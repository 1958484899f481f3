export { Fleet } from './fleet';
export { PlacementBuffer } from './placement-buffer';
export { MAX_SLOTS, MAX_PFLOPS, MAX_GREEN_W, MAX_GRID_W, GRID_UNLIMITED } from '../domain/limits';
