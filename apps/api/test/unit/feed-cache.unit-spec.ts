import { FeedCache } from '../../src/events/feed-cache';
import { FakeFeed } from '../support/fake-feed';

/** A read the test finishes by hand, to interleave it with drops. */
function deferred<V>(): { promise: Promise<V>; resolve: (v: V) => void } {
  let resolve!: (v: V) => void;
  const promise = new Promise<V>((r) => (resolve = r));
  return { promise, resolve };
}

describe('FeedCache', () => {
  let feed: FakeFeed;
  let cache: FeedCache<string>;
  let reads: number;
  const read = (v: string) => async () => {
    reads++;
    return v;
  };

  beforeEach(() => {
    feed = new FakeFeed();
    cache = new FeedCache<string>(feed.asChangeFeed, 60_000);
    reads = 0;
  });

  it('keeps a read while the feed is live, until the key is dropped', async () => {
    expect(await cache.get('k', read('a'))).toBe('a');
    expect(await cache.get('k', read('b'))).toBe('a');
    expect(reads).toBe(1);
    cache.drop('k');
    expect(await cache.get('k', read('b'))).toBe('b');
    expect(reads).toBe(2);
  });

  it('does not keep a read that overlapped a drop: it may have seen the row before the change', async () => {
    const slow = deferred<string>();
    const pending = cache.get('k', () => slow.promise);
    cache.drop('k'); // the change commits and is announced while the read is in flight
    slow.resolve('old');
    expect(await pending).toBe('old');
    expect(await cache.get('k', read('new'))).toBe('new');
  });

  it('reads the database every time while the feed is not live, and forgets everything on a resync', async () => {
    feed.live = false;
    await cache.get('k', read('a'));
    await cache.get('k', read('a'));
    expect(reads).toBe(2);
    feed.live = true;
    await cache.get('k', read('a'));
    await cache.get('k', read('b'));
    expect(reads).toBe(3);
    feed.resync();
    expect(await cache.get('k', read('b'))).toBe('b');
  });

  it('keeps only what `keep` allows', async () => {
    await cache.get('k', read(''), (v) => v !== '');
    expect(await cache.get('k', read('x'), (v) => v !== '')).toBe('x');
    expect(reads).toBe(2);
  });

  it('reads again after the time to live', async () => {
    const short = new FeedCache<string>(feed.asChangeFeed, 20);
    await short.get('k', read('a'));
    await new Promise((r) => setTimeout(r, 30));
    expect(await short.get('k', read('b'))).toBe('b');
  });
});
