import type { Site } from '../site';
import type { BestOption } from './best-option';
import { BLOCK_BITS, SUPER_BITS, Timeline } from '../timeline';

const L1 = BLOCK_BITS;
const L2 = SUPER_BITS;

/**
 * First start s in [from, end - hours] whose slots all have free >= tf; -1 if none.
 * Checks each candidate window from its last slot backwards (a blocked slot at t moves the
 * candidate to t + 1, skipping up to `hours` slots), remembers the verified-free prefix so no slot
 * is read twice, and uses the block summaries to jump over fully blocked (max < tf) and to accept
 * fully free (min >= tf) 64-slot blocks, and fully blocked 4,096-slot blocks. The jumps' targets
 * are computed on the common path and the scan keeps `u` one past the slot it reads, so that
 * compiled code has seen every operation run before a cluster first fills up (one it has not
 * seen deoptimizes this function and each one it was inlined into).
 * Complexity: O(blocks skipped + slots scanned in partly-free blocks).
 */
export function earliestStart(tl: Timeline, tf: number, hours: number, from: number, end: number): number {
  const free = tl.freeTf;
  const max1 = tl.freeMax64;
  const min1 = tl.freeMin64;
  const max2 = tl.freeMax4096;
  let s = from;
  let known = from; // [s, known) verified free
  while (s + hours <= end) {
    if (known <= s) {
      known = s;
      const b2 = s >> L2;
      const next2 = (b2 + 1) << L2;
      const b1 = s >> L1;
      const next1 = (b1 + 1) << L1;
      if (max2[b2] < tf) {
        s = next2;
        continue;
      }
      if (max1[b1] < tf) {
        s = next1;
        continue;
      }
    }
    const sh = s + hours;
    let u = sh;
    while (u > known) {
      if ((u & 63) === 0 && u - 64 >= known && min1[(u - 1) >> L1] >= tf) {
        u -= 64;
        continue;
      }
      if (free[u - 1] < tf) break;
      u--;
    }
    if (u <= known) return s;
    known = sh;
    s = u;
  }
  return -1;
}

/**
 * earliestStart on a cluster whose site has a grid cap: the first start s in [from, end - hours]
 * whose slots all have free >= tf and fit the site's grid (domain/grid.ts: free grid + free green
 * >= draw, since the run takes min(draw, free green)); -1 if none. The same backward scan; a
 * 64-slot block is skipped when capacity or grid blocks every slot of it (max free grid + max free
 * green < draw) and accepted when both fit all of it (min free >= tf and min free grid >= draw).
 * Sets `best.gridBlocked` when the grid, not capacity, turned a slot or block down (a refusal
 * then has to tell GRID_LIMIT apart). Complexity: as earliestStart.
 */
export function earliestStartGrid(
  tl: Timeline,
  site: Site,
  best: BestOption,
  tf: number,
  draw: number,
  hours: number,
  from: number,
  end: number,
): number {
  const free = tl.freeTf;
  const gfree = tl.greenFreeW;
  const max1 = tl.freeMax64;
  const min1 = tl.freeMin64;
  const max2 = tl.freeMax4096;
  const gm = tl.greenFreeMax64;
  const gf = site.freeW;
  const gmax = site.freeMax64;
  const gmin = site.freeMin64;
  let s = from;
  let known = from; // [s, known) verified to fit
  while (s + hours <= end) {
    if (known <= s) {
      known = s;
      if (max2[s >> L2] < tf) {
        s = ((s >> L2) + 1) << L2;
        continue;
      }
      const b = s >> L1;
      if (max1[b] < tf || gmax[b] + gm[b] < draw) {
        if (max1[b] >= tf) best.gridBlocked = true;
        s = (b + 1) << L1;
        continue;
      }
    }
    let t = s + hours - 1;
    while (t >= known) {
      if ((t & 63) === 63 && t - 63 >= known && min1[t >> L1] >= tf && gmin[t >> L1] >= draw) {
        t -= 64;
        continue;
      }
      if (free[t] < tf) break;
      // a block whose free grid covers the draw everywhere needs no look at the slot
      if (gmin[t >> L1] < draw && gf[t] + gfree[t] < draw) {
        best.gridBlocked = true;
        break;
      }
      t--;
    }
    if (t < known) return s;
    known = s + hours;
    s = t + 1;
  }
  return -1;
}
