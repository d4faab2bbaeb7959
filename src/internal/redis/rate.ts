/**
 * A rate limiter (Go's `golang.org/x/time/rate`) whose bucket lives in
 * Redis, so that processes sharing the Redis share one limit. The functions
 * of `Rate` serve it as they serve an in-memory one (they check arguments,
 * then hand it their call: see `RemoteLimiter` in remote.ts).
 *
 * State: one hash `${prefix}:rate:{${name}}:state` holding Go's fields —
 * `limit`, `burst`, `tokens`, `last` (when `tokens` was last brought up to
 * date), `lastEvent` (the latest reservation's time to act) — and
 * `cfgLimit`/`cfgBurst`, the settings the limiter was last made with. Every
 * operation is one Lua script that reads the time from Redis (`TIME`, one
 * clock for every process) and runs Go's arithmetic on the hash atomically.
 * Numbers travel as strings with 17 significant digits (exact for a double);
 * infinities as "inf"/"-inf".
 *
 * Settings. Each call carries the settings its limiter was made with. When
 * they differ from `cfgLimit`/`cfgBurst` (a first use, a deployment with new
 * settings), they are adopted as Go's `SetLimitAt` and `SetBurstAt` would
 * (the bucket brought up to date first); when they match, the hash's own
 * `limit` and `burst` stand, so a `setLimit` or `setBurst` made by any
 * process lasts until a limiter is made with other settings. Processes
 * sharing a name should therefore make it with the same settings.
 *
 * Nothing taken is lost to an interruption: a call that takes tokens (allow,
 * reserve, wait) runs in the limiter's scope, so that when its caller is
 * interrupted before it sees the reply, the tokens are given back once the
 * reply comes; an interrupted `wait` gives back what it booked. The giving
 * back runs in the limiter's scope too (so that a Redis that cannot be
 * reached does not hold up the interruption), and the interrupted caller
 * waits a moment ({@link UNDO_GRACE}) for it to land.
 */
import type * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Redis from "effect/persistence/Redis"
import { RemoteLimiter } from "../remote.ts"
import type * as Scope from "effect/Scope"
import * as Rate from "../../Rate.ts"
import { invalidArgument } from "../copied.ts"
import { checkName, checkPrefix, keyBase } from "./common.ts"
import { badBurst, badLimit } from "../limiter.ts"

/**
 * How long an interrupted caller waits for its tokens to be given back in
 * Redis before it leaves them to the limiter's scope: long enough for a
 * reply from a Redis that answers, short enough not to hold up an
 * interruption while Redis cannot be reached.
 */
export const UNDO_GRACE = Duration.millis(250)

// ---------------------------------------------------------------------------
// Scripts
// ---------------------------------------------------------------------------

/**
 * Loads the state (or starts it: a full bucket) and adopts the caller's
 * settings when they are new. KEYS[1] is the state hash; ARGV[1], ARGV[2]
 * the limit and burst the caller's limiter was made with.
 */
const PRELUDE = `
local key = KEYS[1]
local cfgLimit, cfgBurst = ARGV[1], ARGV[2]
local function num(s)
  if s == 'inf' then return math.huge end
  if s == '-inf' then return -math.huge end
  return tonumber(s)
end
local function str(x)
  if x == math.huge then return 'inf' end
  if x == -math.huge then return '-inf' end
  return string.format('%.17g', x)
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local limit, burst, tokens, last, lastEvent
local dirty = false
local function tokensFromDuration(l, ms)
  if l <= 0 or ms == 0 or ms ~= ms then return 0 end
  return ms / 1000 * l
end
local function durationFromTokens(l, tk)
  if l <= 0 then return math.huge end
  return tk / l * 1000
end
local function advance(at)
  local from = last
  if at < from then from = at end
  local tk = tokens + tokensFromDuration(limit, at - from)
  if tk > burst then tk = burst end
  return tk
end
local function save()
  redis.call('HSET', key, 'limit', str(limit), 'burst', str(burst), 'tokens', str(tokens),
    'last', str(last), 'lastEvent', str(lastEvent), 'cfgLimit', cfgLimit, 'cfgBurst', cfgBurst)
end
local s = redis.call('HMGET', key, 'limit', 'burst', 'tokens', 'last', 'lastEvent', 'cfgLimit', 'cfgBurst')
if not s[1] then
  limit, burst = num(cfgLimit), tonumber(cfgBurst)
  tokens, last, lastEvent = burst, now, -math.huge
  dirty = true
else
  limit, burst, tokens, last, lastEvent = num(s[1]), tonumber(s[2]), num(s[3]), num(s[4]), num(s[5])
  if s[6] ~= cfgLimit or s[7] ~= cfgBurst then
    tokens = advance(now)
    last = now
    limit, burst = num(cfgLimit), tonumber(cfgBurst)
    dirty = true
  end
end
`

/** The result of a reservation script: "ok" (time to act, limit it was booked at), "no", or "exceeds" (burst). */
type ReserveReply = readonly [outcome: "ok" | "no" | "exceeds", a: string, b: string, now: string]

/**
 * Go's `reserveN`. ARGV[3] n, ARGV[4] the longest wait allowed (ms, or
 * "inf"), ARGV[5] "1" for `waitN`, which first refuses `n` above the burst.
 * Replies `{"ok", timeToAct, limit, now}` (the limit is 0 under an infinite
 * limit, as in Go), `{"no", "0", limit, now}`, or `{"exceeds", burst, "", now}`.
 */
const reserveScript = Redis.script(
  (key: string, cfgLimit: string, cfgBurst: string, n: number, maxFuture: string, forWait: "0" | "1") => [
    key,
    cfgLimit,
    cfgBurst,
    n,
    maxFuture,
    forWait
  ],
  {
    numberOfKeys: 1,
    lua: `${PRELUDE}
local n = tonumber(ARGV[3])
local maxFuture = num(ARGV[4])
if ARGV[5] == '1' and n > burst and limit ~= math.huge then
  if dirty then save() end
  return { 'exceeds', str(burst), '', str(now) }
end
if limit == math.huge then
  if dirty then save() end
  return { 'ok', str(now), '0', str(now) }
end
local tk = advance(now) - n
local wait = 0
if tk < 0 then wait = durationFromTokens(limit, -tk) end
if n > burst or wait > maxFuture then
  if dirty then save() end
  return { 'no', '0', str(limit), str(now) }
end
local act = now + wait
tokens, last, lastEvent = tk, now, act
save()
return { 'ok', str(act), str(limit), str(now) }
`
  }
).withReturnType<ReserveReply>()

/**
 * Go's `CancelAt(now)`. ARGV[3] the tokens booked, ARGV[4] their time to act,
 * ARGV[5] the limit they were booked at, ARGV[6] "1" to give them back even
 * once due (a holder that never acted on them).
 */
const cancelScript = Redis.script(
  (key: string, cfgLimit: string, cfgBurst: string, n: number, act: string, limit: string, force: "0" | "1") => [
    key,
    cfgLimit,
    cfgBurst,
    n,
    act,
    limit,
    force
  ],
  {
    numberOfKeys: 1,
    lua: `${PRELUDE}
local rtokens, act, rlimit = tonumber(ARGV[3]), num(ARGV[4]), num(ARGV[5])
if limit == math.huge or rtokens == 0 or (ARGV[6] ~= '1' and act < now) then
  if dirty then save() end
  return 0
end
local restore = rtokens - tokensFromDuration(rlimit, lastEvent - act)
if restore <= 0 then
  if dirty then save() end
  return 0
end
local tk = advance(now) + restore
if tk > burst then tk = burst end
tokens, last = tk, now
if act == lastEvent then
  local prev = act + durationFromTokens(rlimit, -rtokens)
  if not (prev < now) then lastEvent = prev end
end
save()
return 1
`
  }
).withReturnType<number>()

/** Go's `SetLimitAt`/`SetBurstAt`: ARGV[3] "limit" or "burst", ARGV[4] its new value. */
const setScript = Redis.script(
  (key: string, cfgLimit: string, cfgBurst: string, field: "limit" | "burst", value: string) => [
    key,
    cfgLimit,
    cfgBurst,
    field,
    value
  ],
  {
    numberOfKeys: 1,
    lua: `${PRELUDE}
tokens = advance(now)
last = now
if ARGV[3] == 'limit' then limit = num(ARGV[4]) else burst = tonumber(ARGV[4]) end
save()
return 1
`
  }
).withReturnType<number>()

/** The limit, the burst and the tokens now (Go's `Tokens`), changing nothing. */
const peekScript = Redis.script((key: string, cfgLimit: string, cfgBurst: string) => [key, cfgLimit, cfgBurst], {
  numberOfKeys: 1,
  lua: `${PRELUDE}
return { str(limit), str(burst), str(advance(now)) }
`
}).withReturnType<readonly [limit: string, burst: string, tokens: string]>()

// ---------------------------------------------------------------------------
// The limiter
// ---------------------------------------------------------------------------

/** A number as a script argument: infinities by name, anything else exactly. */
const encode = (x: number): string =>
  x === Number.POSITIVE_INFINITY ? "inf" : x === Number.NEGATIVE_INFINITY ? "-inf" : String(x)

/** A number from a script's reply. */
const decode = (s: string): number =>
  s === "inf" ? Number.POSITIVE_INFINITY : s === "-inf" ? Number.NEGATIVE_INFINITY : Number(s)

/** A reservation's reply, read. */
interface Booked {
  readonly ok: boolean
  /** The time to act, in Redis' clock, as Redis wrote it (sent back as is to cancel). */
  readonly act: string
  /** The limit it was booked at, as Redis wrote it. */
  readonly limit: string
  /** How long to wait, in milliseconds. */
  readonly delay: number
}

const booked = (reply: ReserveReply): Booked => {
  const ok = reply[0] === "ok"
  return { ok, act: reply[1], limit: reply[2], delay: ok ? decode(reply[1]) - decode(reply[3]) : 0 }
}

class RedisReservation extends Inspectable.Class implements Rate.Reservation<Redis.RedisError> {
  readonly ok: boolean
  readonly lim: RedisLimiter
  readonly tokens: number
  readonly booking: Booked
  /** The local Clock time at which the holder may act. */
  readonly timeToAct: number
  cancelled = false
  constructor(lim: RedisLimiter, n: number, booking: Booked, localNow: number) {
    super()
    this.lim = lim
    this.ok = booking.ok
    this.tokens = booking.ok ? n : 0
    this.booking = booking
    this.timeToAct = booking.ok ? localNow + booking.delay : Number.NaN
  }
  get delay(): Effect.Effect<Duration.Duration> {
    return Effect.clockWith((clock) => Effect.succeed(this.delayFrom(clock.currentTimeMillisUnsafe())))
  }
  delayFrom(now: number): Duration.Duration {
    if (!this.ok) return Duration.infinity
    const delay = this.timeToAct - now
    return delay > 0 ? Duration.millis(delay) : Duration.zero
  }
  get cancel(): Effect.Effect<void, Redis.RedisError> {
    return Effect.suspend(() => {
      if (!this.ok || this.cancelled) return Effect.void
      // Once: a second cancel would give the tokens back again.
      this.cancelled = true
      return Effect.tapError(this.lim.cancelBooking(this.tokens, this.booking, false), () =>
        Effect.sync(() => {
          this.cancelled = false
        })
      )
    })
  }
  toJSON() {
    return { _id: "Reservation", ok: this.ok, tokens: this.tokens, timeToAct: this.timeToAct }
  }
}

class RedisLimiter extends RemoteLimiter implements Rate.Limiter<Redis.RedisError> {
  readonly "~effect-go/Limiter" = "~effect-go/Limiter" as const
  readonly name: string
  readonly key: string
  readonly cfgLimit: string
  readonly cfgBurst: string
  readonly scope: Scope.Scope
  readonly runReserve: (
    ...args: Parameters<(typeof reserveScript)["params"]>
  ) => Effect.Effect<ReserveReply, Redis.RedisError>
  readonly runCancel: (...args: Parameters<(typeof cancelScript)["params"]>) => Effect.Effect<number, Redis.RedisError>
  readonly runSet: (...args: Parameters<(typeof setScript)["params"]>) => Effect.Effect<number, Redis.RedisError>
  readonly runPeek: (
    ...args: Parameters<(typeof peekScript)["params"]>
  ) => Effect.Effect<readonly [string, string, string], Redis.RedisError>

  constructor(
    redis: Redis.Redis["Service"],
    scope: Scope.Scope,
    name: string,
    key: string,
    limit: number,
    burst: number
  ) {
    super()
    this.name = name
    this.key = key
    this.cfgLimit = encode(limit)
    this.cfgBurst = encode(burst)
    this.scope = scope
    this.runReserve = redis.eval(reserveScript)
    this.runCancel = redis.eval(cancelScript)
    this.runSet = redis.eval(setScript)
    this.runPeek = redis.eval(peekScript)
  }

  toJSON() {
    return { _id: "Limiter", name: this.name, store: "redis", key: this.key }
  }

  private book(n: number, maxFuture: string, forWait: "0" | "1"): Effect.Effect<ReserveReply, Redis.RedisError> {
    return this.runReserve(this.key, this.cfgLimit, this.cfgBurst, n, maxFuture, forWait)
  }

  /** Gives back booked tokens; `force` even once they are due (their holder never acted). */
  cancelBooking(n: number, booking: Booked, force: boolean): Effect.Effect<void, Redis.RedisError> {
    if (!booking.ok || n === 0) return Effect.void
    return Effect.asVoid(
      this.runCancel(this.key, this.cfgLimit, this.cfgBurst, n, booking.act, booking.limit, force ? "1" : "0")
    )
  }

  /**
   * Runs `undo` in the limiter's scope and waits for it a moment: an
   * interrupted caller leaves once its tokens are given back, or after
   * {@link UNDO_GRACE} when Redis is slow to answer (the undo goes on).
   */
  private undoing(undo: Effect.Effect<void, Redis.RedisError>): Effect.Effect<void> {
    return Effect.flatMap(Effect.forkIn(Effect.ignore(undo), this.scope), (fiber) =>
      Effect.ignore(Effect.timeout(Fiber.await(fiber), UNDO_GRACE))
    )
  }

  /**
   * Books `n` tokens so that an interruption loses none: the call runs in
   * the limiter's scope and the caller waits for it interruptibly; when the
   * caller is interrupted first, the booking is given back once its reply
   * comes. Call it inside `uninterruptibleMask`, with its `restore`.
   */
  private booking(
    restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>,
    n: number,
    maxFuture: string,
    forWait: "0" | "1"
  ): Effect.Effect<ReserveReply, Redis.RedisError> {
    return Effect.flatMap(Effect.forkIn(this.book(n, maxFuture, forWait), this.scope), (call) =>
      Effect.onInterrupt(restore(Fiber.join(call)), () =>
        this.undoing(Effect.flatMap(Fiber.join(call), (reply) => this.cancelBooking(n, booked(reply), true)))
      )
    )
  }

  allowN(n: number): Effect.Effect<boolean, Redis.RedisError> {
    return Effect.uninterruptibleMask((restore) =>
      Effect.map(this.booking(restore, n, "0", "0"), (reply) => reply[0] === "ok")
    )
  }

  reserveN(n: number): Effect.Effect<Rate.Reservation<Redis.RedisError>, Redis.RedisError> {
    return Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(this.booking(restore, n, "inf", "0"), (reply) =>
        Effect.clockWith((clock) =>
          Effect.succeed(new RedisReservation(this, n, booked(reply), clock.currentTimeMillisUnsafe()))
        )
      )
    )
  }

  waitN(n: number): Effect.Effect<void, Redis.RedisError> {
    return Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(this.booking(restore, n, "inf", "1"), (reply) => {
        if (reply[0] === "exceeds") {
          return Exit.die(new Rate.WaitExceedsBurstError({ n, burst: decode(reply[1]), limiterName: this.name }))
        }
        const booking = booked(reply)
        // Interrupted before it is due, or before its caller sees it: the
        // caller never acts on these tokens.
        return Effect.onInterrupt(
          restore(booking.delay > 0 ? Effect.sleep(Duration.millis(booking.delay)) : Effect.void),
          () => this.undoing(this.cancelBooking(n, booking, true))
        )
      })
    )
  }

  setLimit(limit: number): Effect.Effect<void, Redis.RedisError> {
    return Effect.asVoid(this.runSet(this.key, this.cfgLimit, this.cfgBurst, "limit", encode(limit)))
  }

  setBurst(burst: number): Effect.Effect<void, Redis.RedisError> {
    return Effect.asVoid(this.runSet(this.key, this.cfgLimit, this.cfgBurst, "burst", encode(burst)))
  }

  get limit(): Effect.Effect<number, Redis.RedisError> {
    return Effect.map(this.runPeek(this.key, this.cfgLimit, this.cfgBurst), (s) => decode(s[0]))
  }

  get burst(): Effect.Effect<number, Redis.RedisError> {
    return Effect.map(this.runPeek(this.key, this.cfgLimit, this.cfgBurst), (s) => decode(s[1]))
  }

  get tokens(): Effect.Effect<number, Redis.RedisError> {
    return Effect.map(this.runPeek(this.key, this.cfgLimit, this.cfgBurst), (s) => decode(s[2]))
  }
}

// ---------------------------------------------------------------------------
// Constructors
// ---------------------------------------------------------------------------

/** Options of {@link makeLimiter} and {@link layerLimiter}. */
export interface RedisLimiterOptions extends Rate.LimiterSettings {
  /**
   * The first part of the limiter's key, so that applications sharing one
   * Redis do not share limits by accident. Default `"effect-go"`.
   */
  readonly prefix?: string | undefined
}

/**
 * A limiter whose bucket lives in Redis under `name`: every process that
 * makes one with the same name (and prefix) shares its limit. Go:
 * `rate.NewLimiter(limit, burst)`, shared.
 *
 * Making it sends nothing to Redis: the first operation starts the bucket
 * (full), or adopts these settings when the bucket was made with others
 * (see the module doc). Its operations fail with `RedisError` when Redis
 * cannot be reached. A bad name, limit, burst or prefix is a defect.
 */
export const makeLimiter = (
  name: string,
  options: RedisLimiterOptions
): Effect.Effect<Rate.Limiter<Redis.RedisError>, never, Redis.Redis | Scope.Scope> =>
  Effect.suspend(() => {
    const op = "RedisSync.limiter"
    const badName = checkName(op, name)
    if (badName !== undefined) return Exit.die(badName)
    if (typeof options !== "object" || options === null) {
      return Exit.die(invalidArgument(op, "options { limit, burst, prefix? }", options))
    }
    const { limit, burst } = options
    const bad = badLimit(op, limit) ?? badBurst(op, burst)
    if (bad !== undefined) return Exit.die(bad)
    // A limiter holds no lease: only the prefix applies.
    const prefix = checkPrefix(op, options.prefix)
    if (typeof prefix !== "string") return Exit.die(prefix)
    const key = `${keyBase(prefix, "rate", name)}:state`
    return Effect.flatMap(Redis.Redis, (redis) =>
      Effect.map(
        Effect.scope,
        (scope): Rate.Limiter<Redis.RedisError> => new RedisLimiter(redis, scope, name, key, limit, burst)
      )
    )
  })

/** A Service whose limiter may fail with `RedisError`: one declared with `RedisSyncError` (or `RedisError`). */
export type AdmitsRedisError<E> = [Redis.RedisError] extends [E]
  ? unknown
  : {
      readonly "declare the service with RedisError (effect/persistence/Redis) as its error, e.g. Rate.Service<Self, RedisError>()": true
    }

/**
 * A layer providing `service` (a `Rate.Service` declared with the error type
 * `RedisSyncError`) with a limiter kept in Redis, named after the service's
 * key unless `options.name` says otherwise. Requires Effect's `Redis`
 * service. A service declared without that error type is a type error: its
 * users do not expect its operations to fail.
 */
export const layerLimiter = <Self, E>(
  service: Context.Service<Self, Rate.Limiter<E>> & AdmitsRedisError<E>,
  options: RedisLimiterOptions & { readonly name?: string | undefined }
): Layer.Layer<Self, never, Redis.Redis> =>
  Layer.effect(
    service as Context.Service<Self, Rate.Limiter<Redis.RedisError>>,
    makeLimiter(options?.name ?? service.key, options)
  )
