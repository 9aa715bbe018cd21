import { SecretHash, SecretKind } from '@keyhold/crypto';
import { RecordedEvent } from '@keyhold/event-store';
import { Principal } from './principal';

/**
 * What this node knows to verify one kind of credential, built from the log. Each kind of
 * credential (personal tokens, OAuth access tokens, integration tokens, ...) has one, and the
 * credential index routes a presented secret to it by the secret's prefix.
 */
export interface CredentialKindIndex<State = unknown> {
  readonly kind: SecretKind;
  apply(event: RecordedEvent): void;
  /**
   * What it holds, for the credential index's snapshot (`credential-index-snapshot.ts`): plain
   * data, Maps and typed arrays, which may share its own buffers (the snapshot is written out
   * before another event is applied). Keyed hashes and ids only, never a secret.
   */
  state(): State;
  /** Takes over a state that `state()` gave (read back from a MAC-checked snapshot), in place of all it held. */
  restore(state: State): void;
  /**
   * The principal for a secret whose hash is one of `candidates()`, or null if none is live. A
   * kind whose secrets are sealed (they carry their claims and a MAC) reads `secret` itself, and
   * asks for `candidates()` only for a secret that is not sealed: each candidate is an HMAC.
   */
  verify(candidates: () => readonly SecretHash[], now: string, secret: string): Principal | null;
  /** How many live secrets it holds, for start-up logs and metrics. */
  readonly size: number;
}

/** Every kind's index, in one array: the VerificationModule provides it. */
export const CREDENTIAL_KIND_INDEXES = Symbol('CredentialKindIndexes');
