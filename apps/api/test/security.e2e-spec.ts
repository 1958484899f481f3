import { createHash, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { dropSchema } from '@pflex/persistence';
import pino from 'pino';
import { getIntrospectionQuery } from 'graphql';
import { DataSource } from 'typeorm';
import { startApp } from '../src/bootstrap';
import { AppConfig, configFromEnv } from '../src/config';
import { logLevelFromEnv } from '../src/common/logger';
import { OrganizationsService } from '../src/organizations/organizations.service';
import { DEMO_KEYS } from '../src/seed/demo-keys';
import { collect, wsClient } from './support/events-helpers';
import { bootTestApp, DATABASE_URL, gqlAt, TestApp } from './support/helpers';

const ME = `{ me { id } }`;

describe('rate limit per API key', () => {
  let t: TestApp;
  let clock = Date.now();
  let a: { id: string; key: string };
  let b: { id: string; key: string };

  beforeAll(async () => {
    t = await bootTestApp({ config: { rateLimitPerMinute: 5, now: () => clock } });
    // the bureau key spends 2 of its 5 tokens here
    a = await t.createOrg('STARTUP', 'Limited A');
    b = await t.createOrg('STARTUP', 'Limited B');
  }, 90_000);
  afterAll(() => t?.close());

  it('answers RATE_LIMITED with HTTP 429, the limit and when to retry, once a key has spent its tokens', async () => {
    for (let i = 0; i < 5; i++) expect((await t.gql(ME, {}, a.key)).data?.me.id).toBe(a.id);
    const res = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${a.key}` },
      body: JSON.stringify({ query: ME }),
    });
    const body = (await res.json()) as {
      data?: unknown;
      errors: { message: string; extensions: Record<string, unknown> }[];
    };
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('12');
    expect(body.data ?? null).toBeNull();
    expect(body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', limitPerMinute: 5, retryAfterSeconds: 12 });
    expect(body.errors[0].message).toBe('rate limit of 5 requests per minute for this API key exceeded; retry in 12 s');
  });

  it('keeps keys apart, and refills over time', async () => {
    expect((await t.gql(ME, {}, b.key)).data?.me.id).toBe(b.id);
    expect((await t.gql(ME, {}, a.key)).errors?.[0].extensions?.code).toBe('RATE_LIMITED');
    clock += 12_000;
    expect((await t.gql(ME, {}, a.key)).data?.me.id).toBe(a.id);
    expect((await t.gql(ME, {}, a.key)).errors?.[0].extensions?.code).toBe('RATE_LIMITED');
  });

  it('charges each root field, so aliases do not multiply the limit; a refused mutation does not run', async () => {
    clock += 60_000;
    // bureau: full bucket of 5; six aliased root fields cost 6
    const six = Array.from({ length: 6 }, (_, i) => `o${i}: me { id }`).join(' ');
    // more root fields than the whole burst can never pass: 400, no Retry-After, "split it"
    const r = await t.gql(`{ ${six} }`);
    expect(r.status).toBe(400);
    expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0].message).toMatch(/split it/);
    // the same fields through an inline fragment or a named one cost the same (each counted once)
    for (const q of [`{ ... on Query { ${six} } }`, `{ ...F ...F } fragment F on Query { ${six} }`]) {
      const f = await t.gql(q);
      expect({ q, status: f.status, message: f.errors?.[0].message }).toEqual({
        q,
        status: 400,
        message: expect.stringMatching(/costs 6 tokens.*split it/),
      });
    }
    // within the burst but beyond what is left: 429 and a wait (the refused request's first token
    // was spent when it arrived, then 2, and 1 + 3 more > 5)
    const two = `a: __typename b: __typename`;
    expect((await t.gql(`{ ${two} }`)).status).toBe(200);
    const r3 = await t.gql(`{ p0: me { id } p1: me { id } p2: me { id } }`);
    expect(r3.status).toBe(429);
    expect(r3.errors?.[0].extensions?.code).toBe('RATE_LIMITED');
    // a mutation refused by the limit does not run (the bucket emptied first)
    for (let i = 0; i < 5 && (await t.gql(`{ __typename }`)).status === 200; i++);
    const late = await t.gql(
      `mutation { createOrganization(input: { name: "late 0", role: STARTUP }) { organization { id } } }`,
    );
    expect(late.status).toBe(429);
    clock += 60_000;
    const orgs = await t.gql(`{ organizations(first: 100) { edges { node { name } } } }`);
    const names = orgs.data.organizations.edges.map((e: { node: { name: string } }) => e.node.name);
    expect(names).not.toContain('late 0');
  });

  it('charges documents that never parse or validate too, and refuses an empty bucket before reading the body', async () => {
    clock += 60_000;
    // five documents GraphQL refuses (unknown field, syntax): a token each, answered 400
    for (const q of ['{ nope }', '{ me { id } nope }', '{ me { ', 'query { me { idd } }', '}}}'])
      expect((await t.gql(q, {}, a.key)).status).toBe(400);
    // the bucket is empty: an invalid document is now 429 like any other, with the same answer
    const bad = await t.gql('{ nope }', {}, a.key);
    expect(bad.status).toBe(429);
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'RATE_LIMITED', limitPerMinute: 5 });
    expect((await t.gql(ME, {}, a.key)).errors?.[0].extensions?.code).toBe('RATE_LIMITED');
    // a body that is not even JSON is not read: 429 and Retry-After, not a parse error
    const res = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${a.key}` },
      body: '{"query": "{ me { id } }"',
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('12');
    expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe(
      'RATE_LIMITED',
    );
    // another key is not affected
    expect((await t.gql(ME, {}, b.key)).data?.me.id).toBe(b.id);
  });

  it('made-up keys draw from their address bucket as well: a fresh key per request does not bring a fresh bucket', async () => {
    clock += 60_000;
    // b's key has authenticated here (its first request drew from the address bucket too)
    expect((await t.gql(ME, {}, b.key)).data?.me.id).toBe(b.id);
    clock += 60_000;
    // five requests, each with a key never seen (and never valid): UNAUTHENTICATED, then 429
    for (let i = 0; i < 5; i++)
      expect((await t.gql(ME, {}, `pflex_made_up_${i}_${'x'.repeat(30)}`)).errors?.[0].extensions?.code).toBe(
        'UNAUTHENTICATED',
      );
    const sixth = await t.gql(ME, {}, `pflex_made_up_6_${'x'.repeat(30)}`);
    expect(sixth.status).toBe(429);
    // a real key, seen to authenticate before, still has its own bucket
    expect((await t.gql(ME, {}, b.key)).data?.me.id).toBe(b.id);
  });

  it('limits requests without a key by client address, apart from keyed callers', async () => {
    clock += 60_000;
    for (let i = 0; i < 5; i++)
      expect((await t.gql(ME, {}, null)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect((await t.gql(ME, {}, null)).errors?.[0].extensions?.code).toBe('RATE_LIMITED');
    expect((await t.gql(ME, {}, b.key)).data?.me.id).toBe(b.id);
  });

  it('counts operations over the WebSocket against the same bucket', async () => {
    clock += 60_000;
    const ws = wsClient(t.url, b.key);
    try {
      for (let i = 0; i < 5; i++) expect(await collect(ws, ME, {}, 'me').waitFor(1)).toEqual([{ id: b.id }]);
      const e = await collect(ws, ME, {}, 'me').waitError();
      expect(e.extensions?.code).toBe('RATE_LIMITED');
      expect(e.message).toMatch(/rate limit of 5 requests per minute .*retry in 12 s/);
      expect((await t.gql(ME, {}, b.key)).errors?.[0].extensions?.code).toBe('RATE_LIMITED');
    } finally {
      await ws.dispose();
    }
  });

  it('charges a WebSocket operation one token per root field too: aliases do not multiply the limit', async () => {
    clock += 60_000;
    const ws = wsClient(t.url, b.key);
    try {
      // 3 + 3 root fields against a bucket of 5: the second is refused
      const three = `{ a: me { id } b: me { id } c: me { id } }`;
      expect(await collect(ws, three, {}, 'a').waitFor(1)).toEqual([{ id: b.id }]);
      expect((await collect(ws, three, {}, 'a').waitError()).extensions?.code).toBe('RATE_LIMITED');
    } finally {
      await ws.dispose();
    }
  });

  it('is configured by RATE_LIMIT_PER_MINUTE: default 6000, 0 turns it off, nonsense refused at start', () => {
    expect(configFromEnv({}).rateLimitPerMinute).toBe(6000);
    expect(configFromEnv({ RATE_LIMIT_PER_MINUTE: '0' }).rateLimitPerMinute).toBe(0);
    expect(configFromEnv({ RATE_LIMIT_PER_MINUTE: '120000' }).rateLimitPerMinute).toBe(120_000);
    expect(() => configFromEnv({ RATE_LIMIT_PER_MINUTE: 'lots' })).toThrow(/RATE_LIMIT_PER_MINUTE/);
    expect(() => configFromEnv({ RATE_LIMIT_PER_MINUTE: '-1' })).toThrow(/RATE_LIMIT_PER_MINUTE/);
  });

  it('refuses settings that are not what they look like: hex or exponent integers, PFLEX_DEMO_SEED other than 0/1, a demo key as BUREAU_API_KEY', () => {
    expect(() => configFromEnv({ BOOKING_HORIZON_DAYS: '0x10' })).toThrow(/BOOKING_HORIZON_DAYS must be an integer/);
    expect(() => configFromEnv({ MAX_QUERY_COST: '1e3' })).toThrow(/MAX_QUERY_COST must be an integer/);
    expect(configFromEnv({ MAX_QUERY_COST: ' 1000 ' }).maxQueryCost).toBe(1000);
    expect(configFromEnv({ PFLEX_DEMO_SEED: '0' }).demoSeed).toBe(false);
    expect(configFromEnv({ PFLEX_DEMO_SEED: '1' }).demoSeed).toBe(true);
    for (const v of ['false', 'no', 'off', 'yes'])
      expect(() => configFromEnv({ PFLEX_DEMO_SEED: v })).toThrow(/PFLEX_DEMO_SEED must be 0 .* or 1/);
    expect(() =>
      configFromEnv({ NODE_ENV: 'production', BUREAU_API_KEY: 'pflex_demo_startup_key_for_local_development_only' }),
    ).toThrow(/must not be one of the public demo keys/);
  });

  it('refuses a NODE_ENV other than production, development or test (a misspelt one would start with the demo keys)', () => {
    expect(configFromEnv({ NODE_ENV: 'production' }).production).toBe(true);
    for (const v of [undefined, '', 'development', 'test'])
      expect(configFromEnv({ NODE_ENV: v }).production).toBe(false);
    for (const v of ['prod', 'Production', 'staging'])
      expect(() => configFromEnv({ NODE_ENV: v })).toThrow(`NODE_ENV must be production, development or test`);
  });

  it('refuses a LOG_LEVEL that is not a level, naming the variable', () => {
    expect(logLevelFromEnv({})).toBe('info');
    expect(logLevelFromEnv({ LOG_LEVEL: 'debug' })).toBe('debug');
    expect(() => logLevelFromEnv({ LOG_LEVEL: 'loud' })).toThrow(
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    );
  });

  it('refuses a guessable BUREAU_API_KEY in production (the example secret said change-me)', () => {
    expect(() => configFromEnv({ NODE_ENV: 'production', BUREAU_API_KEY: 'change-me' })).toThrow(
      /BUREAU_API_KEY must have at least 32 characters/,
    );
    const strong = 'f'.repeat(48);
    expect(configFromEnv({ NODE_ENV: 'production', BUREAU_API_KEY: strong }).bureauApiKey).toBe(strong);
    // development keeps short keys (tests, demos)
    expect(configFromEnv({ BUREAU_API_KEY: 'dev' }).bureauApiKey).toBe('dev');
  });
});

describe('API keys at rest, in comparison and in the logs', () => {
  const lines: string[] = [];
  let t: { url: string; close(): Promise<void>; ds: DataSource };
  const bureauKey = `pflex_env-bureau-${randomBytes(12).toString('hex')}`;

  beforeAll(async () => {
    // the app's own logging at its most verbose level, captured in memory
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const config: AppConfig = {
      ...configFromEnv({}),
      port: 0,
      persistence: DATABASE_URL
        ? { url: DATABASE_URL, schema: `t_${randomBytes(6).toString('hex')}`, poolSize: 4 }
        : { memory: true },
      bureauApiKey: bureauKey,
      demoSeed: false,
    };
    const running = await startApp(config, pino({ level: 'trace' }, sink));
    const schema = config.persistence.schema;
    t = {
      url: running.url,
      ds: running.app.get(DataSource),
      async close() {
        await running.shutdown(5000);
        if (DATABASE_URL && schema) await dropSchema(DATABASE_URL, schema);
      },
    };
  }, 90_000);
  afterAll(() => t?.close());

  it('stores only SHA-256 hashes; no table holds a raw key', async () => {
    const created = (
      await gqlAt(
        t.url,
        `mutation { createOrganization(input: { name: "Hashed", role: STARTUP }) { firstKey { key apiKey { id } } } }`,
        {},
        bureauKey,
      )
    ).data.createOrganization.firstKey;
    const rows = await t.ds.query(`SELECT key_hash FROM api_keys WHERE id = $1`, [created.apiKey.id]);
    expect(rows[0].key_hash).toBe(createHash('sha256').update(created.key).digest('hex'));
    const tables: { table_name: string }[] = await t.ds.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
    );
    for (const { table_name } of tables) {
      const hits = await t.ds.query(`SELECT count(*)::int AS n FROM "${table_name}" x WHERE x::text LIKE $1`, [
        `%${created.key.slice(6)}%`,
      ]);
      expect({ table_name, n: hits[0].n }).toEqual({ table_name, n: 0 });
    }
  });

  it('compares key hashes with crypto.timingSafeEqual', async () => {
    // the module object itself (a namespace import would be a copy)
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS module object itself, which the code under test calls into
    const spy = jest.spyOn(require('node:crypto') as typeof import('node:crypto'), 'timingSafeEqual');
    try {
      const key = (
        await gqlAt(
          t.url,
          `mutation { createOrganization(input: { name: "Timing", role: OPERATOR }) { firstKey { key } } }`,
          {},
          bureauKey,
        )
      ).data.createOrganization.firstKey.key;
      spy.mockClear();
      expect((await gqlAt(t.url, ME, {}, key)).data?.me.id).toBeDefined();
      expect(spy).toHaveBeenCalled();
      for (const [x, y] of spy.mock.calls) expect([(x as Buffer).length, (y as Buffer).length]).toEqual([32, 32]);
    } finally {
      spy.mockRestore();
    }
  });

  it('a development boot answers introspection, over HTTP and WebSocket (the contrast to the production test below)', async () => {
    const r = await gqlAt(t.url, `{ __schema { queryType { name } } }`, {}, bureauKey);
    expect(r.data?.__schema.queryType.name).toBe('Query');
    const ws = wsClient(t.url, bureauKey);
    try {
      const got = await collect(ws, `{ __schema { queryType { name } } }`, {}, '__schema').waitFor(1);
      expect(got[0]).toEqual({ queryType: { name: 'Query' } });
    } finally {
      await ws.dispose();
    }
  });

  // found by a security review: a 1 kB chain of fragments, each spreading the one before twice,
  // held a production process for over ten minutes (query-limits.spec measures the rules alone)
  it('a chain of 40 fragments spreading each other twice is answered at once, without a key too', async () => {
    const defs = ['fragment F0 on Query { __typename }'];
    for (let i = 1; i < 40; i++) defs.push(`fragment F${i} on Query { ...F${i - 1} ...F${i - 1} }`);
    const q = `{ ...F39 }\n${defs.join('\n')}`;
    for (const key of [null, bureauKey]) {
      const r = await gqlAt(t.url, q, {}, key);
      expect(r.errors?.[0]?.message ?? 'answered').toMatch(/answered|maximum allowed number of nodes/);
    }
    const m = await gqlAt(
      t.url,
      `mutation ${q.replace(/on Query/g, 'on Mutation').replace('__typename', 'revokeApiKey(id: "x") { id }')}`,
      {},
      bureauKey,
    );
    expect(m.errors?.[0].message).toMatch(/runs one mutation|maximum allowed number of nodes/);
  });

  it('introspection counts against the query cost: the full introspection query runs, hundreds of aliased copies do not', async () => {
    const full = await gqlAt(t.url, getIntrospectionQuery(), {}, bureauKey);
    expect(full.errors).toBeUndefined();
    expect(full.data?.__schema.types.length).toBeGreaterThan(50);
    const aliased = (n: number, field: string) =>
      `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;
    for (const doc of [
      aliased(300, '__schema { queryType { name } }'),
      aliased(300, '__type(name: "Query") { name }'),
    ]) {
      const r = await gqlAt(t.url, doc, {}, bureauKey);
      expect(r.data).toBeUndefined();
      expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(r.errors?.[0].message).toMatch(/^query cost \d+ exceeds the limit of 5000/);
    }
    expect((await gqlAt(t.url, aliased(3, '__type(name: "Query") { name }'), {}, bureauKey)).data?.a2).toEqual({
      name: 'Query',
    });
  });

  it('never writes a key or an Authorization header to the log, whatever the outcome', async () => {
    const secrets = [bureauKey];
    const ask = (q: string, key: string | null, raw?: string) =>
      fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(raw !== undefined ? { authorization: raw } : key ? { authorization: `Bearer ${key}` } : {}),
        },
        body: JSON.stringify({ query: q }),
      }).then((r) => r.json() as Promise<{ data?: any; errors?: unknown[] }>);
    const org = (
      await ask(
        `mutation { createOrganization(input: { name: "Logged", role: STARTUP }) { organization { id } firstKey { key apiKey { id } } } }`,
        bureauKey,
      )
    ).data.createOrganization;
    const key: string = org.firstKey.key;
    secrets.push(key);
    const second = (
      await ask(`mutation { issueApiKey(organizationId: "${org.organization.id}") { key apiKey { id } } }`, bureauKey)
    ).data.issueApiKey;
    secrets.push(second.key);
    await ask(ME, key);
    await ask(`{ bookings { edges { node { id } } } }`, key);
    await ask(
      `mutation { registerCluster(input: { name: "x", region: "y", accelerator: "z", capacityPflops: 1, kwPerPflops: 1, pue: 1, pricePerPflopsHour: 1, gridPricePerMwh: 1 }) { id } }`,
      key,
    );
    await ask(`{ booking(id: "${randomBytes(4).toString('hex')}") { id } }`, key);
    await ask(`mutation { revokeApiKey(id: "${second.apiKey.id}") { id } }`, bureauKey);
    await ask(ME, second.key);
    const wrong = `pflex_${randomBytes(32).toString('base64url')}`;
    secrets.push(wrong);
    await ask(ME, wrong);
    const junkHeader = `Bearer ${wrong} trailing`;
    await ask(ME, null, junkHeader);
    await ask(ME, null, `Basic ${Buffer.from(`user:${wrong}`).toString('base64')}`);
    await ask('{ me { id ', key);
    await new Promise((r) => setTimeout(r, 100));
    const log = lines.join('');
    expect(log).toContain('"msg":"request"');
    expect(lines.length).toBeGreaterThan(10);
    for (const s of secrets) {
      expect(log.includes(s)).toBe(false);
      expect(log.includes(s.slice(6, 30))).toBe(false);
    }
    expect(log).not.toMatch(/authorization/i);
    expect(log).not.toMatch(/Bearer\s/i);
    expect(log).not.toContain(Buffer.from(`user:${wrong}`).toString('base64'));
  });
});

describe('NODE_ENV=production: no introspection, no sandbox', () => {
  const introspect = `{ __schema { queryType { name } types { name } } }`;

  it('a production boot refuses __schema and __type, serves no landing page, still answers queries', async () => {
    const env = configFromEnv({ NODE_ENV: 'production' });
    expect(env.production).toBe(true);
    expect(env.demoSeed).toBe(false);
    const saved = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    const prod = await bootTestApp({ config: { production: env.production, demoSeed: env.demoSeed } });
    try {
      for (const q of [introspect, `{ __type(name: "Booking") { fields { name } } }`]) {
        const r = await prod.gql(q);
        expect(r.status).toBe(400);
        expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
        expect(r.errors?.[0].message).toMatch(/introspection/i);
        // the product's refusal, not Apollo's advice to turn introspection on
        expect(r.errors?.[0].message).not.toMatch(/Apollo|introspection: true/);
        expect(JSON.stringify(r)).not.toContain('"Booking"');
      }
      expect((await prod.ok(`{ me { role } __typename }`)).me.role).toBe('BUREAU');
      // a database seeded in development holds the public demo keys: production refuses them
      const ds = prod.running.app.get(DataSource);
      const org = (await prod.createOrg('BUREAU', 'Seeded in development')).id;
      await ds.transaction((m) => prod.running.app.get(OrganizationsService).insertKey(m, org, DEMO_KEYS.bureau));
      expect((await prod.code(`{ me { id } }`, {}, DEMO_KEYS.bureau)).code).toBe('UNAUTHENTICATED');
      // no schema hints in validation errors either
      const typo = await prod.gql(`{ bookingz { edges { cursor } } }`);
      expect(typo.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(typo.errors?.[0].message).not.toMatch(/Did you mean/);
      // nor in a variable's error, which Apollo words itself
      const QUOTES = `query($r: ComputeRequestInput!) { quotes(request: $r) { objective } }`;
      const unknown = await prod.gql(QUOTES, { r: { pflop: 1 } });
      expect(unknown.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'request.pflop' });
      expect(JSON.stringify(unknown)).not.toMatch(/Did you mean|"pflops"/);
      // graphql-ws runs queries too, outside Apollo's introspection setting
      const ws = wsClient(prod.url, prod.bureauKey);
      try {
        const e = await collect(ws, introspect, {}, '__schema').waitError();
        expect(e.message).toMatch(/introspection/i);
        expect(e.extensions?.code).toBe('BAD_USER_INPUT');
        // no suggestions there either, and the argument is named as over HTTP
        const field = await collect(ws, `{ organization { id } }`, {}, 'organization').waitError();
        expect(field.extensions?.code).toBe('BAD_USER_INPUT');
        expect(field.message).not.toMatch(/Did you mean/);
        const arg = await collect(
          ws,
          `mutation { createOrganization(input: { nam: "x", role: STARTUP }) { apiKey } }`,
          {},
          'createOrganization',
        ).waitError();
        // (the first error: the required field is missing; the unknown one would suggest it)
        expect(arg.message).not.toMatch(/Did you mean/);
        expect(arg.extensions).toMatchObject({ field: 'input.name' });
        const variable = await collect(ws, QUOTES, { r: { pflop: 1 } }, 'quotes').waitError();
        expect(variable.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'request.pflop' });
        expect(variable.message).not.toMatch(/Did you mean|"pflops"/);
      } finally {
        await ws.dispose();
      }
      for (const accept of ['text/html', 'text/html,application/xhtml+xml', '*/*']) {
        const page = await fetch(`${prod.url}/graphql`, { headers: { accept } });
        const text = await page.text();
        expect(page.headers.get('content-type') ?? '').not.toMatch(/html/);
        expect(text).not.toMatch(/<html|sandbox|graphiql|playground|embeddable/i);
      }
    } finally {
      process.env.NODE_ENV = saved;
      await prod.close();
    }
  }, 60_000);
});
