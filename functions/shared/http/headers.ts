/**
 * Entity tags of versioned resources. A product's ETag is its version number as a strong entity
 * tag (`"3"`); If-Match must carry exactly one such tag, as GET returned it.
 */
export function etagOf(version: number): string {
  return `"${version}"`;
}

/** What an If-Match header asks for: nothing (absent or `*`), or one version. */
export type IfMatch =
  | { readonly kind: 'absent' }
  | { readonly kind: 'any' }
  | { readonly kind: 'version'; readonly version: number };

/**
 * Parses If-Match. A tag we never issue (weak, a list, garbage) can never match the current
 * version, which RFC 9110 answers with 412, so it parses to version -1 rather than a 400.
 */
export function parseIfMatch(header: string | undefined): IfMatch {
  if (header === undefined || header.trim() === '') return { kind: 'absent' };
  const value = header.trim();
  if (value === '*') return { kind: 'any' };
  const match = /^"(\d{1,15})"$/.exec(value);
  return { kind: 'version', version: match?.[1] === undefined ? -1 : Number(match[1]) };
}
