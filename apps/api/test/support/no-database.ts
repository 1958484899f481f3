// Stands in for `pg` and `@electric-sql/pglite` in the api-unit project (jest.config.js): the unit
// tier runs without a database, so anything that opens one fails at once, saying where it belongs.
const refuse = (what: string): never => {
  throw new Error(
    `${what}: the unit tier has no database; use the fakes of apps/api/test/support, or write an e2e or integration spec`,
  );
};

export class PGlite {
  static async create(): Promise<never> {
    return refuse('PGlite.create()');
  }

  constructor() {
    refuse('new PGlite()');
  }
}

export class Client {
  constructor() {
    refuse('new pg.Client()');
  }
}

export class Pool {
  constructor() {
    refuse('new pg.Pool()');
  }
}

export default { Client, Pool };
