import { openDataSource } from '@pflex/persistence';
import { Client } from 'pg';

// The unit tier has no database (jest.config.js maps pg and PGlite to test/support/no-database.ts):
// opening one fails at once, whichever way it is asked for.
describe('the unit tier opens no database', () => {
  it('refuses PGlite, PostgreSQL through TypeORM, and a plain pg client', async () => {
    await expect(openDataSource({ memory: true })).rejects.toThrow('PGlite.create(): the unit tier has no database');
    await expect(openDataSource({ url: 'postgres://pflex@localhost/pflex' })).rejects.toThrow(
      /the unit tier has no database/,
    );
    expect(() => new Client()).toThrow('new pg.Client(): the unit tier has no database');
  });
});
