/**
 * Guards against copied primitives.
 *
 * Go's `go vet` (copylocks) and runtime ("sync.Cond is copied") catch a lock
 * or WaitGroup passed by value. TypeScript has no value types, but a spread
 * (`{ ...wg }`) or `Object.assign` makes the same bug: a half-copy with its
 * own counter sharing the original's waiter list. Structural typing lets the
 * copy type-check, so every primitive checks at run time that it was given
 * the object it created, and dies with {@link CopiedPrimitiveError} if not.
 *
 * @internal
 */
import * as Data from "effect/Data"

/**
 * A primitive was used through a copy (spread, `Object.assign`,
 * `structuredClone`) instead of the object `make` returned: a defect.
 *
 * @since 0.1.0
 */
export class CopiedPrimitiveError extends Data.TaggedError("CopiedPrimitiveError")<{
  readonly primitive: string
}> {
  override get message(): string {
    return `${this.primitive} is copied: pass the ${this.primitive} itself (effect-go primitives are references; a spread or Object.assign copy shares half of its state)`
  }
}

/**
 * Returns `self` as its implementation class, or throws (a defect inside an
 * Effect) when it is not an instance: a copy or a forgery.
 */
export const unwrap = <T>(self: unknown, Impl: abstract new (...args: Array<any>) => T, primitive: string): T => {
  if (self instanceof Impl) return self
  throw new CopiedPrimitiveError({ primitive })
}
