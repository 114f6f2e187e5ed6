export const MAX_JSON_DEPTH = 32;

// Names that reach Object.prototype when a parser or a merge assigns them.
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Returns why a parsed JSON body cannot be accepted, or undefined when it can. PostgreSQL
 * rejects NUL characters and unpaired UTF-16 surrogates in text and jsonb, prototype
 * keys are a common attack, and very deep nesting would exhaust the stack of any
 * recursive walk.
 */
export function findUnacceptableJson(body: unknown): string | undefined {
  const pending: { value: unknown; depth: number }[] = [{ value: body, depth: 0 }];

  while (pending.length > 0) {
    const { value, depth } = pending.pop()!;
    if (typeof value === 'string') {
      const problem = describeBadString(value);
      if (problem) {
        return `a string value ${problem}`;
      }
      continue;
    }
    if (value === null || typeof value !== 'object') {
      continue;
    }
    if (depth >= MAX_JSON_DEPTH) {
      return `the body is nested deeper than ${MAX_JSON_DEPTH} levels`;
    }
    for (const [key, child] of Object.entries(value)) {
      if (PROTOTYPE_KEYS.has(key)) {
        return `the property name "${key}" is not allowed`;
      }
      const problem = describeBadString(key);
      if (problem) {
        return `a property name ${problem}`;
      }
      pending.push({ value: child, depth: depth + 1 });
    }
  }
  return undefined;
}

function describeBadString(text: string): string | undefined {
  if (text.includes('\u0000')) {
    return 'contains a NUL character';
  }
  if (!text.isWellFormed()) {
    return 'contains an unpaired UTF-16 surrogate';
  }
  return undefined;
}
