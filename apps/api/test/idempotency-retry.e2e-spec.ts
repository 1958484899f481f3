import { bootTestApp, HOUR, TestApp } from './support/helpers';

const BOOK = `mutation($r: ComputeRequestInput!, $k: String!) { bookCompute(request: $r, objective: GREENEST, idempotencyKey: $k) { id startsAt } }`;

// A client retries a booking (a timeout, a lost answer) after the UTC hour has turned: its
// earliestStart is now before the current hour, which a new request may not be, but the same key
// and request must still answer the booking that was made.
describe('an idempotent retry after the hour has turned', () => {
  let t: TestApp;
  let shift = 0;
  const base = Math.floor(Date.now() / HOUR) * HOUR;
  const at = (n: number) => new Date(base + n * HOUR).toISOString();

  beforeAll(async () => {
    t = await bootTestApp({ config: { now: () => Date.now() + shift } });
  }, 60_000);
  afterAll(() => t?.close());

  it('answers the same booking; a new key is refused for its past start, another request under the key as a reused key', async () => {
    const op = await t.createOrg('OPERATOR');
    const startup = await t.createOrg('STARTUP');
    const cluster = await t.registerCluster(op.key, { capacityPflops: 100 });
    const r = { pflops: 1, hours: 1, earliestStart: at(0), deadline: at(6), clusterIds: [cluster] };
    const made = (await t.ok(BOOK, { r, k: 'before-the-hour' }, startup.key)).bookCompute;
    // the clock moves on to the next hour
    shift = HOUR;
    expect((await t.ok(BOOK, { r, k: 'before-the-hour' }, startup.key)).bookCompute).toEqual(made);
    expect(await t.code(BOOK, { r, k: 'a-new-key' }, startup.key)).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'request.earliestStart',
    });
    // the key is taken, whatever else is wrong with the request now (as before the hour turned)
    expect(await t.code(BOOK, { r: { ...r, pflops: 2 }, k: 'before-the-hour' }, startup.key)).toMatchObject({
      code: 'CONFLICT',
      field: 'idempotencyKey',
      message: expect.stringContaining('already used for a different request'),
    });
    const n = await t.ok(`{ bookings(first: 10) { edges { node { id } } } }`, {}, startup.key);
    expect(n.bookings.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([made.id]);
  });
});
