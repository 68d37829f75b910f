/**
 * Splits an inline command line (telnet style) the way redis-server does (sdssplitargs): words separated by spaces;
 * "double quotes" with \n \r \t \b \a, \xHH and \<char> escapes; 'single quotes' where only \' is an escape. A
 * closing quote must be followed by a space or the end of the line. Returns null for unbalanced quotes (redis
 * answers those with a protocol error).
 */

const ESCAPES: Record<string, number> = { n: 10, r: 13, t: 9, b: 8, a: 7 };
const SPACE = /[ \t\n\r\v\f]/;
const HEX = /^[0-9a-fA-F]{2}$/;

export function splitInline(line: string): Buffer[] | null {
  const args: Buffer[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    while (i < n && SPACE.test(line[i])) i++;
    if (i >= n) return args;
    const bytes: number[] = [];
    const text = (char: string): void => {
      const code = char.charCodeAt(0);
      if (code < 0x80) bytes.push(code);
      else bytes.push(...Buffer.from(char, 'utf8'));
    };
    let quote: '"' | "'" | null = null;
    for (;;) {
      if (i >= n) {
        if (quote) return null; // unterminated quotes
        break;
      }
      const c = line[i];
      if (quote === '"') {
        if (c === '\\' && line[i + 1] === 'x' && HEX.test(line.slice(i + 2, i + 4))) {
          bytes.push(parseInt(line.slice(i + 2, i + 4), 16));
          i += 4;
          continue;
        }
        if (c === '\\' && i + 1 < n) {
          const next = line[i + 1];
          if (next in ESCAPES) bytes.push(ESCAPES[next]);
          else text(next);
          i += 2;
          continue;
        }
      } else if (quote === "'" && c === '\\' && line[i + 1] === "'") {
        bytes.push(0x27);
        i += 2;
        continue;
      }
      if (quote && c === quote) {
        // The closing quote must end the argument.
        if (i + 1 < n && !SPACE.test(line[i + 1])) return null;
        quote = null;
        i++;
        break;
      }
      if (!quote) {
        if (SPACE.test(c)) break;
        if (c === '"' || c === "'") {
          quote = c;
          i++;
          continue;
        }
      }
      const char = String.fromCodePoint(line.codePointAt(i)!);
      text(char);
      i += char.length;
    }
    args.push(Buffer.from(bytes));
  }
}
