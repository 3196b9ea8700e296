// JSON text in which bigint values appear as exact integer literals (JSON.stringify throws on
// bigint, and a Number would round u64 values above 2^53).

const MARKER = '\u0000bigint:';

export function stringifyWithBigInts(value: unknown, indent?: number): string {
  const text = JSON.stringify(
    value,
    (_key, item: unknown) => (typeof item === 'bigint' ? `${MARKER}${item.toString()}` : item),
    indent,
  );
  // JSON.stringify escapes the NUL of the marker as \u0000, which user strings cannot forge
  // into this exact quoted form without the marker itself being present.
  return text.replace(/"\\u0000bigint:(-?\d+)"/g, '$1');
}
