/**
 * The one way a public function takes its effect either last or later.
 *
 * @internal
 */

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
