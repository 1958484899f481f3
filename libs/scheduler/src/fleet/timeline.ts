/**
 * One cluster's timelines over the horizon, with the block summaries that let the search skip
 * what cannot fit. Per slot: Int32 capacity and booked TFLOPS, Int32 green supply and allocation
 * in W and a Float64 green price weight (24 bytes); per 64- and 4,096-slot block the max and min
 * of free TFLOPS, per 64-slot block the max of free green W (about 0.13 bytes per slot).
 */

/** log2 of the slots in a block (64) and in a superblock (4,096) of the summaries. */
export const BLOCK_BITS = 6;
export const SUPER_BITS = 12;
export const INT32_MAX = 2147483647;

export class Timeline {
  readonly capacityTf: Int32Array;
  readonly bookedTf: Int32Array;
  readonly greenSupplyW: Int32Array;
  readonly greenAllocW: Int32Array;
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

  constructor(readonly slots: number) {
    const blocks = (slots + 63) >> BLOCK_BITS;
    const supers = (slots + 4095) >> SUPER_BITS;
    this.capacityTf = new Int32Array(slots);
    this.bookedTf = new Int32Array(slots);
    this.greenSupplyW = new Int32Array(slots);
    this.greenAllocW = new Int32Array(slots);
    this.greenPriceWeight = new Float64Array(slots);
    this.freeMax64 = new Int32Array(blocks);
    this.freeMin64 = new Int32Array(blocks);
    this.freeMax4096 = new Int32Array(supers);
    this.freeMin4096 = new Int32Array(supers);
    this.greenFreeMax64 = new Int32Array(blocks);
  }

  copyFrom(o: Timeline): void {
    this.capacityTf.set(o.capacityTf);
    this.bookedTf.set(o.bookedTf);
    this.greenSupplyW.set(o.greenSupplyW);
    this.greenAllocW.set(o.greenAllocW);
    this.greenPriceWeight.set(o.greenPriceWeight);
    this.freeMax64.set(o.freeMax64);
    this.freeMin64.set(o.freeMin64);
    this.freeMax4096.set(o.freeMax4096);
    this.freeMin4096.set(o.freeMin4096);
    this.greenFreeMax64.set(o.greenFreeMax64);
    this.greenPriceFloor = o.greenPriceFloor;
  }

  byteLength(): number {
    return (
      this.capacityTf.byteLength +
      this.bookedTf.byteLength +
      this.greenSupplyW.byteLength +
      this.greenAllocW.byteLength +
      this.greenPriceWeight.byteLength +
      this.freeMax64.byteLength +
      this.freeMin64.byteLength +
      this.freeMax4096.byteLength +
      this.freeMin4096.byteLength +
      this.greenFreeMax64.byteLength
    );
  }

  /** Adds a green window's `watts` at `pricePerMwh` to every slot of [from, to). */
  addGreen(from: number, to: number, watts: number, pricePerMwh: number): void {
    const supply = this.greenSupplyW;
    const weight = this.greenPriceWeight;
    for (let t = from; t < to; t++) {
      supply[t] += watts;
      weight[t] += watts * pricePerMwh;
    }
    this.lowerPriceFloor(watts > 0 && to > from, pricePerMwh);
  }

  /** Notes a price that now supplies green somewhere (when `supplied`). */
  lowerPriceFloor(supplied: boolean, pricePerMwh: number): void {
    if (supplied && pricePerMwh < this.greenPriceFloor) this.greenPriceFloor = pricePerMwh;
  }
}
