/**
 * effect-go's testing kit for `@effect/vitest`: goleak for every test, and
 * the schedule explorer as a test.
 *
 * - {@link it} is `@effect/vitest`'s `it` with every Effect test
 *   (`it.effect`, `it.live`, their `skip`/`only`/`fails`/`each`/`prop`
 *   forms, and the tests of `it.layer` blocks) run under
 *   `Testing.leakCheck`: a test fails with `FiberLeakError` when a fiber it
 *   started outlives it, and the error names the leaked fibers and shows
 *   where those blocked on effect-go primitives are stuck. Everything else
 *   (`it.skip`, `it.todo`, plain vitest tests) is `@effect/vitest`'s own.
 * - `it.explore(name, model, options?)` runs `Testing.explore` as a test:
 *   it fails with the first failing run, its seed and the command that
 *   replays exactly that run:
 *   `EFFECT_GO_SEED=<seed> npx vitest run <file> -t '<test>'`. With
 *   `EFFECT_GO_SEED` set, every `it.explore` runs that one seed only.
 *
 * A test explores the same schedules on every run (its first seed is
 * derived from its name, unless `seed` is given): CI stays deterministic.
 * To look further, raise `runs`, or pass another `seed`.
 *
 * `@effect/vitest` and `vitest` are optional peer dependencies of effect-go:
 * install them to use this module (the rest of effect-go does not need
 * them). Inside a test, `Testing.expectNoBlockedFibers` and
 * `Testing.expectNoDeadlock` look at that test's fibers only.
 *
 * @example
 * ```ts
 * import { describe, expect } from "@effect/vitest"
 * import { Effect, Fiber, Option } from "effect"
 * import { Chan } from "effect-go"
 * import { it } from "effect-go/vitest"
 *
 * describe("jobs", () => {
 *   // Fails: the worker is still blocked on recv when the test ends.
 *   it.effect.fails("a forgotten worker is reported", () =>
 *     Effect.gen(function* () {
 *       const jobs = yield* Chan.make<number>(0, { name: "jobs" })
 *       yield* Effect.forkDetach(Chan.recv(jobs))
 *     })
 *   )
 *
 *   it.effect("a closed channel lets the worker end", () =>
 *     Effect.gen(function* () {
 *       const jobs = yield* Chan.make<number>(0)
 *       const worker = yield* Effect.forkDetach(Chan.recv(jobs))
 *       yield* Chan.close(jobs)
 *       expect(Option.isNone(yield* Fiber.join(worker))).toBe(true)
 *     })
 *   )
 * })
 * ```
 *
 * @since 0.1.0
 */
import { it as baseIt, makeMethods as baseMakeMethods, type Vitest } from "@effect/vitest"
import type * as Effect from "effect/Effect"
import type * as V from "vitest"
import { type ExploreOptions, exploreForTest, type Model, SEED_VARIABLE } from "./internal/explore.ts"
import * as Testing from "./Testing.ts"

// -----------------------------------------------------------------------------
// Leak-checked Effect tests
// -----------------------------------------------------------------------------

type Body = (...args: Array<unknown>) => Effect.Effect<unknown, unknown, unknown>
type AnyTester = Vitest.Tester<unknown, object>
type AnyTest = (name: string, self: Body, timeout?: number | V.TestOptions) => void

interface TaskLike {
  readonly name: string
  readonly fullTestName?: string | undefined
  readonly file?: { readonly name: string } | undefined
}

// Vitest's test context is a function object (it can be called to skip).
const isTestContext = (u: unknown): u is { readonly task: TaskLike; readonly signal: AbortSignal } =>
  ((typeof u === "object" && u !== null) || typeof u === "function") && "task" in u && "signal" in u

/** The test's full name, from the test context among a test function's arguments. */
const testNameIn = (args: ReadonlyArray<unknown>): string | undefined => {
  for (let i = args.length - 1; i >= 0; i--) {
    const arg = args[i]
    if (isTestContext(arg)) return arg.task.fullTestName ?? arg.task.name
  }
  return undefined
}

/**
 * `f`, showing the source of `source`: vitest reads a test function's source
 * to decide which fixtures to set up, so a wrapper shows the user's.
 */
const withSourceOf = <F extends object>(source: object, f: F): F =>
  Object.defineProperty(f, "toString", { value: () => source.toString() })

const checked = (self: Body): Body =>
  withSourceOf(self, (...args: Array<unknown>) => {
    const name = testNameIn(args)
    return Testing.leakCheck(self(...args), name === undefined ? undefined : { name })
  })

const wrapTest =
  (test: AnyTest): AnyTest =>
  (name, self, timeout) =>
    test(name, checked(self), timeout)

const testers = new WeakMap<object, AnyTester>()

/** `tester` with every test body leak-checked. */
const leakChecked = <T>(tester: T): T => {
  const t = tester as unknown as AnyTester
  const cached = testers.get(t)
  if (cached !== undefined) return cached as unknown as T
  const wrapped: AnyTester = Object.assign(wrapTest(t as unknown as AnyTest), {
    skip: wrapTest(t.skip as unknown as AnyTest),
    skipIf: (condition: unknown) => wrapTest(t.skipIf(condition) as unknown as AnyTest),
    runIf: (condition: unknown) => wrapTest(t.runIf(condition) as unknown as AnyTest),
    only: wrapTest(t.only as unknown as AnyTest),
    fails: wrapTest(t.fails as unknown as AnyTest),
    each: (cases: ReadonlyArray<unknown>) => (name: string, self: Body, timeout?: number | V.TestOptions) =>
      (t.each(cases) as unknown as AnyTest)(name, checked(self), timeout),
    prop: (name: string, arbitraries: unknown, self: Body, timeout?: unknown) =>
      (t.prop as unknown as (n: string, a: unknown, s: Body, t?: unknown) => void)(
        name,
        arbitraries,
        checked(self),
        timeout
      )
  }) as unknown as AnyTester
  testers.set(t, wrapped)
  return wrapped as unknown as T
}

// -----------------------------------------------------------------------------
// Explored tests
// -----------------------------------------------------------------------------

/**
 * Registers a test that runs `model` under many seeded schedules
 * (`Testing.explore`) and fails with the first failing run, its seed and the
 * command that replays it.
 *
 * @category models
 * @since 0.1.0
 */
export interface ExploreTest {
  /**
   * `it.explore(name, model, options?, timeout?)`: explores `model` under
   * `options.runs` schedules (default 100) from the test's seed (derived
   * from its name, or `options.seed`; `EFFECT_GO_SEED` replays one), and
   * fails with the first failing run and its replay command.
   */
  // biome-ignore lint/style/useShorthandFunctionType: ExploreTester extends it with its modifiers.
  (name: string, model: Model, options?: ExploreOptions, timeout?: number | V.TestOptions): void
}

/**
 * `it.explore` and its modifiers, as vitest's own: `skip`, `only`, `fails`
 * (the test passes when the explorer finds a failing run), `skipIf`,
 * `runIf`.
 *
 * @category models
 * @since 0.1.0
 */
export interface ExploreTester extends ExploreTest {
  readonly skip: ExploreTest
  readonly only: ExploreTest
  readonly fails: ExploreTest
  readonly skipIf: (condition: unknown) => ExploreTest
  readonly runIf: (condition: unknown) => ExploreTest
}

type Register = (name: string, options: V.TestOptions, fn: (context: V.TestContext) => Promise<void>) => void

/** The test runner's environment, where there is one. */
const envSeed = (): string | undefined =>
  (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[SEED_VARIABLE]

const exploreTest =
  (register: Register): ExploreTest =>
  (name, model, options, timeout) =>
    register(
      name,
      typeof timeout === "number" ? { timeout } : (timeout ?? {}),
      // No fixture is requested (vitest reads the source of the function's first parameter).
      withSourceOf(
        () => {},
        async (context: V.TestContext): Promise<void> => {
          await exploreForTest(model, options, {
            file: context.task.file?.name,
            fullTestName: context.task.fullTestName ?? context.task.name,
            envSeed: envSeed(),
            signal: context.signal
          })
        }
      )
    )

const exploreTester = (api: V.TestAPI<object>): ExploreTester =>
  Object.assign(exploreTest(api as unknown as Register), {
    skip: exploreTest(api.skip as unknown as Register),
    only: exploreTest(api.only as unknown as Register),
    fails: exploreTest(api.fails as unknown as Register),
    skipIf: (condition: unknown) => exploreTest(api.skipIf(condition) as unknown as Register),
    runIf: (condition: unknown) => exploreTest(api.runIf(condition) as unknown as Register)
  })

// -----------------------------------------------------------------------------
// The test API
// -----------------------------------------------------------------------------

/**
 * `@effect/vitest`'s test API with every Effect test leak-checked, and
 * `explore`.
 *
 * @category models
 * @since 0.1.0
 */
export interface Methods<R = never, ExtraContext = {}> extends Vitest.Methods<R, ExtraContext> {
  /**
   * Registers a test that explores a model under seeded schedules (see
   * {@link ExploreTester}).
   */
  readonly explore: ExploreTester
}

const explorers = new WeakMap<object, ExploreTester>()

/** `methods` (an `@effect/vitest` test API) with its Effect tests leak-checked, at any depth of `layer`. */
const wrapMethods = <M extends object>(methods: M): M =>
  new Proxy(methods, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver)
      switch (property) {
        case "effect":
        case "live":
          return value === undefined ? value : leakChecked(value)
        case "layer":
          return typeof value === "function" ? wrapLayer(value as LayerFn) : value
        case "explore": {
          let tester = explorers.get(target)
          if (tester === undefined)
            explorers.set(target, (tester = exploreTester(target as unknown as V.TestAPI<object>)))
          return tester
        }
        default:
          return value
      }
    }
  })

type Block = (it: object) => void
type LayerFn = (...layerArgs: Array<unknown>) => (...args: Array<unknown>) => void

/** `it.layer(layer, options)(name?, f)`: `f` gets the block's test API, leak-checked. */
const wrapLayer =
  (layer: LayerFn): LayerFn =>
  (...layerArgs) => {
    const block = layer(...layerArgs)
    return (...args) => {
      const last = args.length - 1
      const f = args[last] as Block
      const wrapped: Block = (it) => f(wrapMethods(it))
      return block(...args.slice(0, last), typeof f === "function" ? wrapped : f)
    }
  }

/**
 * `@effect/vitest`'s `it`, with every Effect test leak-checked by
 * `Testing.leakCheck` (`it.effect`, `it.live`, their modifiers, and the
 * tests of `it.layer` blocks), and `it.explore` to run the schedule
 * explorer as a test.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Chan, Mutex } from "effect-go"
 * import * as Testing from "effect-go/Testing"
 * import { it } from "effect-go/vitest"
 *
 * // Fails with the seed of a run where both bookings saw the last seat, and
 * // `EFFECT_GO_SEED=<seed> npx vitest run <file> -t '^books the last seat once$'`.
 * it.explore("books the last seat once", (chaos) =>
 *   Effect.gen(function* () {
 *     let seats = 1
 *     const mu = yield* Mutex.make()
 *     const audit = yield* Chan.make<string>(2)
 *     const book = (who: string) =>
 *       Mutex.withLock(mu)(
 *         Effect.gen(function* () {
 *           if (seats > 0) {
 *             yield* Chan.send(audit, who)
 *             seats--
 *           }
 *         })
 *       )
 *     yield* Effect.all([book("ann"), book("bob")], { concurrency: "unbounded" })
 *     if (seats < 0) return yield* chaos.fail(`oversold: ${seats} seats left`)
 *   }), { runs: 300 })
 *
 * it.effect("leaves no fiber blocked", () =>
 *   Effect.gen(function* () {
 *     const done = yield* Chan.make<void>(0)
 *     yield* Effect.forkChild(Chan.send(done, undefined))
 *     yield* Chan.recv(done)
 *     yield* Testing.expectNoBlockedFibers
 *   })
 * )
 * ```
 *
 * @category tests
 * @since 0.1.0
 */
export const it: Methods = wrapMethods(baseIt) as Methods

/**
 * `@effect/vitest`'s `layer`, whose tests are leak-checked: shares a
 * `Layer` between the tests of a block (the layer's own fibers are not the
 * tests' and are never counted as leaks).
 *
 * @example
 * ```ts
 * import { Context, Effect, Layer } from "effect"
 * import { layer } from "effect-go/vitest"
 *
 * class Greeting extends Context.Service<Greeting, string>()("Greeting") {}
 *
 * layer(Layer.succeed(Greeting, "hello"))("greeting", (it) => {
 *   it.effect("reads the shared service", () => Effect.asVoid(Greeting))
 * })
 * ```
 *
 * @category tests
 * @since 0.1.0
 */
export const layer: Vitest.Methods["layer"] = it.layer

/**
 * `@effect/vitest`'s `makeMethods` — the Effect test API over a vitest
 * test API extended with fixtures (`test.extend`) —, leak-checked and with
 * `explore`.
 *
 * @example
 * ```ts
 * import { test } from "@effect/vitest"
 * import { Effect } from "effect"
 * import { makeMethods } from "effect-go/vitest"
 *
 * const it = makeMethods(test.extend("port", { scope: "file" }, () => 3000))
 *
 * it.effect("reads the fixture", ({ port }) => Effect.sync(() => port + 1))
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeMethods = <ExtraContext>(api: V.TestAPI<ExtraContext>): Methods<never, ExtraContext> =>
  wrapMethods(baseMakeMethods(api)) as Methods<never, ExtraContext>
