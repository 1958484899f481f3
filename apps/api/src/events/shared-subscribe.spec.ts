import { EventEmitter } from 'node:events';
import {
  ExecutionResult,
  GraphQLInt,
  GraphQLList,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  parse,
} from 'graphql';
import { shared, subscribeShared } from './shared-subscribe';
import { eventStream } from './utils/event-stream';

/** A schema whose `Hour.n` counts how often it is resolved, fed by `bus`'s 'e' events. */
function fixture() {
  const bus = new EventEmitter();
  let resolved = 0;
  const Hour = new GraphQLObjectType({
    name: 'Hour',
    fields: {
      n: { type: GraphQLInt, resolve: (h: { n: number }) => (resolved++, h.n) },
      label: { type: GraphQLString, args: { prefix: { type: GraphQLString } }, resolve: (h, a) => `${a.prefix}${h.n}` },
    },
  });
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLInt } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        changed: {
          type: new GraphQLList(Hour),
          // every subscriber gets the event object itself (marked shared, or with unmarked: 1 not),
          // or (copy) one of its own
          args: { copy: { type: GraphQLInt }, unmarked: { type: GraphQLInt }, refuse: { type: GraphQLInt } },
          subscribe: (_: unknown, a: { copy?: number; unmarked?: number; refuse?: number }) => {
            if (a.refuse) throw new Error('refused');
            return eventStream<{ n: number }[], { n: number }[]>(
              bus,
              'e',
              (e) => (a.copy ? e.map((h) => ({ ...h })) : a.unmarked ? e : shared(e)),
              Error,
            );
          },
          resolve: (hours: unknown) => hours,
        },
      },
    }),
  });
  const open = async (query: string, variableValues?: Record<string, unknown>) =>
    (await subscribeShared({
      schema,
      document: parse(query),
      variableValues,
    })) as AsyncIterableIterator<ExecutionResult>;
  return { bus, open, resolved: () => resolved };
}

describe('subscribeShared: one execution of an event for every subscription with the same document', () => {
  it('executes an event shared by identity once per document and variables, and gives each subscriber its own result', async () => {
    const f = fixture();
    const a = await f.open('subscription { changed { n } }');
    const b = await f.open('subscription { changed { n } }');
    const c = await f.open('subscription { changed { n label(prefix: "h") } }');
    const d = await f.open('subscription($p: String) { changed { n label(prefix: $p) } }', { p: 'x' });
    const e = await f.open('subscription($p: String) { changed { n label(prefix: $p) } }', { p: 'y' });
    f.bus.emit('e', [{ n: 1 }, { n: 2 }]);
    const [ra, rb, rc, rd, re] = await Promise.all([a, b, c, d, e].map((s) => s.next()));
    expect(ra.value).toEqual({ data: { changed: [{ n: 1 }, { n: 2 }] } });
    expect(rb.value).toEqual(ra.value);
    expect(rc.value).toEqual({
      data: {
        changed: [
          { n: 1, label: 'h1' },
          { n: 2, label: 'h2' },
        ],
      },
    });
    expect(rd.value).toEqual({
      data: {
        changed: [
          { n: 1, label: 'x1' },
          { n: 2, label: 'x2' },
        ],
      },
    });
    expect(re.value).toEqual({
      data: {
        changed: [
          { n: 1, label: 'y1' },
          { n: 2, label: 'y2' },
        ],
      },
    });
    // four distinct (document, variables): four executions of two hours, not five
    expect(f.resolved()).toBe(8);
    // a subscriber's result is its own: letting go of its data (as onNext does) leaves the others'
    expect(ra.value).not.toBe(rb.value);
    (ra.value as { data?: unknown }).data = undefined;
    expect(rb.value).toEqual({ data: { changed: [{ n: 1 }, { n: 2 }] } });
    await Promise.all([a, b, c, d, e].map((s) => s.return!()));
  });

  it.each([
    ['built for each subscriber', 'copy'],
    ['not marked shared', 'unmarked'],
  ])('never shares an event %s, and executes each later event again', async (_, arg) => {
    const f = fixture();
    const a = await f.open(`subscription { changed(${arg}: 1) { n } }`);
    const b = await f.open(`subscription { changed(${arg}: 1) { n } }`);
    f.bus.emit('e', [{ n: 1 }]);
    f.bus.emit('e', [{ n: 2 }]);
    for (const s of [a, b]) {
      expect((await s.next()).value).toEqual({ data: { changed: [{ n: 1 }] } });
      expect((await s.next()).value).toEqual({ data: { changed: [{ n: 2 }] } });
    }
    expect(f.resolved()).toBe(4);
    await a.return!();
    expect(await a.next()).toEqual({ value: undefined, done: true });
    await b.return!();
  });

  it('answers a subscription that cannot start with its errors, as graphql does', async () => {
    const f = fixture();
    const r = (await f.open('subscription { changed(refuse: 1) { n } }')) as unknown as ExecutionResult;
    expect(r.errors?.map((e) => e.message)).toEqual(['refused']);
    expect(f.bus.listenerCount('e')).toBe(0);
  });
});
