import { ERROR_CODES } from '@agentbus/schema';
import { RequestRejectedError } from './request-rejected';

// Without the `u` flag the pattern sees UTF-16 code units: a high surrogate not followed by a low
// one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export interface IllFormed {
  /** Dotted path of the string, or of the object whose key it is (`''`: the value itself). */
  path: string;
  /** The string is a key of the object at `path`, not a value. */
  key: boolean;
  /** Code unit of the lone surrogate. */
  unit: number;
}

function loneSurrogate(s: string): number | undefined {
  const m = LONE_SURROGATE.exec(s);
  return m ? m[0].charCodeAt(0) : undefined;
}

const join = (path: string, part: string) => (path === '' ? part : `${path}.${part}`);

/**
 * The first string (value or key) in a JSON value that is not well-formed UTF-16. Iterative: the
 * value may be as deep as the depth limit allows, and this must not be what overflows the stack.
 */
export function findIllFormed(value: unknown): IllFormed | undefined {
  const stack: Array<[unknown, string]> = [[value, '']];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      const unit = loneSurrogate(v);
      if (unit !== undefined) return { path, key: false, unit };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], join(path, String(i))]);
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v);
      for (const [k] of entries) {
        const unit = loneSurrogate(k);
        if (unit !== undefined) return { path, key: true, unit };
      }
      for (let i = entries.length - 1; i >= 0; i--) stack.push([entries[i]![1], join(path, entries[i]![0])]);
    }
  }
  return undefined;
}

/**
 * Refuses a request part holding a lone surrogate. JSON can carry one (`"\ud83d"`), JavaScript
 * keeps it, but Redis's Lua (cjson) cannot encode it, and consumers in other languages reject it:
 * refused here with 400, it never reaches a script or a stream.
 */
export function assertWellFormed(value: unknown, where: 'body' | 'params' | 'query'): void {
  const bad = findIllFormed(value);
  if (!bad) return;
  const path = join(where, bad.path);
  const hex = bad.unit.toString(16).toUpperCase();
  const what = bad.key ? `a key of ${path}` : path;
  throw new RequestRejectedError(
    ERROR_CODES.INVALID_MESSAGE,
    400,
    `${what} is not well-formed UTF-16: it holds a lone surrogate (U+${hex}); send text as valid UTF-8, where a character outside the BMP is one surrogate pair`,
    { path },
  );
}
