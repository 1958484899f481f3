import { BLOCK_BITS, SUPER_BITS, Timeline } from '../timeline';

const L1 = BLOCK_BITS;
const L2 = SUPER_BITS;

/**
 * First start s in [from, end - hours] whose slots all have free >= tf; -1 if none.
 * Checks each candidate window from its last slot backwards (a blocked slot at t moves the
 * candidate to t + 1, skipping up to `hours` slots), remembers the verified-free prefix so no slot
 * is read twice, and uses the block summaries to jump over fully blocked (max < tf) and to accept
 * fully free (min >= tf) 64-slot blocks, and fully blocked 4,096-slot blocks.
 * Complexity: O(blocks skipped + slots scanned in partly-free blocks).
 */
export function earliestStart(tl: Timeline, tf: number, hours: number, from: number, end: number): number {
  const cap = tl.capacityTf;
  const booked = tl.bookedTf;
  const max1 = tl.freeMax64;
  const min1 = tl.freeMin64;
  const max2 = tl.freeMax4096;
  let s = from;
  let known = from; // [s, known) verified free
  while (s + hours <= end) {
    if (known <= s) {
      known = s;
      if (max2[s >> L2] < tf) {
        s = ((s >> L2) + 1) << L2;
        continue;
      }
      if (max1[s >> L1] < tf) {
        s = ((s >> L1) + 1) << L1;
        continue;
      }
    }
    let t = s + hours - 1;
    while (t >= known) {
      if ((t & 63) === 63 && t - 63 >= known && min1[t >> L1] >= tf) {
        t -= 64;
        continue;
      }
      if (cap[t] - booked[t] < tf) break;
      t--;
    }
    if (t < known) return s;
    known = s + hours;
    s = t + 1;
  }
  return -1;
}
