import { EventEmitter } from 'node:events';
import { Admission } from './admission';
import { eventStream } from './event-stream';

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('Admission: a bounded number of units held at once, first come first served', () => {
  it('admits up to the budget, then in arrival order as units come back; a large request is not overtaken', async () => {
    const a = new Admission(10, 60_000);
    const got: string[] = [];
    const r1 = await a.acquire(6);
    const r2 = await a.acquire(4);
    expect(a.held).toBe(10);
    const big = a.acquire(8).then((r) => (got.push('big'), r));
    const small = a.acquire(1).then((r) => (got.push('small'), r));
    await turn();
    expect(got).toEqual([]);
    r2();
    r2(); // idempotent
    await turn();
    // 4 free: the 8 waits for more, and the 1 behind it waits too
    expect(got).toEqual([]);
    expect(a.held).toBe(6);
    expect(a.queued).toBe(2);
    r1();
    await turn();
    expect(got).toEqual(['big', 'small']);
    expect(a.held).toBe(9);
    (await big)();
    (await small)();
    expect(a.held).toBe(0);
  });

  it('a request larger than the budget waits until nothing else is held, then holds the whole budget', async () => {
    const a = new Admission(10, 60_000);
    const r1 = await a.acquire(3);
    let huge: (() => void) | null = null;
    void a.acquire(1_000).then((r) => (huge = r));
    await turn();
    expect(huge).toBeNull();
    r1();
    await turn();
    expect(a.held).toBe(10);
    huge!();
    expect(a.held).toBe(0);
  });

  // a chain of releases and admissions in microtasks would keep every request out until the last
  // subscriber had its event
  it('admits waiting requests in a later turn of the event loop, not in the releasing one', async () => {
    const a = new Admission(1, 60_000);
    const r = await a.acquire(1);
    let admitted = false;
    void a.acquire(1).then(() => (admitted = true));
    r();
    for (let i = 0; i < 20; i++) await Promise.resolve();
    expect(admitted).toBe(false);
    await turn();
    expect(admitted).toBe(true);
  });

  it('gives units back by itself after holdMs, so a reader that never reads cannot stall the others', async () => {
    const a = new Admission(1, 30);
    await a.acquire(1); // never released by its holder
    const t0 = Date.now();
    const next = await a.acquire(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
    next();
  });
});

describe('eventStream with admission: one large change sent to many subscribers, a few at a time', () => {
  it('delivers to at most the budget at once; each subscriber gives its share back when it asks for the next event', async () => {
    const bus = new EventEmitter();
    bus.setMaxListeners(0);
    const gate = new Admission(1_000, 60_000);
    const streams = Array.from({ length: 12 }, () =>
      eventStream<{ hours: number }, number>(bus, 'e', (e) => e.hours, Error, {
        admission: { gate, weight: (e) => e.hours },
      }),
    );
    bus.emit('e', { hours: 400 });
    const delivered: number[] = [];
    const firsts = streams.map((s, i) => s.next().then(() => delivered.push(i)));
    for (let i = 0; i < 5; i++) await turn();
    // two deliveries of 400 hours fit in 1,000
    expect(delivered).toEqual([0, 1]);
    expect(gate.held).toBe(800);
    // the first two ask for more (their messages were written out): the next two are delivered
    const waitingForMore = [streams[0].next(), streams[1].next()];
    for (let i = 0; i < 5; i++) await turn();
    expect(delivered).toEqual([0, 1, 2, 3]);
    // a subscriber that ends gives back what it held
    await streams[2].return!();
    await streams[3].return!();
    await Promise.all(firsts.slice(4, 6));
    expect(delivered).toEqual([0, 1, 2, 3, 4, 5]);
    await Promise.all(streams.map((s) => s.return!()));
    expect(await Promise.all(waitingForMore)).toEqual([
      { value: undefined, done: true },
      { value: undefined, done: true },
    ]);
    expect(gate.held).toBe(0);
  });
});
