import { BLOCK_BITS, INT32_MAX, NEG_INT32_MAX, SUPER_BITS, Timeline } from './timeline';

/**
 * Upkeep of a timeline's block summaries. A booking or a release changes free capacity by the
 * same amount in every slot it touches, so the summaries are patched from that delta and rescanned
 * only where a touched slot held the bound that moves away.
 */

const L1 = BLOCK_BITS;
const L2 = SUPER_BITS;

/** Recomputes the free-capacity summaries of the blocks touching [from, to). Complexity: O(blocks x 64). */
export function refreshFree(tl: Timeline, from: number, to: number): void {
  if (to <= from) return;
  const free = tl.freeTf;
  const max1 = tl.freeMax64;
  const min1 = tl.freeMin64;
  const n = tl.slots;
  for (let b = from >> L1; b <= (to - 1) >> L1; b++) {
    const a = b << L1;
    const z = a + 64 < n ? a + 64 : n;
    let mx = NEG_INT32_MAX;
    let mn = INT32_MAX;
    for (let t = a; t < z; t++) {
      const f = free[t];
      if (f > mx) mx = f;
      if (f < mn) mn = f;
    }
    max1[b] = mx;
    min1[b] = mn;
  }
  const max2 = tl.freeMax4096;
  const min2 = tl.freeMin4096;
  const n1 = max1.length;
  for (let B = from >> L2; B <= (to - 1) >> L2; B++) {
    const a = B << (L2 - L1);
    const z = a + 64 < n1 ? a + 64 : n1;
    let mx = NEG_INT32_MAX;
    let mn = INT32_MAX;
    for (let b = a; b < z; b++) {
      if (max1[b] > mx) mx = max1[b];
      if (min1[b] < mn) mn = min1[b];
    }
    max2[B] = mx;
    min2[B] = mn;
  }
}

/**
 * Patches the free-capacity summaries after free changed by `delta` (< 0 booking, > 0 release)
 * in every slot of [from, to): the bound that moves with delta is updated directly, the other
 * one is recomputed only when a touched slot held it.
 */
export function patchFree(tl: Timeline, from: number, to: number, delta: number): void {
  const free = tl.freeTf;
  const max1 = tl.freeMax64;
  const min1 = tl.freeMin64;
  const max2 = tl.freeMax4096;
  const min2 = tl.freeMin4096;
  const n = tl.slots;
  const n1 = max1.length;
  for (let b = from >> L1; b <= (to - 1) >> L1; b++) {
    const a = b << L1;
    const z = a + 64 < n ? a + 64 : n;
    const lo = a > from ? a : from;
    const hi = z < to ? z : to;
    const oldMax = max1[b];
    const oldMin = min1[b];
    // bounds over the touched slots, and whether one of them held the bound that can move away
    let tmx = NEG_INT32_MAX;
    let tmn = INT32_MAX;
    let held = false;
    for (let t = lo; t < hi; t++) {
      const f = free[t];
      if (f > tmx) tmx = f;
      if (f < tmn) tmn = f;
      if (f - delta === (delta < 0 ? oldMax : oldMin)) held = true;
    }
    let mx: number;
    let mn: number;
    if (delta < 0) {
      // booking: free only fell, so the max is found again as soon as an untouched slot has it
      mn = tmn < oldMin ? tmn : oldMin;
      mx = held ? tmx : oldMax;
      if (held) {
        for (let t = a; t < z && mx < oldMax; t++) {
          if (t === lo) t = hi;
          if (t >= z) break;
          const f = free[t];
          if (f > mx) mx = f;
        }
      }
    } else {
      // release: free only rose, symmetric for the min
      mx = tmx > oldMax ? tmx : oldMax;
      mn = held ? tmn : oldMin;
      if (held) {
        for (let t = a; t < z && mn > oldMin; t++) {
          if (t === lo) t = hi;
          if (t >= z) break;
          const f = free[t];
          if (f < mn) mn = f;
        }
      }
    }
    max1[b] = mx;
    min1[b] = mn;
    const B = b >> (L2 - L1);
    const ba = B << (L2 - L1);
    const bz = ba + 64 < n1 ? ba + 64 : n1;
    if (delta < 0) {
      if (mn < min2[B]) min2[B] = mn;
      const old2 = max2[B];
      if (oldMax === old2 && mx < oldMax) {
        let X = NEG_INT32_MAX;
        for (let q = ba; q < bz && X < old2; q++) if (max1[q] > X) X = max1[q];
        max2[B] = X;
      }
    } else {
      if (mx > max2[B]) max2[B] = mx;
      const old2 = min2[B];
      if (oldMin === old2 && mn > oldMin) {
        let M = INT32_MAX;
        for (let q = ba; q < bz && M > old2; q++) if (min1[q] < M) M = min1[q];
        min2[B] = M;
      }
    }
  }
}

/** Recomputes the free-green summary of the blocks touching [from, to). */
export function refreshGreenFree(tl: Timeline, from: number, to: number): void {
  if (to <= from) return;
  const gfree = tl.greenFreeW;
  const g = tl.greenFreeMax64;
  const n = tl.slots;
  for (let b = from >> L1; b <= (to - 1) >> L1; b++) {
    const a = b << L1;
    const z = a + 64 < n ? a + 64 : n;
    let mx = 0;
    for (let t = a; t < z; t++) {
      const f = gfree[t];
      if (f > mx) mx = f;
    }
    g[b] = mx;
  }
}

/**
 * Recomputes the free-green max of one 64-slot block after green was taken from it: free green
 * only fell, so the scan stops as soon as a slot still has the old max.
 */
export function rescanGreenBlock(tl: Timeline, b: number): void {
  const gfree = tl.greenFreeW;
  const old = tl.greenFreeMax64[b];
  const a = b << L1;
  const z = a + 64 < tl.slots ? a + 64 : tl.slots;
  let mx = 0;
  for (let u = a; u < z && mx < old; u++) {
    const f = gfree[u];
    if (f > mx) mx = f;
  }
  tl.greenFreeMax64[b] = mx;
}
