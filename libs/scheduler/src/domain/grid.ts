/**
 * The grid rule. A site (a campus behind one grid connection) has a reserved grid capacity per
 * slot. A booking draws `drawW` in each of its slots; the green it took there covers part of it and
 * the rest, `drawW - greenW`, comes from the grid. In every slot the grid W of all the bookings on
 * all the clusters of a site must stay within the site's cap.
 *
 * Since a placement takes min(drawW, green still free) in each slot, a start is grid-feasible iff in
 * every slot of its run `gridNeedW(drawW, greenFreeW) <= capW - usedW`; with a free grid >= 0 that is
 * `gridFreeW + greenFreeW >= drawW` (the form the search uses: one comparison, no min).
 * Complexity: O(1).
 */

/** Grid W a booking draws in a slot where it takes `greenW` of green. */
export function gridDrawW(drawW: number, greenW: number): number {
  return drawW - greenW;
}

/** Grid W a new placement drawing `drawW` needs in a slot with `greenFreeW` of green still free. */
export function gridNeedW(drawW: number, greenFreeW: number): number {
  return greenFreeW >= drawW ? 0 : drawW - (greenFreeW > 0 ? greenFreeW : 0);
}

/** Whether that need fits a site slot with `gridFreeW` (= cap - used, Infinity when unlimited) still free. */
export function fitsGrid(drawW: number, greenFreeW: number, gridFreeW: number): boolean {
  return gridNeedW(drawW, greenFreeW) <= gridFreeW;
}
