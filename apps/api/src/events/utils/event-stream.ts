import { EventEmitter } from 'node:events';

/** A subscriber that reads slower than events arrive loses the oldest ones beyond this. */
const MAX_BUFFERED = 1000;

/**
 * An AsyncIterator over `emitter`'s `name` events, for a GraphQL subscription: each event
 * passes `map` (per-subscriber access check and shaping; `undefined` skips it), in order.
 * Returning (client unsubscribed or disconnected) removes the listener at once.
 */
export function eventStream<E, T>(
  emitter: EventEmitter,
  name: string,
  map: (e: E) => Promise<T | undefined> | T | undefined,
): AsyncIterableIterator<T> {
  const queue: E[] = [];
  let wake: (() => void) | null = null;
  let done = false;
  const onEvent = (e: E) => {
    if (queue.length >= MAX_BUFFERED) queue.shift();
    queue.push(e);
    wake?.();
  };
  emitter.on(name, onEvent);
  const stop = () => {
    done = true;
    emitter.off(name, onEvent);
    queue.length = 0;
    wake?.();
  };
  const it: AsyncIterableIterator<T> = {
    async next(): Promise<IteratorResult<T>> {
      while (!done) {
        const e = queue.shift();
        if (e === undefined) {
          await new Promise<void>((r) => (wake = r));
          wake = null;
          continue;
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
