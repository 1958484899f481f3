/**
 * Characters of a string as the API's schema, the instance format and PostgreSQL's varchar(n)
 * count them (and class-validator's @Length): Unicode code points, so an emoji is one, not the
 * two UTF-16 units of `s.length`; a lone surrogate is one.
 */
export function charCount(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}
