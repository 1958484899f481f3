import { Writable } from 'node:stream';
import { createLogger, wantsPrettyLogs } from './logger';

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('logger', () => {
  it('is pretty only on a terminal outside production', () => {
    expect(wantsPrettyLogs({}, { isTTY: true })).toBe(true);
    expect(wantsPrettyLogs({ NODE_ENV: 'development' }, { isTTY: true })).toBe(true);
    expect(wantsPrettyLogs({ NODE_ENV: 'production' }, { isTTY: true })).toBe(false);
    expect(wantsPrettyLogs({}, { isTTY: false })).toBe(false);
    expect(wantsPrettyLogs({}, {})).toBe(false);
  });

  it('writes one JSON object a line when not pretty, with the key redacted', () => {
    const out = capture();
    createLogger('info', false, out.stream).info({ headers: { authorization: 'Bearer secret' } }, 'hello');
    const line = JSON.parse(out.text().trim());
    expect(line).toMatchObject({
      msg: 'hello',
      service: 'pflex-api',
      level: 30,
      headers: { authorization: '[Redacted]' },
    });
  });

  it('writes readable lines when pretty', () => {
    const out = capture();
    createLogger('info', true, out.stream).info({ context: 'Bootstrap' }, 'listening on 3000');
    const text = out.text();
    expect(text).toMatch(/INFO.*listening on 3000/);
    expect(text).toContain('context: "Bootstrap"');
    expect(() => JSON.parse(text)).toThrow();
  });
});
