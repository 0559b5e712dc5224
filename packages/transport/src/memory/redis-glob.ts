/**
 * Redis's glob matching (`stringmatchlen` in util.c), as PSUBSCRIBE, KEYS and SCAN MATCH use it,
 * over the UTF-8 bytes like Redis:
 *
 * - `*` any sequence (also empty), `?` exactly one byte
 * - `[abc]` one of, `[^abc]` none of, `[a-z]` a range (ends in either order), `\x` inside a class
 * - `\x` outside a class matches `x` literally
 * - an unclosed `[` matches as if the class ended at the pattern's end
 */
export function redisGlobMatch(pattern: string, subject: string): boolean {
  const p = Buffer.from(pattern, 'utf8');
  const s = Buffer.from(subject, 'utf8');
  return match(p, 0, s, 0, { skipLonger: false }, 0);
}

const STAR = 0x2a;
const QUESTION = 0x3f;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const CARET = 0x5e;
const DASH = 0x2d;
const BACKSLASH = 0x5c;

interface MatchState {
  /** Set when a `*` exhausted the subject: a longer prefix cannot match either (Redis's pruning). */
  skipLonger: boolean;
}

function match(p: Buffer, pi: number, s: Buffer, si: number, state: MatchState, nesting: number): boolean {
  // Redis refuses to recurse deeper than this (patterns like `*a*a*a...`).
  if (nesting > 1000) return false;
  const pEnd = p.length;
  const sEnd = s.length;
  while (pi < pEnd && si < sEnd) {
    const c = p[pi]!;
    if (c === STAR) {
      while (pi + 1 < pEnd && p[pi + 1] === STAR) pi++;
      if (pi + 1 === pEnd) return true;
      while (si < sEnd) {
        if (match(p, pi + 1, s, si, state, nesting + 1)) return true;
        if (state.skipLonger) return false;
        si++;
      }
      state.skipLonger = true;
      return false;
    } else if (c === QUESTION) {
      si++;
    } else if (c === OPEN) {
      pi++;
      const not = p[pi] === CARET;
      if (not) pi++;
      let matched = false;
      const ch = s[si]!;
      for (;;) {
        if (pi >= pEnd) {
          // Unclosed class: step back so the advance below lands on the end.
          pi--;
          break;
        }
        const pc = p[pi]!;
        if (pc === BACKSLASH && pEnd - pi >= 2) {
          pi++;
          if (p[pi] === ch) matched = true;
        } else if (pc === CLOSE) {
          break;
        } else if (pEnd - pi >= 3 && p[pi + 1] === DASH) {
          let start = pc;
          let end = p[pi + 2]!;
          if (start > end) [start, end] = [end, start];
          pi += 2;
          if (ch >= start && ch <= end) matched = true;
        } else if (pc === ch) {
          matched = true;
        }
        pi++;
      }
      if (not) matched = !matched;
      if (!matched) return false;
      si++;
    } else {
      if (c === BACKSLASH && pEnd - pi >= 2) pi++;
      if (p[pi] !== s[si]) return false;
      si++;
    }
    pi++;
    if (si === sEnd) {
      while (pi < pEnd && p[pi] === STAR) pi++;
      break;
    }
  }
  return pi === pEnd && si === sEnd;
}
