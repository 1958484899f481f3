import { RATE_LIMITER } from '../src/security/rate-limit-presence.service';
import type { TokenBucketLimiter } from '../src/security/rate-limiter';
import { bootTestApp, DATABASE_URL, gqlAt, TestApp } from './support/helpers';

const ME = `{ me { id } }`;
const LIMIT = 20;

const onPostgres = DATABASE_URL ? describe : describe.skip;
if (!DATABASE_URL)
  process.stderr.write(
    'rate-limit-replicas.e2e-spec (two processes): SKIPPED, needs PostgreSQL (DATABASE_URL=$(scripts/pg-up.sh) npm test)\n',
  );

function replicasOf(t: TestApp): number {
  return t.running.app.get<TokenBucketLimiter>(RATE_LIMITER, { strict: false }).replicas;
}

async function until(what: string, cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

onPostgres('the rate limit across two API processes on one database', () => {
  let a: TestApp;
  let b: TestApp | undefined;
  let clock = Date.now();
  let startup: { id: string; key: string };

  beforeAll(async () => {
    a = await bootTestApp({ config: { rateLimitPerMinute: LIMIT, now: () => clock } });
    startup = await a.createOrg('STARTUP', 'Two-replica caller');
    b = await bootTestApp({ schema: a.schema, config: { rateLimitPerMinute: LIMIT, now: () => clock } });
  }, 90_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('each process knows the other from its announcements', async () => {
    await until('a to count b', () => replicasOf(a) === 2);
    expect(replicasOf(b!)).toBe(2);
  });

  it('a key calling both processes gets the limit overall, not twice it', async () => {
    // both shares full: 10 tokens on each process
    clock += 60_000;
    const calls = Array.from({ length: 3 * LIMIT }, (_, i) => gqlAt(i % 2 ? b!.url : a.url, ME, {}, startup.key));
    const results = await Promise.all(calls);
    const ok = results.filter((r) => r.data?.me?.id === startup.id).length;
    const limited = results.filter((r) => r.errors?.[0].extensions?.code === 'RATE_LIMITED');
    expect(ok).toBe(LIMIT);
    expect(limited).toHaveLength(2 * LIMIT);
    // the message still states the whole limit; the wait is for this process's next token (10 per minute)
    expect(limited[0].status).toBe(429);
    expect(limited[0].errors?.[0].message).toBe(
      `rate limit of ${LIMIT} requests per minute for this API key exceeded; retry in 6 s`,
    );
    expect(limited[0].errors?.[0].extensions).toMatchObject({ limitPerMinute: LIMIT, retryAfterSeconds: 6 });
  });

  it('sequential calls that alternate between the processes get the limit overall too', async () => {
    clock += 60_000;
    let ok = 0;
    for (let i = 0; i < 2 * LIMIT; i++)
      if ((await gqlAt(i % 2 ? b!.url : a.url, ME, {}, startup.key)).data?.me?.id === startup.id) ok++;
    expect(ok).toBe(LIMIT);
  });

  it('a process left alone gets the whole limit once the other has said goodbye', async () => {
    await b!.close();
    b = undefined;
    await until('a to be alone', () => replicasOf(a) === 1);
    clock += 60_000;
    let ok = 0;
    for (let i = 0; i < LIMIT + 5; i++) if ((await a.gql(ME, {}, startup.key)).data?.me?.id === startup.id) ok++;
    expect(ok).toBe(LIMIT);
  });
});
