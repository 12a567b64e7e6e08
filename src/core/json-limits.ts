/**
 * Limits on untrusted JSON, checked without recursion so that no input can overflow the stack.
 *
 * V8's JSON.parse is iterative, but what runs after it is not: JSON.stringify (storing a value),
 * Ajv, canonicalisation and most tree walks recurse and throw RangeError somewhere between 4,000
 * and 10,000 levels, deeper in a fresh stack than in a busy one. So every untrusted JSON text is
 * measured *before* it is parsed, and anything nested deeper than MAX_JSON_DEPTH is refused.
 */

/**
 * Deepest nesting of arrays and objects accepted in any JSON input (a body, a field of the
 * signed auth request, a member of an artifact, a webhook's answer). `{"a": [1]}` has depth 2;
 * the deepest documents Gatehouse takes legitimately (bootstrap metadata, enrollment templates)
 * need well under ten.
 */
export const MAX_JSON_DEPTH = 32;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The greatest nesting depth reached by a JSON text, scanning at most until it exceeds `stopAt`
 * (one linear pass, brackets inside strings ignored). Text that is not JSON gets some number;
 * the parser refuses it afterwards.
 */
export const jsonDepth = (text: string | Uint8Array, stopAt = Number.POSITIVE_INFINITY): number => {
  const isString = typeof text === 'string';
  const n = text.length;
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < n; i++) {
    // Every byte this loop looks at is ASCII, so UTF-16 units and UTF-8 bytes scan alike.
    const c = isString ? (text as string).charCodeAt(i) : (text as Uint8Array)[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > stopAt) return max;
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return max;
};

/** Whether a JSON text nests arrays/objects deeper than `max` (MAX_JSON_DEPTH by default). */
export const isJsonTooDeep = (text: string | Uint8Array, max = MAX_JSON_DEPTH): boolean =>
  jsonDepth(text, max) > max;

/**
 * Whether any string or object key in a parsed value contains U+0000, at any depth (an explicit
 * stack, not recursion). PostgreSQL text cannot hold U+0000.
 */
export const containsNul = (value: unknown): boolean => {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return true;
    } else if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
    } else if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) {
      for (const k of Object.keys(v)) {
        if (k.includes('\u0000')) return true;
        stack.push((v as Record<string, unknown>)[k]);
      }
    }
  }
  return false;
};

export const NUL_MESSAGE = 'strings must not contain NUL (U+0000)';
export const DEPTH_MESSAGE = `JSON nested deeper than ${MAX_JSON_DEPTH} levels`;
