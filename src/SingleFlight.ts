/**
 * Duplicate call suppression: Go's `golang.org/x/sync/singleflight`.
 *
 * `do(g, key, effect)` runs `effect` unless a call for the same key is already
 * in flight, in which case it waits for that call and shares its outcome:
 * success, failure, defect or interruption. Nothing is cached: once a flight
 * has ended, the next call for its key starts a new one.
 *
 * Differences from Go, and why:
 * - A group is typed: `SingleFlight<A, E, K>` runs effects succeeding with `A`
 *   and failing with `E` under keys `K`. Go's `interface{}` results let a
 *   caller receive another caller's value of a different type.
 * - Callers may leave (be interrupted) without affecting the others. The
 *   flight runs as long as one caller waits for it; when the last one leaves,
 *   the flight is interrupted (and the last caller waits for its finalizers)
 *   and its key is freed at once, so a later call starts a fresh flight. Go
 *   cannot cancel `fn`: it always runs to completion.
 * - A defect in the flight reaches every caller as that defect (Go re-panics
 *   in every `Do` caller, `TestPanicDo`); a flight that interrupts itself
 *   interrupts every caller (Go's `runtime.Goexit`, `TestGoexitDo`).
 * - {@link doFork} is Go's `DoChan`: it returns a fiber, a caller living in
 *   the group's scope, that holds the flight's outcome whether or not anyone
 *   joins it; interrupting that fiber is how its caller leaves.
 * - Flights live in the `Scope` given to {@link make}: closing it interrupts
 *   every flight, and with them their callers. Calls on a closed group are
 *   interrupted at once.
 * - A flight belongs to no caller. It runs with the services of the call that
 *   started it, but nothing of that caller can stop it: its
 *   `GoContext.CurrentGoContext` is the caller's without its cancellation
 *   (Go 1.21's `context.WithoutCancel`: values kept, no deadline, never
 *   done), it has a `Scope` of its own, closed when it ends (so `do` needs no
 *   `Scope`, and what the flight acquires is released before its callers get
 *   the outcome), and it is interruptible whatever the caller's mask.
 * - A flight calling `do` for its own key from its own fiber dies with
 *   {@link SingleFlightRecursiveError} (Go deadlocks). A call from a fiber the
 *   flight started (`forkChild`, {@link doFork}, a flight of another key it
 *   waits for, ...) joins the flight but does not keep it alive: when the last
 *   caller from outside leaves, the flight is interrupted. If the flight waits
 *   for that fiber it deadlocks, as in Go, but interrupting its callers or
 *   closing the group's scope still ends it. A fiber of a flight being
 *   interrupted that way, calling `do` for that flight's key before the
 *   interruption reaches it, is interrupted at once rather than start the
 *   flight again.
 *
 * Keys are compared with Effect's `Equal` (through `MutableHashMap`):
 * primitives by value, `Equal` implementations (`Data` classes, ...) with
 * their own `equals`/`hash`, and — as Effect 4's `Equal.equals` is structural
 * for them — plain objects and arrays by structure: `["user", 1]` and another
 * `["user", 1]` share a flight. Mark a key `Equal.byReference` to opt out.
 * Do not mutate a key while it is in flight.
 *
 * Why not Effect's `Cache` with `timeToLive: 0`: it does share one lookup
 * between concurrent callers, counts its awaiters, interrupts the lookup when
 * the last one leaves and forgets the entry when it ends — the semantics above.
 * But its lookup function is fixed when the cache is made (singleflight runs a
 * different effect per call), it cannot tell a caller whether the value was
 * shared, and it forks the lookup as a daemon fiber outside any scope, which
 * closing the group's scope would not interrupt. So this module keeps its own
 * `Map<key, flight>` with a caller count and forks each flight into the
 * group's scope.
 *
 * The error channel of {@link do_ do} is the flight's own `E`: the group adds
 * no error of its own (recursion and bad arguments are defects), so an
 * effect that fails with the group's `E` is accepted as it is.
 *
 * One flight per key across processes: `RedisSync.singleFlight` keeps a group
 * in Redis (its outcomes travel through Schemas); the functions of this
 * module work on it as they are, and its `E` includes the Redis errors.
 *
 * A group is a value like Effect's own: `pipe`able, and `console.log(g)` /
 * `toJSON()` show `{ _id: "SingleFlight", name, flights, waiters }`.
 *
 * @example
 * ```ts
 * import { Data, Effect } from "effect"
 * import { SingleFlight } from "effect-go"
 *
 * interface User {
 *   readonly id: number
 * }
 * class HttpError extends Data.TaggedError("HttpError")<{}> {}
 * declare const fetchUser: (id: number) => Effect.Effect<User, HttpError>
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const g = yield* SingleFlight.make<User, HttpError>()
 *     // 100 concurrent requests for user 1 hit the backend once.
 *     const results = yield* Effect.forEach(
 *       Array.from({ length: 100 }),
 *       () => SingleFlight.do(g, "user:1", fetchUser(1)),
 *       { concurrency: "unbounded" }
 *     )
 *     return results[0]!.value // results[i].shared === true
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Equal from "effect/Equal"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { format } from "effect/Formatter"
import type * as Inspectable from "effect/Inspectable"
import * as MutableHashMap from "effect/MutableHashMap"
import type { Pipeable } from "effect/Pipeable"
import * as Scope from "effect/Scope"
import type * as Types from "effect/Types"
import * as GoContext from "./GoContext.ts"
import { badTelemetryOption, invalidArgument, unwrap } from "./internal/copied.ts"
import { effectLast, isEffect } from "./internal/function.ts"
import { PrimitiveBase } from "./internal/primitive.ts"
import { RemoteSingleFlight } from "./internal/remote.ts"
import { activeLayers, event, setTelemetry } from "./internal/telemetry.ts"
import { anyone, type Diagnosis, type Holder, type Queue } from "./internal/registry.ts"
import { type BlockedFiber, block, Waiter, WaiterList, wake } from "./internal/waiters.ts"
import { refReader } from "./internal/refs.ts"

const TypeId = "~effect-go/SingleFlight" as const

/**
 * A group of in-flight calls, keyed by `K`, whose effects succeed with `A`
 * and fail with `E`. Create it with {@link make}.
 *
 * `A` and `E` are invariant: callers of one key share one outcome, so a group
 * typed for `"a"` must not be usable as one typed for `string`.
 *
 * A value like Effect's own: `pipe`able, and `toJSON()` (what `console.log`
 * shows) is `{ _id: "SingleFlight", name, flights, waiters }`: the flights
 * running and the callers waiting for them.
 *
 * @category models
 * @since 0.1.0
 */
export interface SingleFlight<A, E = never, K = string> extends Pipeable, Inspectable.Inspectable {
  readonly [TypeId]: {
    readonly _A: Types.Invariant<A>
    readonly _E: Types.Invariant<E>
    readonly _K: Types.Contravariant<K>
  }
  /** The name given at {@link make}, shown in blocked-fiber dumps. */
  readonly name: string | undefined
}

/**
 * What {@link do_ do} returns: the flight's value, and whether it was given
 * to more than one caller (Go's `shared`). Go: `singleflight.Result`.
 *
 * @category models
 * @since 0.1.0
 */
export interface Result<A> {
  readonly value: A
  /** True when another call joined the flight that produced `value`. */
  readonly shared: boolean
}

/**
 * A call to {@link do_ do} made, from the fiber running a flight, for that
 * flight's own key: a defect, since the flight would wait for itself forever
 * (Go deadlocks). `key` is the key, `groupName` the group's name.
 *
 * @category errors
 * @since 0.1.0
 */
export class SingleFlightRecursiveError extends Data.TaggedError("SingleFlightRecursiveError")<{
  readonly key: unknown
  readonly groupName: string | undefined
}> {
  override get message(): string {
    const group = this.groupName === undefined ? "" : ` of group ${this.groupName}`
    return `singleflight: do(${format(this.key)})${group} called from its own flight, which would wait for itself forever`
  }
}

/**
 * Options for {@link make}.
 *
 * @category models
 * @since 0.1.0
 */
export interface SingleFlightOptions {
  /** Shown in blocked-fiber dumps and deadlock reports. */
  readonly name?: string | undefined
  /**
   * Telemetry for this group alone: `false` records nothing from it even
   * under `Telemetry.layer` (a hot internal cache); `true` records it even
   * outside one (default settings, into the fiber's metric registry).
   * Default: as the `Telemetry.layer` in force.
   */
  readonly telemetry?: boolean | undefined
}

const variance = { _A: (_: unknown) => _, _E: (_: unknown) => _, _K: (_: unknown) => _ }

/**
 * What the fibers running inside a flight carry in their context: the
 * flight's own fiber and, through inheritance, every fiber it forks. Marks
 * chain outwards when a flight is started from inside another one. A mark
 * names its group and key rather than its Flight, so that a fiber outliving
 * the flight does not keep the flight's outcome alive.
 */
class Mark {
  readonly outer: Mark | undefined
  readonly group: SingleFlightImpl
  readonly key: unknown
  /** Every caller left: the flight is being interrupted. */
  abandoned = false
  constructor(outer: Mark | undefined, group: SingleFlightImpl, key: unknown) {
    this.outer = outer
    this.group = group
    this.key = key
  }
}

const CurrentMark = Context.Reference<Mark | undefined>("effect-go/SingleFlight/CurrentMark", {
  defaultValue: () => undefined
})

/** A fiber's marks and GoContext, looked up once per context (see refs.ts). */
const marksOf = refReader(CurrentMark)
const goContextOf = refReader(GoContext.CurrentGoContext)

/** Whether the fiber whose marks are `marks` runs inside the flight marked `mark`. */
const inside = (marks: Mark | undefined, mark: Mark): boolean => {
  for (let m = marks; m !== undefined; m = m.outer) if (m === mark) return true
  return false
}

/**
 * Whether the fiber whose marks are `marks` runs inside an abandoned flight
 * for `key` of `group`: a fiber the flight forked that has not seen the
 * interruption yet. Its call would start that flight again, nobody waiting for
 * it, and the flight's stopping would then wait for the new one, and so on.
 */
const insideAbandoned = (marks: Mark | undefined, group: SingleFlightImpl, key: unknown): boolean => {
  for (let m = marks; m !== undefined; m = m.outer) {
    if (m.abandoned && m.group === group && Equal.equals(m.key, key)) return true
  }
  return false
}

class Flight {
  readonly key: unknown
  /** The callers waiting for the outcome (the first one included). */
  readonly waiters: WaiterList<Waiter<Result<unknown>, unknown>>
  /** What the flight's fibers carry (a mark of its own, not the Flight, to keep outcomes collectable). */
  readonly mark: Mark
  /** Set right after the fork; undefined only while the first caller forks. */
  fiber: Fiber.Fiber<unknown, unknown> | undefined = undefined
  /** Callers from outside the flight still waiting: when none is left, the flight is interrupted. */
  callers = 1
  /** Callers that ever joined (for `shared`). */
  joined = 1
  /** The outcome, once the flight ended. */
  result: Exit.Exit<Result<unknown>, unknown> | undefined = undefined

  constructor(
    group: SingleFlightImpl,
    key: unknown,
    waiters: WaiterList<Waiter<Result<unknown>, unknown>>,
    outer: Mark | undefined
  ) {
    this.key = key
    this.waiters = waiters
    this.mark = new Mark(outer, group, key)
  }
}

class SingleFlightImpl extends PrimitiveBase {
  readonly [TypeId] = variance
  readonly name: string | undefined
  readonly scope: Scope.Scope
  /**
   * Key → the flight new calls join; `forget` and abandonment unmap a flight
   * early. Primitive keys are in a `Map`: Effect's `Equal` compares them
   * with `===` (NaN equal to NaN), as a `Map` does, without hashing the key
   * on every call. Other keys are in Effect's `MutableHashMap`.
   */
  readonly byPrimitive = new Map<unknown, Flight>()
  readonly byKey = MutableHashMap.empty<unknown, Flight>()
  /** Every flight not yet ended, mapped or not (for dumps). */
  readonly flights = new Set<Flight>()

  constructor(name: string | undefined, scope: Scope.Scope) {
    super()
    this.name = name
    this.scope = scope
  }

  /**
   * Each flight's callers wait for the flight's fiber to end. Unlike
   * `toJSON`, the dump shows the keys (shortened): it is read by the
   * program's developer, to find which flight is in the way.
   */
  diagnose(): Diagnosis {
    const queues: Array<Queue> = []
    const holders: Array<Holder> = []
    for (const flight of this.flights) {
      const fiber = flight.fiber
      queues.push({ list: flight.waiters, wakers: fiber === undefined ? anyone : { _tag: "AllOf", fibers: [fiber] } })
      if (fiber !== undefined) holders.push({ fiber, role: `runs the flight for key ${brief(flight.key)}` })
    }
    return { kind: "SingleFlight", name: this.name, state: { flights: this.flights.size }, queues, holders }
  }

  /**
   * Counts only: the flights not yet ended (forgotten and abandoned ones
   * included) and the callers waiting for them. Never the keys (user data)
   * nor the flights' fibers.
   */
  toJSON(): unknown {
    let waiters = 0
    for (const flight of this.flights) waiters += flight.waiters.size
    return { _id: "SingleFlight", name: this.name, flights: this.flights.size, waiters }
  }
}

const impl = (self: SingleFlight<any, any, any>): SingleFlightImpl => unwrap(self, SingleFlightImpl, "SingleFlight")

/** A key as the dump shows it: formatted, cut short. */
const brief = (key: unknown): string => {
  const text = format(key)
  return text.length <= BRIEF_KEY ? text : `${text.slice(0, BRIEF_KEY - 1)}…`
}
const BRIEF_KEY = 40

const opFor = (key: unknown): string =>
  typeof key === "object" || typeof key === "function" ? "do" : `do(${String(key)})`

/** Whether `key` goes in `byPrimitive` (see there). */
const isPrimitive = (key: unknown): boolean => key === null || (typeof key !== "object" && typeof key !== "function")

/** The flight new calls for `key` join, if any. */
const mapped = (sf: SingleFlightImpl, key: unknown): Flight | undefined => {
  if (isPrimitive(key)) return sf.byPrimitive.get(key)
  const found = MutableHashMap.get(sf.byKey, key)
  return found._tag === "Some" ? found.value : undefined
}

const mapKey = (sf: SingleFlightImpl, key: unknown, flight: Flight): void => {
  if (isPrimitive(key)) sf.byPrimitive.set(key, flight)
  else MutableHashMap.set(sf.byKey, key, flight)
}

const unmapKey = (sf: SingleFlightImpl, key: unknown): void => {
  if (isPrimitive(key)) sf.byPrimitive.delete(key)
  else MutableHashMap.remove(sf.byKey, key)
}

/** Stops new calls from joining `flight`; a later call for its key starts afresh. */
const unmap = (sf: SingleFlightImpl, flight: Flight): void => {
  if (mapped(sf, flight.key) === flight) unmapKey(sf, flight.key)
}

/** The flight's fiber ended, however it ended (even before it started). */
const complete = (sf: SingleFlightImpl, flight: Flight, exit: Exit.Exit<unknown, unknown>): void => {
  const result: Exit.Exit<Result<unknown>, unknown> = Exit.isSuccess(exit)
    ? Exit.succeed({ value: exit.value, shared: flight.joined > 1 })
    : (exit as Exit.Exit<never, unknown>)
  flight.result = result
  unmap(sf, flight)
  sf.flights.delete(flight)
  for (const node of flight.waiters.drain()) wake(node, result)
}

/**
 * A waiting caller was interrupted. The last one from outside the flight
 * interrupts the flight and awaits it. A caller from inside (a fiber the
 * flight forked) keeps nothing alive, so it has nothing to give back; nor may
 * it await the flight, which may be awaiting it.
 */
const leave = (sf: SingleFlightImpl, flight: Flight, counted: boolean): Effect.Effect<void> => {
  if (!counted || flight.result !== undefined) return Effect.void
  flight.callers--
  if (flight.callers > 0) return Effect.void
  flight.mark.abandoned = true
  unmap(sf, flight)
  // `fiber` is set: the first caller, counted until it leaves, sets it before it can leave.
  return flight.fiber === undefined ? Effect.void : Fiber.interrupt(flight.fiber)
}

const awaitFlight = (
  sf: SingleFlightImpl,
  flight: Flight,
  caller: Fiber.Fiber<unknown, unknown>,
  counted: boolean,
  restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
): Effect.Effect<Result<unknown>, unknown> => {
  if (flight.result !== undefined) return flight.result
  const node = new Waiter<Result<unknown>, unknown>()
  node.op = opFor(flight.key)
  // Re-checked at the moment of parking: the flight may have ended since.
  return Effect.onInterrupt(restore(block(flight.waiters, node, caller, undefined, () => flight.result)), () =>
    leave(sf, flight, counted)
  )
}

/**
 * The flight's context, made from its caller's so that nothing of the
 * caller can stop it: the caller's GoContext without its cancellation (its
 * values kept), a Scope of the flight's own, closed when the flight ends,
 * and the mark that tells the flight's own fibers apart.
 */
const flightContext = (
  caller: Fiber.Fiber<unknown, unknown>,
  flight: Flight,
  scope: Scope.Scope
): Context.Context<never> => {
  const goContext = goContextOf(caller)
  let context = Context.add(caller.context, CurrentMark, flight.mark)
  if (goContext !== GoContext.background) {
    context = Context.add(context, GoContext.CurrentGoContext, GoContext.withoutCancel(goContext))
  }
  return Context.add(context, Scope.Scope, scope) as Context.Context<never>
}

/**
 * Starts the flight's fiber in this step, as a `startImmediately` fork does:
 * a fiber of the group's scope (which interrupts it when it closes), in the
 * flight's context, interruptible whatever the caller's mask. Its first step
 * records it as the flight's fiber, before the effect runs, for the
 * recursion check. Undefined when the group's scope has closed: nothing is
 * started.
 */
const fly = (
  sf: SingleFlightImpl,
  caller: Fiber.Fiber<unknown, unknown>,
  flight: Flight,
  effect: Effect.Effect<unknown, unknown, unknown>
): Fiber.Fiber<unknown, unknown> | undefined => {
  if (sf.scope.state._tag === "Closed") return undefined
  const scope = Scope.makeUnsafe()
  const run = Effect.withFiber((fiber) => {
    flight.fiber = fiber
    return Effect.onExit(effect, (exit) => Scope.close(scope, exit))
  }) as Effect.Effect<unknown, unknown>
  return Fiber.runIn(Effect.runForkWith(flightContext(caller, flight, scope))(run), sf.scope)
}

/** A flight that could not start (the group's scope has closed): a fiber that ends interrupted, unstarted. */
const flyClosed = (sf: SingleFlightImpl): Effect.Effect<Fiber.Fiber<unknown, unknown>> =>
  Effect.forkIn(Effect.void, sf.scope)

const doImpl = <A, E, R>(
  self: SingleFlight<any, any, any>,
  key: unknown,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<Result<A>, E, Exclude<R, Scope.Scope>> =>
  self instanceof RemoteSingleFlight
    ? (self.run(key, effect) as Effect.Effect<Result<A>, E, Exclude<R, Scope.Scope>>)
    : doHere(self, key, effect)

const doHere = <A, E, R>(
  self: SingleFlight<any, any, any>,
  key: unknown,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<Result<A>, E, Exclude<R, Scope.Scope>> =>
  Effect.uninterruptibleMask((restore) => {
    const caller = Fiber.getCurrent()!
    const sf = impl(self)
    // Refused before it could start or join a flight.
    if (!isEffect(effect)) return Exit.die(invalidArgument("SingleFlight.do", "an Effect", effect))
    const marks = marksOf(caller)
    if (marks !== undefined && insideAbandoned(marks, sf, key)) return Exit.interrupt(caller.id)
    const existing = mapped(sf, key)
    if (existing !== undefined) {
      const flight = existing
      // Recursion from the flight's own fiber is sure to deadlock; from a
      // fiber it forked it is not (the flight may not wait for that fiber),
      // so such a call joins, uncounted.
      if (flight.fiber === caller) return Exit.die(new SingleFlightRecursiveError({ key, groupName: sf.name }))
      const counted = !inside(marks, flight.mark)
      if (counted) flight.callers++
      flight.joined++
      if (activeLayers !== 0) event("flights", "SingleFlight", sf.name, "shared", caller, sf)
      return awaitFlight(sf, flight, caller, counted, restore)
    }
    if (activeLayers !== 0) event("flights", "SingleFlight", sf.name, "leader", caller, sf)
    const flight = new Flight(sf, key, new WaiterList("SingleFlight", sf.name, sf, "do"), marks)
    mapKey(sf, key, flight)
    sf.flights.add(flight)
    // The flight lives in the group's scope, not in the caller's. Its
    // outcome is watched from here on; a flight that ended in its first
    // steps is watched at once.
    const watch = (fiber: Fiber.Fiber<unknown, unknown>) => {
      flight.fiber = fiber
      fiber.addObserver((exit) => complete(sf, flight, exit))
      return awaitFlight(sf, flight, caller, true, restore)
    }
    const started = fly(sf, caller, flight, effect)
    return started !== undefined ? watch(started) : Effect.flatMap(flyClosed(sf), watch)
  }) as Effect.Effect<Result<A>, E, Exclude<R, Scope.Scope>>

/**
 * Creates a group whose flights live in the current `Scope`: closing it
 * interrupts every flight and their callers. Go: `var g singleflight.Group`.
 * A `telemetry` option that is not a boolean is a defect
 * (`InvalidArgumentError`), raised when the effect runs.
 *
 * Type it with the value, error and key types of its calls:
 * `make<User, HttpError>()` (keys default to `string`), or
 * `make<User, HttpError, readonly [string, number]>()`.
 *
 * @example
 * ```ts
 * import { Data, Effect } from "effect"
 * import { SingleFlight } from "effect-go"
 *
 * interface User {
 *   readonly id: number
 * }
 * class HttpError extends Data.TaggedError("HttpError")<{}> {}
 *
 * const program = Effect.gen(function* () {
 *   const g = yield* SingleFlight.make<User, HttpError>({ name: "users" })
 *   const byTuple = yield* SingleFlight.make<User, HttpError, readonly [string, number]>()
 *   return [g, byTuple] as const
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = <A = unknown, E = never, K = string>(
  options?: SingleFlightOptions
): Effect.Effect<SingleFlight<A, E, K>, never, Scope.Scope> =>
  Effect.flatMap(Effect.scope, (scope) => {
    const badTelemetry = badTelemetryOption("SingleFlight.make", options)
    if (badTelemetry !== undefined) return Exit.die(badTelemetry)
    const sf = new SingleFlightImpl(options?.name, scope)
    setTelemetry(sf, options?.telemetry)
    return Exit.succeed(sf as unknown as SingleFlight<A, E, K>)
  })

/**
 * Runs `effect` for `key`, or joins the call for `key` already in flight, and
 * returns its value with `shared` telling whether other calls got it too.
 * Go: `v, err, shared := g.Do(key, fn)`.
 *
 * Every caller of a flight gets its outcome: value, failure, defect or
 * interruption. An interrupted caller leaves without disturbing the others;
 * when the last caller leaves, the flight is interrupted. The flight runs in
 * a `Scope` of its own (closed when it ends) and under the caller's
 * GoContext without its cancellation, so no `Scope` is required and neither
 * the caller's deadline nor its scope closing stops the flight. Called from
 * the flight's own fiber for its own key, it dies with
 * {@link SingleFlightRecursiveError}; given something that is not an
 * Effect, it dies with `InvalidArgumentError` (even when it would join).
 * The error channel is the flight's own `E`, nothing more.
 *
 * @example
 * ```ts
 * import { Console, Data, Effect } from "effect"
 * import { SingleFlight } from "effect-go"
 *
 * interface User {
 *   readonly id: number
 * }
 * class HttpError extends Data.TaggedError("HttpError")<{}> {}
 * declare const fetchUser: (id: number) => Effect.Effect<User, HttpError>
 * declare const g: SingleFlight.SingleFlight<User, HttpError>
 *
 * const getUser = (id: number) =>
 *   Effect.gen(function* () {
 *     const { value, shared } = yield* SingleFlight.do(g, `user:${id}`, fetchUser(id))
 *     // or: yield* fetchUser(id).pipe(SingleFlight.do(g, `user:${id}`))
 *     if (shared) yield* Console.log(`user ${id}: one fetch served several callers`)
 *     return value
 *   })
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
const do_: {
  /**
   * `effect.pipe(SingleFlight.do(g, key))`: runs `effect` for `key`, or
   * joins the call for `key` already in flight, and returns its value with
   * `shared` telling whether other calls got it too. Go:
   * `v, err, shared := g.Do(key, fn)`. Every caller gets the flight's
   * outcome; the flight is interrupted when its last caller leaves.
   *
   * @example
   * ```ts
   * import { Data, Effect } from "effect"
   * import { SingleFlight } from "effect-go"
   *
   * interface User {
   *   readonly id: number
   * }
   * class HttpError extends Data.TaggedError("HttpError")<{}> {}
   * declare const fetchUser: (id: number) => Effect.Effect<User, HttpError>
   * declare const g: SingleFlight.SingleFlight<User, HttpError>
   *
   * const getUser = (id: number) => fetchUser(id).pipe(SingleFlight.do(g, `user:${id}`))
   * ```
   *
   * @since 0.1.0
   */
  <A, E, K>(
    self: SingleFlight<A, E, K>,
    key: NoInfer<K>
  ): <R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<Result<A>, E, Exclude<R, Scope.Scope>>
  /**
   * Runs `effect` for `key`, or joins the call for `key` already in flight,
   * and returns its value with `shared` telling whether other calls got it
   * too. Go: `v, err, shared := g.Do(key, fn)`. Every caller gets the
   * flight's outcome; the flight is interrupted when its last caller leaves.
   *
   * @example
   * ```ts
   * import { Data, Effect } from "effect"
   * import { SingleFlight } from "effect-go"
   *
   * interface User {
   *   readonly id: number
   * }
   * class HttpError extends Data.TaggedError("HttpError")<{}> {}
   * declare const fetchUser: (id: number) => Effect.Effect<User, HttpError>
   * declare const g: SingleFlight.SingleFlight<User, HttpError>
   *
   * const getUser = (id: number) => SingleFlight.do(g, `user:${id}`, fetchUser(id))
   * ```
   *
   * @since 0.1.0
   */
  <A, E, K, R>(
    self: SingleFlight<A, E, K>,
    key: NoInfer<K>,
    effect: Effect.Effect<NoInfer<A>, NoInfer<E>, R>
  ): Effect.Effect<Result<A>, E, Exclude<R, Scope.Scope>>
} = effectLast(3, doImpl)

export {
  /**
   * Runs `effect` for `key` unless a call for that key is in flight, and
   * shares its outcome with every caller. Go: `g.Do(key, fn)` (see `do_`
   * above for the full contract).
   *
   * @category combinators
   * @since 0.1.0
   */
  do_ as do
}

/**
 * Starts or joins the flight for `key` in a fiber of the group's scope and
 * returns that fiber at once: join it for the {@link Result}, or interrupt it
 * to leave the flight. Go: `ch := g.DoChan(key, fn)`.
 *
 * Like Go's channel, the fiber receives the outcome whether or not anyone
 * joins it, and it keeps the flight alive until then, even after its caller
 * has moved on; it does not end with its caller.
 *
 * @example
 * ```ts
 * import { Effect, Fiber } from "effect"
 * import { SingleFlight } from "effect-go"
 *
 * interface Config {
 *   readonly port: number
 * }
 * declare const loadConfig: Effect.Effect<Config>
 * declare const g: SingleFlight.SingleFlight<Config>
 *
 * const program = Effect.gen(function* () {
 *   const fiber = yield* SingleFlight.doFork(g, "config", loadConfig)
 *   const { value } = yield* Fiber.join(fiber)
 *   return value.port
 * })
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const doFork = <A, E, K, R>(
  self: SingleFlight<A, E, K>,
  key: NoInfer<K>,
  effect: Effect.Effect<NoInfer<A>, NoInfer<E>, R>
): Effect.Effect<Fiber.Fiber<Result<A>, E>, never, Exclude<R, Scope.Scope>> =>
  Effect.suspend(() => {
    const scope = self instanceof RemoteSingleFlight ? self.scope : impl(self).scope
    // Refused at the call, not in the fiber it would return.
    return isEffect(effect)
      ? Effect.forkIn(doImpl(self, key, effect), scope)
      : Exit.die(invalidArgument("SingleFlight.doFork", "an Effect", effect))
  }) as Effect.Effect<Fiber.Fiber<Result<A>, E>, never, Exclude<R, Scope.Scope>>

/**
 * Makes the next call for `key` start a new flight instead of joining the
 * one in flight, which goes on for the callers it has. Go: `g.Forget(key)`.
 *
 * @example
 * ```ts
 * import { SingleFlight } from "effect-go"
 *
 * declare const g: SingleFlight.SingleFlight<string>
 *
 * const reload = SingleFlight.forget(g, "config") // the config changed: the next call reloads it
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const forget = <A, E, K>(self: SingleFlight<A, E, K>, key: NoInfer<K>): Effect.Effect<void> =>
  self instanceof RemoteSingleFlight
    ? self.forget(key)
    : Effect.sync(() => {
        unmapKey(impl(self), key)
      })

/**
 * The keys new calls would join right now (forgotten and abandoned flights
 * are not listed). A snapshot, for tests and metrics.
 *
 * @category getters
 * @since 0.1.0
 */
export const keys = <A, E, K>(self: SingleFlight<A, E, K>): Effect.Effect<ReadonlyArray<K>> =>
  self instanceof RemoteSingleFlight
    ? (self.keys as Effect.Effect<ReadonlyArray<K>>)
    : Effect.sync(() => {
        const sf = impl(self)
        return [...sf.byPrimitive.keys(), ...MutableHashMap.keys(sf.byKey)] as Array<K>
      })

/**
 * The callers waiting for a flight (op `do(key)`, or `do` for object keys),
 * flight by flight, longest waiting first.
 *
 * @category getters
 * @since 0.1.0
 */
export const blocked = <A, E, K>(self: SingleFlight<A, E, K>): Effect.Effect<ReadonlyArray<BlockedFiber>> =>
  self instanceof RemoteSingleFlight
    ? self.blocked
    : Effect.sync(() => {
        const out: Array<BlockedFiber> = []
        for (const flight of impl(self).flights) out.push(...flight.waiters.blocked())
        return out
      })
