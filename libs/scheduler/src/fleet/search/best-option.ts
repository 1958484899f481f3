import { INT32_MAX } from '../timeline';

/**
 * The best option found so far for the current request, and whether capacity alone would fit
 * somewhere (to tell GREEN_SHORTFALL from NO_CAPACITY). Ties go to the earlier start, then to
 * the cluster earlier in the request's list (`listPos`).
 */
export class BestOption {
  /** cluster index, -1 while none */
  cluster = -1;
  start = INT32_MAX;
  /** position of the cluster in the request's list */
  listPos = INT32_MAX;
  /** GREENEST: green Wh of the option */
  greenWh = -1;
  /** CHEAPEST: total price of the option */
  cost = Infinity;
  capacityFits = false;
  /** a slot or block with the capacity was turned down by its site's grid cap during the search */
  gridBlocked = false;
  /** a start with the capacity and the green share was turned down by the grid (the capped slides, windows-grid.ts) */
  greenFit = false;

  reset(): void {
    this.cluster = -1;
    this.start = INT32_MAX;
    this.listPos = INT32_MAX;
    this.greenWh = -1;
    this.cost = Infinity;
    this.capacityFits = false;
    this.gridBlocked = false;
    this.greenFit = false;
  }

  /** Whether (start, listPos) wins a tie against the best option. */
  winsTie(start: number, listPos: number): boolean {
    return start < this.start || (start === this.start && listPos < this.listPos);
  }
}
