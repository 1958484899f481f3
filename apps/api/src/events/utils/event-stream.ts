import { EventEmitter } from 'node:events';
import type { Admission } from './admission';

/** A subscriber that reads slower than events arrive: beyond this many waiting, it has missed some. */
export const MAX_BUFFERED = 10_000;

/**
 * With `coalesce`, a reader this many events behind has an event merged into the one of its key
 * still waiting (below it, every event waits on its own: one object for every subscriber, whose
 * figures they all share one read of).
 */
export const COALESCE_AFTER = 64;

/** The emitter's event that says every stream may have missed events (the payload says why). */
export const MISSED = 'missed';

export interface EventStreamOptions<E> {
  /** false for events this subscriber can never receive: dropped before they queue */
  accepts?: (e: E) => boolean;
  /** the key of events that may be merged for a reader far behind, and how */
  coalesce?: { key: (e: E) => string; merge: (waiting: E, e: E) => E };
  /** the process-wide gate deliveries pass, and the units an event holds of it */
  admission?: { gate: Admission; weight: (e: E) => number };
}

/**
 * An AsyncIterator over `emitter`'s `name` events, for a GraphQL subscription: each event
 * passes `map` (per-subscriber access check and shaping; `undefined` skips it), in order.
 * `accepts`, when given, drops at once (before queueing) the events this subscriber can never
 * receive, from what the event itself says (another startup's, another cluster's), so that a
 * burst of others' events (a large round) neither queues up nor counts towards MAX_BUFFERED.
 * Returning (client unsubscribed or disconnected) removes the listener at once. Events are never
 * lost silently: when some may have been (the emitter's MISSED event, or more than MAX_BUFFERED
 * waiting for a slow reader), the events already queued are delivered and the stream then ends
 * with `missed(why)`'s error, so the client knows to query again. With `coalesce`, once a reader is
 * COALESCE_AFTER events behind, an event whose key matches one still waiting is merged into it
 * (events whose payload is read when delivered: a burst of changes of a few clusters neither
 * floods a reader nor ends it). With `admission`, each delivery holds `weight(e)` units of the
 * process-wide gate from before `map` reads the event until the consumer asks for the next one
 * (graphql-ws asks once the previous message was written out), so that one large change sent to
 * thousands of subscribers is read, shaped and sent a few at a time instead of all at once.
 */
export function eventStream<E, T>(
  emitter: EventEmitter,
  name: string,
  map: (e: E) => Promise<T | undefined> | T | undefined,
  missed: (why: string) => Error,
  { accepts, coalesce, admission }: EventStreamOptions<E> = {},
): AsyncIterableIterator<T> {
  const queue: { e: E }[] = [];
  let release: (() => void) | null = null;
  const letGo = () => {
    release?.();
    release = null;
  };
  const waiting = new Map<string, { e: E }>();
  let wake: (() => void) | null = null;
  let done = false;
  let lost: string | null = null;
  const onLost = (why: string) => {
    lost ??= why;
    emitter.off(name, onEvent);
    wake?.();
  };
  const onEvent = (e: E) => {
    if (accepts && !accepts(e)) return;
    const k = coalesce?.key(e);
    const same = k === undefined || queue.length < COALESCE_AFTER ? undefined : waiting.get(k);
    if (same) {
      same.e = coalesce!.merge(same.e, e);
      return;
    }
    if (queue.length >= MAX_BUFFERED) return onLost(`more than ${MAX_BUFFERED} events waited for this subscriber`);
    const box = { e };
    queue.push(box);
    if (k !== undefined) waiting.set(k, box);
    wake?.();
  };
  emitter.on(name, onEvent);
  emitter.on(MISSED, onLost);
  const stop = () => {
    done = true;
    emitter.off(name, onEvent);
    emitter.off(MISSED, onLost);
    queue.length = 0;
    waiting.clear();
    letGo();
    wake?.();
  };
  const it: AsyncIterableIterator<T> = {
    async next(): Promise<IteratorResult<T>> {
      // asked for more: what the last delivery held was handed on
      letGo();
      while (!done) {
        const box = queue.shift();
        if (box === undefined) {
          if (lost !== null) {
            const why = lost;
            stop();
            throw missed(why);
          }
          await new Promise<void>((r) => (wake = r));
          wake = null;
          continue;
        }
        const e = box.e;
        if (coalesce) {
          const k = coalesce.key(e);
          if (waiting.get(k) === box) waiting.delete(k);
        }
        if (admission) {
          const r = await admission.gate.acquire(admission.weight(e));
          if (done) {
            r();
            break;
          }
          release = r;
        }
        let v: T | undefined;
        try {
          v = await map(e);
        } catch (err) {
          // the consumer will not call return() after a failed next(): let go of the emitter now
          stop();
          throw err;
        }
        if (v !== undefined && !done) return { value: v, done: false };
        letGo();
      }
      return { value: undefined, done: true };
    },
    async return(): Promise<IteratorResult<T>> {
      stop();
      return { value: undefined, done: true };
    },
    async throw(err?: unknown): Promise<IteratorResult<T>> {
      stop();
      throw err;
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it;
}
