/**
 * How a public function takes its effect: either last or later, and
 * checked to be one.
 *
 * @internal
 */
import * as Effect from "effect/Effect"

/**
 * Is `u` an Effect? What `Effect.isEffect` answers (the same public
 * `Effect.TypeId` key), without its generic `hasProperty` (a `dual` wrapper
 * around the `in`): about 7 ns against 21 per check, and every `go`, `do`,
 * `withLock`, `withPermits`, `run` and handler checks its argument.
 */
export const isEffect = (u: unknown): u is Effect.Effect<unknown, unknown, unknown> =>
  (typeof u === "object" || typeof u === "function") && u !== null && Effect.TypeId in u

/**
 * A function whose data-first form takes an effect as its last argument —
 * `ErrGroup.go(group, task)`, `Once.do(once, init)` — and whose data-last
 * form leaves the effect out and returns a function of it, for `pipe`:
 * `task.pipe(ErrGroup.go(group))`. `arity` counts the effect.
 *
 * `dual` from `effect/Function` cannot express this shape: its data-last
 * form passes the piped value as the first argument. Effect's own
 * container operations (`FiberSet.run`, `Semaphore.withPermits`) have the
 * same shape and dispatch the same way, on the number of arguments.
 */
export const effectLast: {
  <F>(arity: 2, body: (a: any, effect: any) => any): F
  <F>(arity: 3, body: (a: any, b: any, effect: any) => any): F
} = (arity: 2 | 3, body: (...args: Array<any>) => any): any =>
  arity === 2
    ? function (a: unknown, effect?: unknown) {
        // biome-ignore lint/complexity/noArguments: an effect passed as undefined is bad input, not a missing argument
        return arguments.length >= 2 ? body(a, effect) : (later: unknown) => body(a, later)
      }
    : function (a: unknown, b: unknown, effect?: unknown) {
        // biome-ignore lint/complexity/noArguments: an effect passed as undefined is bad input, not a missing argument
        return arguments.length >= 3 ? body(a, b, effect) : (later: unknown) => body(a, b, later)
      }
