import { webSocketOriginAllowed } from './http-hardening';

describe('webSocketOriginAllowed', () => {
  it('lets clients without an Origin (not browsers) and listed origins in', () => {
    expect(webSocketOriginAllowed(undefined, 'api.example:3000', [])).toBe(true);
    expect(webSocketOriginAllowed('https://app.example', 'api.example', ['https://app.example'])).toBe(true);
    expect(webSocketOriginAllowed('https://any.example', 'api.example', ['*'])).toBe(true);
  });

  it("lets the API's own origin in, port included, as a proxy passing the browser's Host sends it", () => {
    // the console at / behind infra/nginx published on 8080: Origin and Host both carry the port
    expect(webSocketOriginAllowed('http://localhost:8080', 'localhost:8080', [])).toBe(true);
    expect(webSocketOriginAllowed('https://pflex.example', 'pflex.example', [])).toBe(true);
    expect(webSocketOriginAllowed('https://pflex.example:443', 'pflex.example', [])).toBe(true);
    expect(webSocketOriginAllowed('https://PFLEX.example', 'pflex.EXAMPLE', [])).toBe(true);
  });

  it('refuses other origins, a port that differs, and what is not an origin', () => {
    // a proxy that dropped the port ($host) would make the console's own socket look foreign
    expect(webSocketOriginAllowed('http://localhost:8080', 'localhost', [])).toBe(false);
    expect(webSocketOriginAllowed('https://evil.example', 'pflex.example', ['https://app.example'])).toBe(false);
    expect(webSocketOriginAllowed('null', 'pflex.example', [])).toBe(false);
    expect(webSocketOriginAllowed('https://pflex.example.evil.example', 'pflex.example', [])).toBe(false);
  });
});
