/**
 * The same Semaphore, Mutex, SingleFlight and rate Limiter, shared by every
 * process that shares a Redis: "at most 10 database calls at once", "one
 * refresh of this token at a time", "one fetch of this key at a time" and
 * "100 requests per second to this API" across all of an application's
 * processes, by swapping a Layer. This page describes the Semaphore and
 * Mutex; {@link singleFlight} and {@link limiter} say what differs for theirs.
 *
 * A service that may be kept in Redis says so where it is declared, with the
 * errors its operations may then fail with; its in-memory layer stays the
 * default, and the Redis layer gives the same key:
 *
 * ```ts
 * class DbLimit extends Semaphore.Service<DbLimit, RedisSync.RedisSyncError>()("app/DbLimit") {}
 * DbLimit.layer(10)                                                     // one process
 * RedisSync.layerSemaphore(DbLimit, 10).pipe(Layer.provide(NodeRedis.layer({ url })))  // every process
 * ```
 *
 * It runs on Effect's own `Redis` service (`effect/persistence/Redis`),
 * which `NodeRedis.layer` from `@effect/platform-node` provides on Node.
 *
 * Semantics, as in memory where Redis allows:
 * - **FIFO across processes, no barging**: waiters are served in the order
 *   they asked, whatever their process; a large request is not starved.
 * - **No polling**: a release grants the permits to the head of the queue in
 *   the same Lua script (atomically) and publishes the grant; the waiting
 *   process is woken by that message. Every process re-checks its waiters
 *   when it renews its leases (every third of a lease), which covers a lost
 *   message.
 * - **Leases**: every holder and waiter has a lease (`lease` option, default
 *   10 seconds) that its process renews. A process that dies loses its
 *   permits and its place in the queue when its leases end.
 * - **A lost lease interrupts the holder**: when Redis has not confirmed a
 *   holder's lease for two thirds of a lease (Redis unreachable), the holder's
 *   effect is interrupted and `withPermits`/`withLock` fails with
 *   {@link LeaseLostError}, a third of a lease before the lease could lapse in
 *   Redis and its permits be granted again. So no two holders overlap, even
 *   when Redis or the network fails.
 * - **Fencing tokens**: every grant carries a token larger than every token
 *   granted before by that semaphore; {@link FencingToken} reads the holder's.
 *   Give it to the resource you protect so that it can refuse a late write.
 * - **Redis losing its data** (a restart without persistence): a script that
 *   finds a semaphore's state missing grants nothing for one lease, by which
 *   time every holder from before has been interrupted. This includes the
 *   very first use of a name.
 * - An interrupted waiter leaves the Redis queue (a grant it never saw goes
 *   back); closing the layer's scope gives back what its process holds.
 *
 * Where it differs from in memory: `release` and `unlock` give back what
 * this process holds through `acquire`/`lock` (a process cannot release
 * another process's permits), and every operation may fail with
 * `RedisError` when Redis cannot be reached.
 *
 * Security: every key is `${prefix}:semaphore:{${name}}:…` (`prefix` option,
 * default `"effect-go"`), so that applications sharing a Redis do not take
 * each other's locks by accident. Names go to Redis only as arguments, never
 * inside Lua source or a key pattern. Connection options (credentials, TLS)
 * are NodeRedis's own and never appear in errors or dumps.
 *
 * Use Redis with `maxmemory-policy noeviction`: an evicted key is lost state.
 *
 * @since 0.1.0
 */
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redis from "effect/persistence/Redis"
import type * as Scope from "effect/Scope"
import type * as Mutex from "./Mutex.ts"
import * as Semaphore from "./Semaphore.ts"
import { checkName, checkOptions, keyBase, type RedisOptions, type RedisSyncError } from "./internal/redis/common.ts"
import * as engine from "./internal/redis/semaphore.ts"

export {
  /**
   * The lease on permits, a lock or a flight held through Redis could not be
   * kept: Redis did not confirm it in time, or it was no longer there. The
   * holder was interrupted before the lease could lapse, and `withPermits`,
   * `withLock` or SingleFlight's `do` fail with it.
   *
   * @category errors
   * @since 0.1.0
   */
  LeaseLostError,
  /**
   * What an operation on a primitive kept in Redis may fail with:
   * `RedisError` (Redis could not be reached) or {@link LeaseLostError}.
   *
   * @category errors
   * @since 0.1.0
   */
  type RedisSyncError,
  /**
   * Options every primitive kept in Redis takes: `prefix` (default
   * `"effect-go"`) and `lease` (default 10 seconds).
   *
   * @category models
   * @since 0.1.0
   */
  type RedisOptions
} from "./internal/redis/common.ts"

export {
  /**
   * The fencing token of the innermost Redis lock or permits this fiber
   * holds through `withLock`/`withPermits`, undefined outside one. Tokens of
   * one Semaphore or Mutex grow with every grant, across processes.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { Mutex, RedisSync } from "effect-go"
   *
   * declare const mu: Mutex.Mutex<RedisSync.RedisSyncError>
   * declare const writeWithToken: (token: number) => Effect.Effect<void>
   *
   * const write = Effect.gen(function* () {
   *   const token = yield* RedisSync.FencingToken
   *   yield* writeWithToken(token!)
   * }).pipe(Mutex.withLock(mu))
   * ```
   *
   * @category fencing
   * @since 0.1.0
   */
  FencingToken,
  /**
   * A semaphore already kept in Redis with another size: a defect, since the
   * processes would not agree on the limit.
   *
   * @category errors
   * @since 0.1.0
   */
  SizeMismatchError
} from "./internal/redis/semaphore.ts"

/**
 * Options of a Semaphore or Mutex kept in Redis.
 *
 * @category models
 * @since 0.1.0
 */
export interface SemaphoreOptions extends RedisOptions {}

export {
  /**
   * A service whose error admits `RedisError`, which a limiter kept in Redis
   * may fail with: one declared with {@link RedisSyncError} or `RedisError`.
   *
   * @category models
   * @since 0.1.0
   */
  type AdmitsRedisError,
  /**
   * The Redis layer of a `Rate.Service`: the same key as its in-memory
   * `layer`, a limit shared by every process. The service must be declared
   * with {@link RedisSyncError} (or `RedisError`) as its error. Its name in
   * Redis is the service's key unless `options.name` says otherwise.
   *
   * @example
   * ```ts
   * import { Layer } from "effect"
   * import { Rate, RedisSync } from "effect-go"
   * import type { Redis, RedisError } from "effect/persistence/Redis"
   *
   * class PartnerApi extends Rate.Service<PartnerApi, RedisError>()("app/PartnerApi") {}
   * declare const RedisLive: Layer.Layer<Redis>
   *
   * const PartnerApiLive = RedisSync.layerLimiter(PartnerApi, { limit: 100, burst: 10 }).pipe(
   *   Layer.provide(RedisLive)
   * )
   * ```
   *
   * @category layers
   * @since 0.1.0
   */
  layerLimiter,
  /**
   * A rate limiter (Go's `rate.Limiter`) whose bucket lives in Redis under
   * `name`: every process that makes one with the same name (and prefix)
   * shares its limit, with Go's arithmetic run in Lua on Redis' clock. Use
   * it with `Rate`'s functions; they may fail with `RedisError`. A bad name,
   * limit, burst or prefix is a defect.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { Rate, RedisSync } from "effect-go"
   *
   * declare const callPartner: Effect.Effect<void>
   *
   * const program = Effect.scoped(
   *   Effect.gen(function* () {
   *     const limiter = yield* RedisSync.limiter("partner-api", { limit: 100, burst: 10 })
   *     yield* Rate.wait(limiter)
   *     yield* callPartner
   *   })
   * )
   * ```
   *
   * @category constructors
   * @since 0.1.0
   */
  makeLimiter as limiter,
  /**
   * Options of {@link limiter} and {@link layerLimiter}: `limit`, `burst`,
   * `prefix`.
   *
   * @category models
   * @since 0.1.0
   */
  type RedisLimiterOptions
} from "./internal/redis/rate.ts"

/**
 * Nothing when a service's error `E` admits {@link RedisSyncError}; else a
 * member no service has, so that the type error says what to do.
 *
 * @category models
 * @since 0.1.0
 */
export type AdmitsRedisSyncError<E> = [RedisSyncError] extends [E]
  ? unknown
  : {
      readonly "declare the service with RedisSync.RedisSyncError as its error, e.g. Semaphore.Service<Self, RedisSync.RedisSyncError>()": true
    }

const startEngine = (
  op: string,
  primitive: "Semaphore" | "Mutex",
  kind: string,
  name: string,
  size: number,
  options: RedisOptions | undefined
): Effect.Effect<engine.Engine, Redis.RedisError, Redis.Redis | Scope.Scope> =>
  Effect.suspend(() => {
    const badName = checkName(op, name)
    if (badName !== undefined) return Exit.die(badName)
    const checked = checkOptions(op, options)
    if (!("leaseMs" in checked)) return Exit.die(checked)
    return Effect.flatMap(Redis.Redis, (redis) =>
      engine.start({
        redis,
        primitive,
        name,
        size,
        base: keyBase(checked.prefix, kind, name),
        leaseMs: checked.leaseMs
      })
    )
  })

/**
 * A Semaphore of `size` permits kept in Redis under `name`, for as long as
 * the scope lasts: every process that makes it with the same name (and
 * prefix) shares its permits. Use it with `Semaphore`'s functions.
 *
 * A size that is not a non-negative safe integer, a bad name or a bad option
 * is a defect; so is a size other than the one Redis already keeps for the
 * name ({@link SizeMismatchError}). Fails with `RedisError` when Redis
 * cannot be reached.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { RedisSync, Semaphore } from "effect-go"
 *
 * declare const callApi: Effect.Effect<void>
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const sem = yield* RedisSync.semaphore("partner-api", 10)
 *     yield* Semaphore.withPermits(sem, 1)(callApi)
 *   })
 * )
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const semaphore = (
  name: string,
  size: number,
  options?: SemaphoreOptions
): Effect.Effect<Semaphore.Semaphore<RedisSyncError>, Redis.RedisError, Redis.Redis | Scope.Scope> =>
  Effect.suspend(() =>
    Number.isSafeInteger(size) && size >= 0
      ? Effect.map(
          startEngine("RedisSync.semaphore", "Semaphore", "semaphore", name, size, options),
          (e) => new engine.RedisSemaphore(e)
        )
      : Exit.die(new Semaphore.InvalidPermitsError({ op: "make", permits: size }))
  )

/**
 * A Mutex kept in Redis under `name`, for as long as the scope lasts: one
 * holder at a time across every process that makes it. Use it with
 * `Mutex`'s functions. Unlike the in-memory Mutex it is FIFO (no barging,
 * no starvation mode): a Redis round trip dwarfs what barging saves.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Mutex, RedisSync } from "effect-go"
 *
 * declare const refreshToken: Effect.Effect<void>
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const mu = yield* RedisSync.mutex("token-refresh")
 *     yield* Mutex.withLock(mu)(refreshToken)
 *   })
 * )
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const mutex = (
  name: string,
  options?: SemaphoreOptions
): Effect.Effect<Mutex.Mutex<RedisSyncError>, Redis.RedisError, Redis.Redis | Scope.Scope> =>
  Effect.map(
    startEngine("RedisSync.mutex", "Mutex", "mutex", name, 1, options),
    (e) => new engine.RedisMutex(e)
  )

/**
 * The Redis layer of a Semaphore service: the same key as its in-memory
 * `layer`, so the swap is one line. The service must be declared with
 * {@link RedisSyncError} as its error (`Semaphore.Service<Self,
 * RedisSync.RedisSyncError>()`), since its operations may then fail. Its
 * name in Redis is the service's key unless `options.name` says otherwise.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { RedisSync, Semaphore } from "effect-go"
 * import type { Redis } from "effect/persistence/Redis"
 *
 * class DbLimit extends Semaphore.Service<DbLimit, RedisSync.RedisSyncError>()("app/DbLimit") {}
 *
 * declare const query: Effect.Effect<void, RedisSync.RedisSyncError, DbLimit>
 * declare const RedisLive: Layer.Layer<Redis>
 *
 * const oneProcess = query.pipe(Effect.provide(DbLimit.layer(10)))
 * const everyProcess = query.pipe(
 *   Effect.provide(RedisSync.layerSemaphore(DbLimit, 10).pipe(Layer.provide(RedisLive)))
 * )
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layerSemaphore = <Self, E>(
  service: Context.Service<Self, Semaphore.Semaphore<E>> & AdmitsRedisSyncError<E>,
  size: number,
  options?: SemaphoreOptions & { readonly name?: string | undefined }
): Layer.Layer<Self, Redis.RedisError, Redis.Redis> =>
  Layer.effect(
    service as Context.Service<Self, Semaphore.Semaphore<RedisSyncError>>,
    semaphore(options?.name ?? service.key, size, options)
  )

/**
 * The Redis layer of a Mutex service: the same key as its in-memory
 * `layer`. The service must be declared with {@link RedisSyncError} as its
 * error (`Mutex.Service<Self, RedisSync.RedisSyncError>()`).
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { Mutex, RedisSync } from "effect-go"
 * import type { Redis } from "effect/persistence/Redis"
 *
 * class TokenLock extends Mutex.Service<TokenLock, RedisSync.RedisSyncError>()("app/TokenLock") {}
 * declare const RedisLive: Layer.Layer<Redis>
 *
 * const TokenLockLive = RedisSync.layerMutex(TokenLock).pipe(Layer.provide(RedisLive))
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layerMutex = <Self, E>(
  service: Context.Service<Self, Mutex.Mutex<E>> & AdmitsRedisSyncError<E>,
  options?: SemaphoreOptions & { readonly name?: string | undefined }
): Layer.Layer<Self, Redis.RedisError, Redis.Redis> =>
  Layer.effect(
    service as Context.Service<Self, Mutex.Mutex<RedisSyncError>>,
    mutex(options?.name ?? service.key, options)
  )

export {
  /**
   * A SingleFlight group kept in Redis under `name`, for as long as the scope
   * lasts: calls for one key share one flight across every process that makes
   * the group with the same name (and prefix). Use it with `SingleFlight`'s
   * functions (`do`, `doFork`, `forget`, `keys`, `blocked`).
   *
   * Within a process, callers of a key share one local flight as in memory.
   * Across processes, one flight per key leads: it holds a lease in Redis,
   * renewed while its effect runs, and publishes its outcome; the others
   * follow and get that outcome, `shared: true`: a value decoded with
   * `success`, a typed failure decoded with `error`; a defect, an
   * interruption from inside the flight, or a value its schema cannot encode
   * reaches them as a {@link RemoteFlightError} defect. The leader's own
   * callers get its outcome as it is.
   *
   * - A leader that dies: its lease lapses (at most one `lease`), and a
   *   follower leads, running its own caller's effect (within a third of a
   *   lease more).
   * - A leader whose callers all leave: its effect is interrupted and its
   *   lease given back at once; a follower leads.
   * - A leader whose lease Redis has not confirmed for two thirds of a lease
   *   is interrupted: its callers fail with `LeaseLostError`.
   * - Nothing is cached, as in Go, with one window: an outcome stays readable
   *   for one `lease` after it is published, so that the followers woken by
   *   it get it. A call arriving in that window gets it too (`shared: true`)
   *   instead of starting a new flight; a call after it starts one.
   * - `forget(g, key)` acts on this process: its next call for `key` runs its
   *   own effect rather than join the flight begun before (here or
   *   elsewhere), and the published outcome is dropped.
   *
   * Keys are strings as they are; other keys need a `key` option (a call with
   * a key that is not a string without one is a defect). A bad name, option or
   * schema is a defect. Fails with `RedisError` when Redis cannot be reached;
   * calls fail with `RedisError` too, and with `LeaseLostError`.
   *
   * @example
   * ```ts
   * import { Effect, Schema } from "effect"
   * import { RedisSync, SingleFlight } from "effect-go"
   *
   * class User extends Schema.Class<User>("User")({ id: Schema.Number, name: Schema.String }) {}
   * class HttpError extends Schema.TaggedError<HttpError>()("HttpError", { status: Schema.Number }) {}
   * declare const fetchUser: (id: number) => Effect.Effect<User, HttpError>
   *
   * const program = Effect.scoped(
   *   Effect.gen(function* () {
   *     const users = yield* RedisSync.singleFlight("users", { success: User, error: HttpError })
   *     // One fetch of user 1 at a time, across every process.
   *     const { value, shared } = yield* SingleFlight.do(users, "user:1", fetchUser(1))
   *     return shared ? `${value.name} (shared)` : value.name
   *   })
   * )
   * ```
   *
   * @category constructors
   * @since 0.1.0
   */
  singleFlight,
  /**
   * The Redis layer of a SingleFlight service: a `Context.Service` whose
   * value is a `SingleFlight.SingleFlight<A, E | RedisSyncError, K>`, so that
   * its in-memory layer (`Layer.effect(Service, SingleFlight.make())`) and
   * this one give the same key. Its name in Redis is the service's key unless
   * `options.name` says otherwise.
   *
   * @example
   * ```ts
   * import { Context, Layer, Schema } from "effect"
   * import { RedisSync, SingleFlight } from "effect-go"
   * import type { Redis } from "effect/persistence/Redis"
   *
   * class HttpError extends Schema.TaggedError<HttpError>()("HttpError", { status: Schema.Number }) {}
   * class Prices extends Context.Service<
   *   Prices,
   *   SingleFlight.SingleFlight<number, HttpError | RedisSync.RedisSyncError>
   * >()("app/Prices") {}
   * declare const RedisLive: Layer.Layer<Redis>
   *
   * const oneProcess = Layer.effect(Prices, SingleFlight.make<number, HttpError | RedisSync.RedisSyncError>())
   * const everyProcess = RedisSync.layerSingleFlight(Prices, { success: Schema.Number, error: HttpError }).pipe(
   *   Layer.provide(RedisLive)
   * )
   * ```
   *
   * @category layers
   * @since 0.1.0
   */
  layerSingleFlight,
  /**
   * The flight a caller waited for, led by another process (or another
   * group of the same name), ended in a way that cannot be shared: it died,
   * was interrupted from inside, or its value or error could not go through
   * its schema. Followers die with this error, which names the group, the
   * key and what happened; the leader's own callers get the outcome itself.
   *
   * @category errors
   * @since 0.1.0
   */
  RemoteFlightError,
  /**
   * Options of {@link singleFlight}: the `success` and `error` schemas the
   * outcomes travel through, `key` (required for keys that are not
   * strings), `prefix` and `lease`.
   *
   * @category models
   * @since 0.1.0
   */
  type SingleFlightOptions,
  /**
   * Options of {@link layerSingleFlight}: those of {@link singleFlight},
   * with `key` required when the service's keys are not strings, and `name`
   * (default: the service's key).
   *
   * @category models
   * @since 0.1.0
   */
  type LayerSingleFlightOptions
} from "./internal/redis/singleflight.ts"
