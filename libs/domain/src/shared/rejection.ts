/** A business refusal: a stable code that edges map to their protocol, and a human sentence. */
export type Rejection<Code extends string> = { readonly code: Code; readonly message: string };
