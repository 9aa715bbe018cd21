/**
 * The key two display names (token labels, integration names) are compared by: compatibility
 * forms folded (NFKC: 'ｄｕｐ' and 'dup' are one name), invisible format characters (category
 * Cf: zero-width spaces, bidi overrides) dropped, surrounding spaces trimmed, case ignored.
 * The edges refuse format characters in new names; dropping them here also keeps names
 * recorded before that refusal from standing beside their visible twin.
 */
const displayNameKey = (name: string): string => name.normalize('NFKC').replace(/\p{Cf}/gu, '').trim().toLowerCase();

export const sameDisplayName = (a: string, b: string): boolean => displayNameKey(a) === displayNameKey(b);
