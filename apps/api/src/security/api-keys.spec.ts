import { displayPrefix, generateApiKey, hashApiKey, sameHash } from './api-keys';

describe('API keys', () => {
  it('are random 32-byte secrets, stored as SHA-256 and compared in constant time', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(a).not.toBe(b);
    expect(Buffer.from(a.slice('pflex_'.length), 'base64url')).toHaveLength(32);
    expect(hashApiKey(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(sameHash(hashApiKey(a), hashApiKey(a))).toBe(true);
    expect(sameHash(hashApiKey(a), hashApiKey(b))).toBe(false);
    expect(sameHash('abc', hashApiKey(a))).toBe(false);
    expect(a.startsWith(displayPrefix(a))).toBe(true);
    expect(displayPrefix(a).length).toBeLessThan(a.length / 3);
  });
});
