import { bootTestApp, TestApp } from './helpers';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp();
  }, 60_000);
  afterAll(() => t?.close());
  it('me', async () => {
    const d = await t.ok(`{ me { id name role } }`);
    expect(d.me.role).toBe('BUREAU');
  });
});
