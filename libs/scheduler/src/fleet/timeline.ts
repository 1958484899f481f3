/**
 * One cluster's timelines over the horizon, with the block summaries that let the search skip
 * what cannot fit. Per slot: Int32 capacity and free TFLOPS (booked = capacity - free), Int32
 * green supply and free green in W (allocated = supply - free), so that the search reads one array
 * for each, and a Float64 green price weight (24 bytes); once read, a Float64 grid draw of the
 * bookings (8 bytes); per 64-
 * and 4,096-slot block the max and min of free TFLOPS, per 64-slot block the max of free green W
 * (about 0.13 bytes per slot). A time-of-use tariff adds a Float64 grid price per slot and its
 * min per 64-slot block, allocated only when the cluster's price first varies (or is asked for).
 */

/** log2 of the slots in a block (64) and in a superblock (4,096) of the summaries. */
export const BLOCK_BITS = 6;
export const SUPER_BITS = 12;
export const INT32_MAX = 2147483647;
/** -INT32_MAX, the start of a max scan (a constant: a unary minus in code that runs rarely deoptimizes it) */
export const NEG_INT32_MAX = -2147483647;
const NONE = new Float64Array(0);

export class Timeline {
  readonly capacityTf: Int32Array;
  readonly greenSupplyW: Int32Array;
  /** free TFLOPS per slot: capacity - booked */
  readonly freeTf: Int32Array;
  /** free green W per slot: supply - allocated */
  readonly greenFreeW: Int32Array;
  /** sum over the windows covering the slot of supply W x price per MWh: price = weight / supply */
  readonly greenPriceWeight: Float64Array;
  /** free TFLOPS (capacity - booked), max and min per 64-slot block */
  readonly freeMax64: Int32Array;
  readonly freeMin64: Int32Array;
  /** free TFLOPS, max and min per 4,096-slot superblock */
  readonly freeMax4096: Int32Array;
  readonly freeMin4096: Int32Array;
  /** free green W (supply - alloc), max per 64-slot block */
  readonly greenFreeMax64: Int32Array;
  /**
   * A lower bound on the green price of any slot (the lowest price ever supplied here; a slot's
   * price is an average of such prices), Infinity before any green. It only falls, so it stays a
   * bound whatever is loaded or added later.
   */
  greenPriceFloor = Infinity;
  /**
   * sum over the bookings of their grid draw (drawW - greenW) per slot, W: exact integers, a
   * Float64Array because one draw can reach 2e14 W. Kept while `gridLive`: a cluster gets it from
   * its bookings when it is first read (Fleet.liveGrid; a cluster alone on a capped site, whose
   * site's used grid it is, at the first cap), so that commits do not write a cold array no one
   * reads (a site of several clusters keeps their sum in Site.usedW).
   */
  gridW: Float64Array = NONE;
  gridLive = false;
  /** the flat grid price (ClusterSpec.gridPricePerMwh), the price of every slot without a tariff */
  flatGridPrice = 0;
  /** per-slot grid price, null until the price first varies or is asked for (then flat where not set) */
  gridPrice: Float64Array | null = null;
  /** min grid price per 64-slot block (with gridPrice) */
  gridPriceMin64: Float64Array | null = null;
  /** slots whose price differs from flatGridPrice: 0 = flat tariff, the search's fast path */
  tariffSlots = 0;

  constructor(readonly slots: number) {
    const blocks = (slots + 63) >> BLOCK_BITS;
    const supers = (slots + 4095) >> SUPER_BITS;
    this.capacityTf = new Int32Array(slots);
    this.greenSupplyW = new Int32Array(slots);
    this.freeTf = new Int32Array(slots);
    this.greenFreeW = new Int32Array(slots);
    this.greenPriceWeight = new Float64Array(slots);
    this.freeMax64 = new Int32Array(blocks);
    this.freeMin64 = new Int32Array(blocks);
    this.freeMax4096 = new Int32Array(supers);
    this.freeMin4096 = new Int32Array(supers);
    this.greenFreeMax64 = new Int32Array(blocks);
  }

  /** The per-slot grid price array, allocated (flat) on first use. */
  prices(): Float64Array {
    if (this.gridPrice === null) {
      this.gridPrice = new Float64Array(this.slots).fill(this.flatGridPrice);
      this.gridPriceMin64 = new Float64Array((this.slots + 63) >> BLOCK_BITS).fill(this.flatGridPrice);
    }
    return this.gridPrice;
  }

  /** Sets the grid price of slot `from + i` to `price[i]` (or `price` in all of [from, to)), keeping the count of tariff slots and the block mins. */
  setPrices(from: number, to: number, price: number | ArrayLike<number>): void {
    if (to <= from) return;
    const gp = this.prices();
    const flat = this.flatGridPrice;
    let n = this.tariffSlots;
    for (let t = from; t < to; t++) {
      const p = typeof price === 'number' ? price : price[t - from];
      if (gp[t] !== flat) n--;
      if (p !== flat) n++;
      gp[t] = p;
    }
    this.tariffSlots = n;
    const m = this.gridPriceMin64 as Float64Array;
    for (let b = from >> BLOCK_BITS; b <= (to - 1) >> BLOCK_BITS; b++) {
      const a = b << BLOCK_BITS;
      const z = a + 64 < this.slots ? a + 64 : this.slots;
      let mn = Infinity;
      for (let t = a; t < z; t++) if (gp[t] < mn) mn = gp[t];
      m[b] = mn;
    }
  }

  copyFrom(o: Timeline): void {
    this.capacityTf.set(o.capacityTf);
    this.greenSupplyW.set(o.greenSupplyW);
    this.freeTf.set(o.freeTf);
    this.greenFreeW.set(o.greenFreeW);
    this.greenPriceWeight.set(o.greenPriceWeight);
    this.freeMax64.set(o.freeMax64);
    this.freeMin64.set(o.freeMin64);
    this.freeMax4096.set(o.freeMax4096);
    this.freeMin4096.set(o.freeMin4096);
    this.greenFreeMax64.set(o.greenFreeMax64);
    this.greenPriceFloor = o.greenPriceFloor;
    this.gridW = o.gridLive ? o.gridW.slice() : NONE;
    this.gridLive = o.gridLive;
    this.flatGridPrice = o.flatGridPrice;
    this.tariffSlots = o.tariffSlots;
    if (o.gridPrice !== null) {
      this.prices().set(o.gridPrice);
      (this.gridPriceMin64 as Float64Array).set(o.gridPriceMin64 as Float64Array);
    } else {
      this.gridPrice = null;
      this.gridPriceMin64 = null;
    }
  }

  byteLength(): number {
    return (
      this.capacityTf.byteLength +
      this.greenSupplyW.byteLength +
      this.freeTf.byteLength +
      this.greenFreeW.byteLength +
      this.greenPriceWeight.byteLength +
      this.freeMax64.byteLength +
      this.freeMin64.byteLength +
      this.freeMax4096.byteLength +
      this.freeMin4096.byteLength +
      this.greenFreeMax64.byteLength +
      this.gridW.byteLength +
      (this.gridPrice === null ? 0 : this.gridPrice.byteLength + (this.gridPriceMin64 as Float64Array).byteLength)
    );
  }

  /** Adds a green window's `watts` at `pricePerMwh` to every slot of [from, to). */
  addGreen(from: number, to: number, watts: number, pricePerMwh: number): void {
    const supply = this.greenSupplyW;
    const gfree = this.greenFreeW;
    const weight = this.greenPriceWeight;
    for (let t = from; t < to; t++) {
      supply[t] += watts;
      gfree[t] += watts;
      weight[t] += watts * pricePerMwh;
    }
    this.lowerPriceFloor(watts > 0 && to > from, pricePerMwh);
  }

  /** Sets the capacity of [from, to) to `tf` TFLOPS, keeping what is booked (free follows). */
  setCapacity(from: number, to: number, tf: number): void {
    const cap = this.capacityTf;
    const free = this.freeTf;
    for (let t = from; t < to; t++) {
      free[t] = tf - (cap[t] - free[t]);
      cap[t] = tf;
    }
  }

  /** Notes a price that now supplies green somewhere (when `supplied`). */
  lowerPriceFloor(supplied: boolean, pricePerMwh: number): void {
    if (supplied && pricePerMwh < this.greenPriceFloor) this.greenPriceFloor = pricePerMwh;
  }
}
