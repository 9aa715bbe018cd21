/**
 * JSON with object keys sorted, no whitespace: the byte-stable form a hash needs, following
 * RFC 8785 (JCS). Hand-written because no canonical-JSON package is among our dependencies and
 * the rule is this short: JSON.stringify already writes numbers and strings exactly as JCS
 * requires (both specify ECMAScript's serialisation), and the default sort compares UTF-16 code
 * units, as JCS does; only key order is left to do. Takes plain JSON values only, and refuses
 * anything JSON.stringify would silently drop or change (undefined, NaN, a Date), so that a
 * value hashes the same before it is stored and after it is read back.
 */
export const canonicalJson = (value: unknown): string => {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${value} has no JSON form.`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(value))) {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`)
      .join(',')}}`;
  }
  throw new TypeError(`A ${typeof value === 'object' ? value.constructor?.name : typeof value} is not a plain JSON value.`);
};
