/**
 * Fiber-leak checking for every test.
 *
 * {@link leakCheck} installs a FiberMonitor (src/FiberMonitor.ts: a counting
 * `Metric.FiberRuntimeMetrics` service) for the test body only (not for the
 * test services around it), runs the body in a fiber of its own so that its `forkChild`
 * children are interrupted and awaited when it ends, closes the body's scope, and then fails if any fiber the body started
 * is still alive.
 */
import { it as base } from "@effect/vitest"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import * as FiberMonitor from "../../src/FiberMonitor.ts"

/** A test left fibers running after its scope closed. */
export class FiberLeakError extends Data.TaggedError("FiberLeakError")<{
  readonly leaked: number
  readonly started: number
}> {
  override get message(): string {
    return `${this.leaked} of the ${this.started} fiber(s) this test started are still alive after its scope closed`
  }
}

/**
 * Runs `body` (with its own scope) and fails with {@link FiberLeakError} if a
 * fiber it started outlives it. The body's own result is kept when it failed.
 */
export const leakCheck = <A, E, R>(
  body: Effect.Effect<A, E, R | Scope.Scope>
): Effect.Effect<A, E | FiberLeakError, Exclude<R, Scope.Scope>> =>
  Effect.suspend(() => {
    const monitor = FiberMonitor.make()
    // The body fiber itself is counted; when it has ended, its children have
    // been interrupted and awaited and its scope is closed.
    return Effect.forkChild(Effect.scoped(body)).pipe(
      FiberMonitor.track(monitor),
      Effect.flatMap(Fiber.await),
      Effect.flatMap((exit): Effect.Effect<A, E | FiberLeakError> => {
        const leaked = FiberMonitor.live(monitor)
        return leaked > 0 ? Effect.fail(new FiberLeakError({ leaked, started: monitor.started })) : exit
      })
    ) as Effect.Effect<A, E | FiberLeakError, Exclude<R, Scope.Scope>>
  })

type Body = (...args: Array<any>) => Effect.Effect<any, any, any>
const checked =
  <F extends Body>(self: F) =>
  (...args: Parameters<F>) =>
    leakCheck(self(...args))

type Tester = typeof base.effect

const wrapTester = (tester: Tester): Tester => {
  const register =
    (test: (name: string, self: Body, timeout?: any) => void) => (name: string, self: Body, timeout?: any) =>
      test(name, checked(self), timeout)
  return Object.assign(register(tester as any), {
    skip: register(tester.skip as any),
    skipIf: (condition: unknown) => register(tester.skipIf(condition) as any),
    runIf: (condition: unknown) => register(tester.runIf(condition) as any),
    only: register(tester.only as any),
    fails: register(tester.fails as any),
    each: (cases: ReadonlyArray<unknown>) => (name: string, self: Body, timeout?: any) =>
      tester.each(cases)(name, checked(self) as any, timeout),
    prop: (name: string, arbitraries: any, self: Body, timeout?: any) =>
      tester.prop(name, arbitraries, checked(self) as any, timeout)
  }) as unknown as Tester
}

/**
 * `@effect/vitest`'s `it`, with `it.effect` and `it.live` leak-checked.
 * Every test file imports `it` from here.
 */
export const it: typeof base = new Proxy(base, {
  get(target, property, receiver) {
    if (property === "effect") return effect
    if (property === "live") return live
    return Reflect.get(target, property, receiver)
  }
})
const effect = wrapTester(base.effect)
const live = wrapTester(base.live)
