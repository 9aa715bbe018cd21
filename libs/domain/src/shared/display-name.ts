/**
 * The key two display names (token labels, integration names) are compared by: compatibility
 * forms folded (NFKC: 'ｄｕｐ' and 'dup' are one name), invisible format characters (category
 * Cf: zero-width spaces, bidi overrides) dropped, surrounding spaces trimmed, case ignored.
 * The edges refuse format characters in new names; dropping them here also keeps names
 * recorded before that refusal from standing beside their visible twin.
 */
const displayNameKey = (name: string): string => name.normalize('NFKC').replace(/\p{Cf}/gu, '').trim().toLowerCase();

/**
 * Whether a display name is the same name as `name`. `name`'s key is computed once: a decider
 * checks a new name against every live one of its owner, and the keys (NFKC, a Unicode-class
 * regex) cost more than the rest of the decision.
 */
export const sameDisplayNameAs = (name: string): ((other: string) => boolean) => {
  const key = displayNameKey(name);
  return (other) => displayNameKey(other) === key;
};
