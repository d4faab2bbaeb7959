/**
 * Memory a cancelled context keeps while its scope stays open: `N` contexts
 * made and cancelled one after the other inside one open scope, measured as
 * the `heapUsed` delta after a full collection, divided by `N`. A context
 * that releases everything on cancellation costs ~0 bytes here, as
 * `Timer.make` + `Timer.stop` does (the reference row). Measured while the
 * scope is open because closing it frees everything anyway: a context that
 * keeps what it registered until then grows a long-lived scope without bound.
 *
 *   npx node --experimental-strip-types --no-warnings --expose-gc bench/tools/context-retention.ts [N]
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import * as GoContext from "../../src/GoContext.ts"
import * as Timer from "../../src/Timer.ts"

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) {
  console.error("run with node --expose-gc")
  process.exit(1)
}

const n = Number(process.argv[2] ?? 100_000)

const heapUsed = (): number => {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

/** Runs `once` `n` times in one open scope; bytes kept per run, measured before the scope closes. */
const perRun = (once: Effect.Effect<unknown, unknown, Scope.Scope>): Promise<number> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const run = Scope.provide(once, scope)
      // Warm up (JIT, shared singletons) before the first reading.
      for (let i = 0; i < 1000; i++) yield* run
      const before = heapUsed()
      for (let i = 0; i < n; i++) yield* run
      const after = heapUsed()
      yield* Scope.close(scope, Exit.void)
      return (after - before) / n
    })
  )

const signal = new AbortController().signal

const rows: ReadonlyArray<readonly [string, Effect.Effect<unknown, unknown, Scope.Scope>]> = [
  ["Timer.make + Timer.stop (reference)", Effect.flatMap(Timer.make("1 hour"), Timer.stop)],
  [
    "withTimeout + cancel",
    Effect.flatMap(GoContext.withTimeout(GoContext.background, "1 hour"), ([, cancel]) => cancel)
  ],
  [
    "withDeadline + cancel",
    Effect.flatMap(GoContext.withDeadline(GoContext.background, 8.64e15), ([, cancel]) => cancel)
  ],
  ["withCancel + cancel", Effect.flatMap(GoContext.withCancel(GoContext.background), ([, cancel]) => cancel)],
  [
    "fromAbortSignal, then its parent cancelled",
    Effect.flatMap(GoContext.withCancel(GoContext.background), ([parent, cancel]) =>
      Effect.andThen(GoContext.fromAbortSignal(signal, parent), cancel)
    )
  ],
  [
    "current inside run, then the run's context cancelled",
    Effect.flatMap(GoContext.withCancel(GoContext.background), ([ctx, cancel]) =>
      Effect.andThen(GoContext.run(ctx, GoContext.current), cancel)
    )
  ],
  [
    "afterFunc + stop",
    Effect.flatMap(GoContext.withCancel(GoContext.background), ([ctx, cancel]) =>
      Effect.andThen(
        Effect.flatMap(GoContext.afterFunc(ctx, Effect.void), (f) => f.stop),
        cancel
      )
    )
  ]
]

for (const [name, once] of rows) {
  // `+ 0` turns a rounded -0 into 0.
  const bytes = Math.round(await perRun(once)) + 0
  console.log(`${name.padEnd(52)} ${String(bytes).padStart(6)} B per cancelled context (N=${n})`)
}
