/**
 * Reading a reference (`Clock`, `Random`, a module's own) from a fiber's
 * context on a hot path.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import type * as Context from "effect/Context"
import type * as Fiber from "effect/Fiber"

/**
 * A reader of `ref` that looks it up once per context rather than at every
 * call: operations come in runs from one fiber, or from fibers forked from
 * one, in one context, and a lookup costs about 14 ns against 2 for the
 * check. A context is immutable, so the same one always holds the same
 * value. (The reader keeps the last context it saw reachable until another
 * replaces it.)
 */
export const refReader = <A>(ref: Context.Reference<A>): ((fiber: Fiber.Fiber<unknown, unknown>) => A) => {
  let lastContext: unknown
  let last: A
  return (fiber) => {
    const context = fiber.context
    if (context !== lastContext) {
      last = fiber.getRef(ref)
      lastContext = context
    }
    return last
  }
}

/** The fiber's Clock (live, or a provided one such as `TestClock`), for every module that reads it per operation. */
export const clockOf = refReader(Clock.Clock)
