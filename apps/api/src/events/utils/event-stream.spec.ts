import { EventEmitter } from 'node:events';
import { mergeLedgerChanges } from '../events.service';
import { COALESCE_AFTER, eventStream, MAX_BUFFERED, MISSED } from './event-stream';

const missed = (why: string) => new Error(`missed: ${why}`);

async function drain(it: AsyncIterableIterator<number>): Promise<{ got: number[]; error: string | null }> {
  const got: number[] = [];
  try {
    for (;;) {
      const r = await it.next();
      if (r.done) return { got, error: null };
      got.push(r.value);
    }
  } catch (e) {
    return { got, error: (e as Error).message };
  }
}

describe('eventStream: events are never lost silently', () => {
  it('delivers what was queued, then ends with an error when the emitter says events were missed', async () => {
    const bus = new EventEmitter();
    const it = eventStream<number, number>(bus, 'e', (x) => x * 10, missed);
    bus.emit('e', 1);
    bus.emit('e', 2);
    bus.emit(MISSED, 'listener reconnected');
    bus.emit('e', 3); // after the gap: not delivered on this stream
    expect(await drain(it)).toEqual({ got: [10, 20], error: 'missed: listener reconnected' });
    expect(bus.listenerCount('e') + bus.listenerCount(MISSED)).toBe(0);
  });

  // found by a black-box review: a round of 1,201 requests ended every bookingEvents
  // subscription, including those of startups with one event or none in it
  it("others' events dropped by `accepts` never queue, so a burst of them does not end the stream", async () => {
    const bus = new EventEmitter();
    const it = eventStream<number, number>(bus, 'e', (x) => x, missed, { accepts: (x) => x % 10_000 === 7 });
    for (let i = 0; i < 3 * MAX_BUFFERED; i++) bus.emit('e', i);
    const first = await it.next();
    expect(first).toEqual({ value: 7, done: false });
    expect(await it.next()).toEqual({ value: 10_007, done: false });
    expect(await it.next()).toEqual({ value: 20_007, done: false });
    await it.return!();
    expect(bus.listenerCount('e')).toBe(0);
  });

  it('ends a reader that falls more than MAX_BUFFERED events behind, after those it has', async () => {
    const bus = new EventEmitter();
    const it = eventStream<number, number>(bus, 'e', (x) => x, missed);
    for (let i = 0; i < MAX_BUFFERED + 5; i++) bus.emit('e', i);
    const r = await drain(it);
    expect(r.got).toEqual(Array.from({ length: MAX_BUFFERED }, (_, i) => i));
    expect(r.error).toMatch(/^missed: more than 10000 events waited/);
    expect(bus.listenerCount('e')).toBe(0);
  });

  // found by a review of live events: a few hundred changes of a few clusters ended every fleet-wide
  // utilizationChanged, though each change's figures are read when it is delivered
  it('with `coalesce`, a reader far behind has events of one key merged: a burst of them neither floods nor ends the stream', async () => {
    const bus = new EventEmitter();
    const it = eventStream<{ k: string; n: number[] }, { k: string; n: number[] }>(bus, 'e', (x) => x, missed, {
      coalesce: { key: (x) => x.k, merge: (a, b) => ({ k: a.k, n: [...a.n, ...b.n] }) },
    });
    for (let i = 0; i < 3 * MAX_BUFFERED; i++) bus.emit('e', { k: `c${i % 3}`, n: [i] });
    const got: { k: string; n: number[] }[] = [];
    while (got.length < COALESCE_AFTER) got.push((await it.next()).value as { k: string; n: number[] });
    // COALESCE_AFTER events waited, no more: the first on their own, each key's later ones merged
    // into its last waiting event
    const single = COALESCE_AFTER - 3;
    expect(got.slice(0, single).map((x) => x.n)).toEqual(Array.from({ length: single }, (_, i) => [i]));
    expect(got.slice(single).map((x) => [x.k, x.n.length])).toEqual([
      ['c1', MAX_BUFFERED - 20],
      ['c2', MAX_BUFFERED - 20],
      ['c0', MAX_BUFFERED - 21],
    ]);
    expect(got.flatMap((x) => x.n).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 3 * MAX_BUFFERED }, (_, i) => i),
    );
    // once delivered, a key's next event waits on its own again
    bus.emit('e', { k: 'c0', n: [-1] });
    expect((await it.next()).value).toEqual({ k: 'c0', n: [-1] });
    await it.return!();
    expect(bus.listenerCount('e')).toBe(0);
  });

  it("merges two changes of one cluster into the union of their hours (a range's hours listed)", () => {
    const H = 3_600_000;
    expect(
      mergeLedgerChanges(
        { clusterId: 'c', from: 10 * H, to: 12 * H },
        { clusterId: 'c', from: 5 * H, to: 16 * H, hours: [5 * H, 11 * H, 15 * H] },
      ),
    ).toEqual({ clusterId: 'c', from: 5 * H, to: 16 * H, hours: [5 * H, 10 * H, 11 * H, 15 * H] });
  });

  it('a reader that keeps up gets every event and no error', async () => {
    const bus = new EventEmitter();
    const it = eventStream<number, number>(bus, 'e', (x) => (x % 2 ? x : undefined), missed);
    const got: number[] = [];
    for (let i = 0; i < 3 * MAX_BUFFERED; i++) {
      bus.emit('e', i);
      if (i % 2) got.push((await it.next()).value as number);
    }
    expect(got).toHaveLength((3 * MAX_BUFFERED) / 2);
    await it.return!();
    expect(bus.listenerCount('e') + bus.listenerCount(MISSED)).toBe(0);
  });
});
