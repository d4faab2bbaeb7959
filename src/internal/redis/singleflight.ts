/**
 * A SingleFlight group shared through Redis: one flight per key across every
 * process that makes a group of the same name (and prefix).
 *
 * Within a process, the callers of a key share one local flight exactly as
 * in memory: an in-memory group keyed by the encoded key does that (caller
 * counting, interruption of the flight when its last caller leaves,
 * recursion). What that local flight runs is the Redis protocol below.
 *
 * Keys of a group (`base` is `${prefix}:singleflight:{${name}}`, `ek` the
 * encoded key, never parsed: it may hold any character):
 * - `${base}:lease:${ek}`   HASH `owner` (the leader's token), `joined`
 *   (how many flights of other processes or groups waited for it). PX of one
 *   lease, renewed by the leader's process every third of a lease. Taken
 *   with "create only if missing" in one script: SET NX PX, with a counter.
 * - `${base}:result:${ek}`  HASH `owner`, `outcome`. PX of one lease: the
 *   outcome of the flight that just ended, for the followers that re-check
 *   after the publish (and, as documented, for any call in that window).
 * - channel `${base}:done`: one per group, subscribed when the group is
 *   made, before any check. Each message is an `ek` whose lease changed
 *   (outcome published, or lease given up): its followers re-check. One
 *   channel per group rather than per key: every subscription is a
 *   connection of its own, and a subscription made once, before any flight,
 *   cannot miss a message sent after a check.
 *
 * A local flight, in a loop:
 * 1. registers a watch on `ek` (a Deferred a message completes), then runs
 *    `begin`: a published outcome is taken as it is (`r`); else a missing
 *    lease is taken (`l`, this flight leads); else it follows (`w`);
 * 2. a leader runs its own caller's effect, racing it against the loss of
 *    its lease. On success it publishes `s` + the value encoded by the
 *    `success` schema (JSON); on a typed failure `f` + the error encoded by
 *    `error`; on anything else (a defect, an interruption from inside, a
 *    value or error its schema cannot encode) `d` + a description, which
 *    followers die with (`RemoteFlightError`). `finish` publishes only while
 *    the lease is still the leader's. A leader interrupted from outside
 *    (every caller left, or the group's scope closed) publishes nothing: it
 *    gives the lease back (`release`, only if it is still its own) and
 *    wakes the followers, one of which takes over at once;
 * 3. a follower waits for its watch: a message, or the heartbeat finding
 *    the key's lease gone or its outcome there (the fallback, every third of
 *    a lease, for a lost message or a leader that died: its lease lapses),
 *    then starts again at 1. A follower that finds the lease free leads and
 *    runs its own caller's effect.
 *
 * `forget` drops the key's published outcome and remembers which flight
 * Redis names as its leader: this process's next calls for the key run
 * their own effect (unpublished) rather than wait for that flight or take
 * its outcome, until Redis names another.
 *
 * The heartbeat (one fiber per group, see leases.ts) renews every lease
 * this group's flights lead and re-checks every key they wait for, in one
 * script; a watchdog gives up stale leases between beats. A
 * leader whose lease Redis has not confirmed for two thirds of a lease (or
 * that Redis no longer knows) loses the race: its flight fails with
 * `LeaseLostError`, before the lease can lapse and another process lead.
 */
import type * as Context from "effect/Context"
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import { format } from "effect/Formatter"
import * as Layer from "effect/Layer"
import * as Redis from "effect/persistence/Redis"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as SingleFlight from "../../SingleFlight.ts"
import { invalidArgument, type InvalidArgumentError } from "../copied.ts"
import type { InvalidDurationError } from "../duration.ts"
import { RemoteSingleFlight } from "../remote.ts"
import type { BlockedFiber } from "../waiters.ts"
import { checkName, checkOptions, keyBase, LeaseLostError, type RedisOptions, type RedisSyncError } from "./common.ts"
import { isStale, type Keeper, keepLeases, newClientId, periodOf } from "./leases.ts"
import { isEffect } from "../function.ts"

// -----------------------------------------------------------------------------
// Errors and options
// -----------------------------------------------------------------------------

/**
 * The flight a caller waited for, led by another process (or another group
 * of the same name), ended in a way that cannot be shared: it died, was
 * interrupted from inside, or its value or error could not be encoded by
 * its schema (or decoded by this process's). Followers die with it; the
 * leader's own callers get the outcome itself.
 *
 * @category errors
 * @since 0.1.0
 */
export class RemoteFlightError extends Data.TaggedError("RemoteFlightError")<{
  /** The group's name in Redis. */
  readonly name: string
  /** The key, as the group encodes it. */
  readonly key: string
  /** What happened, e.g. `died (Error: boom)`. */
  readonly reason: string
}> {
  override get message(): string {
    return `SingleFlight "${this.name}": the flight for key ${JSON.stringify(this.key)} ${this.reason}; its outcome cannot be shared`
  }
}

/**
 * Options of a SingleFlight group kept in Redis: how its outcomes travel
 * between processes (`success` and `error` schemas, JSON through
 * `Schema.toCodecJson`), how its keys become Redis keys (`key`), and the
 * `prefix` and `lease` every primitive kept in Redis takes.
 *
 * @category models
 * @since 0.1.0
 */
export interface SingleFlightOptions<A, E, K = string> extends RedisOptions {
  /** Encodes a flight's value for the followers in other processes, and decodes it there. */
  readonly success: Schema.Codec<A, unknown>
  /** Encodes a flight's typed failure for the followers in other processes, and decodes it there. `Schema.Never` when the effects cannot fail. */
  readonly error: Schema.Codec<E, unknown>
  /**
   * The key as Redis sees it: calls whose keys give the same string share a
   * flight, in every process. Required for keys that are not strings
   * (strings are used as they are).
   */
  readonly key?: ((key: K) => string) | undefined
}

// -----------------------------------------------------------------------------
// Scripts (constant sources; keys and values arrive as KEYS and ARGV only)
// -----------------------------------------------------------------------------

interface FlightKeys {
  readonly lease: string
  readonly result: string
}

/**
 * The published outcome (`r`, owner, outcome); or the lease, taken (`l`);
 * or the leader's token (`w`, owner), counting this flight as joined unless
 * the leader is the one it was told to skip (ARGV[3]).
 */
const begin = Redis.script(
  (k: FlightKeys, token: string, leaseMs: number, skip: string) => [k.lease, k.result, token, leaseMs, skip],
  {
    lua: `
local r = redis.call('HMGET', KEYS[2], 'owner', 'outcome')
if r[2] then return {'r', r[1], r[2]} end
local owner = redis.call('HGET', KEYS[1], 'owner')
if not owner then
  redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'joined', 0)
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {'l'}
end
if owner ~= ARGV[3] then redis.call('HINCRBY', KEYS[1], 'joined', 1) end
return {'w', owner}`,
    numberOfKeys: 2
  }
).withReturnType<[string, string?, string?]>()

/**
 * Publishes the outcome of the flight `token` leads, if its lease is still
 * its own: the lease goes, the outcome stays for `ttl` ms, the followers are
 * woken. Says how many flights waited for it, or -1 (the lease was lost).
 */
const finish = Redis.script(
  (k: FlightKeys, token: string, outcome: string, ttlMs: number, channel: string, ek: string) => [
    k.lease,
    k.result,
    token,
    outcome,
    ttlMs,
    channel,
    ek
  ],
  {
    lua: `
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return -1 end
local joined = tonumber(redis.call('HGET', KEYS[1], 'joined'))
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[2], 'owner', ARGV[1], 'outcome', ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return joined`,
    numberOfKeys: 2
  }
).withReturnType<number>()

/** Gives the lease back if `token` still holds it, and wakes the followers: one of them leads at once. */
const release = Redis.script(
  (k: FlightKeys, token: string, channel: string, ek: string) => [k.lease, token, channel, ek],
  {
    lua: `
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1`,
    numberOfKeys: 1
  }
).withReturnType<number>()

/**
 * The heartbeat. KEYS: the leases this process leads (ARGV[3...]: their
 * tokens, ARGV[2] of them), then for each key it waits for, its lease and
 * its result. Renews the leases still owned (1, else 0), and says for each
 * key waited for whether its followers may go on waiting (1: led, no
 * outcome yet) or must re-check (0).
 */
const beat = Redis.script(
  (keys: ReadonlyArray<string>, leaseMs: number, tokens: ReadonlyArray<string>) => [
    ...keys,
    leaseMs,
    tokens.length,
    ...tokens
  ],
  {
    lua: `
local leaders = tonumber(ARGV[2])
local out = {}
for i = 1, leaders do
  if redis.call('HGET', KEYS[i], 'owner') == ARGV[2 + i] then
    redis.call('PEXPIRE', KEYS[i], ARGV[1])
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
for i = leaders + 1, #KEYS, 2 do
  if redis.call('EXISTS', KEYS[i]) == 1 and redis.call('EXISTS', KEYS[i + 1]) == 0 then
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out`,
    numberOfKeys: (keys) => keys.length
  }
).withReturnType<Array<number>>()

/** Drops the published outcome and says who leads the key now (nil if nobody). */
const forgetScript = Redis.script((k: FlightKeys) => [k.lease, k.result], {
  lua: `
redis.call('DEL', KEYS[2])
return redis.call('HGET', KEYS[1], 'owner')`,
  numberOfKeys: 2
}).withReturnType<string | null>()

// -----------------------------------------------------------------------------
// The group
// -----------------------------------------------------------------------------

/** What a local flight gives the in-memory group: the value, and whether a flight elsewhere got it too. */
interface Shared {
  readonly value: unknown
  readonly shared: boolean
}

/** A flight this process leads. */
interface Leading {
  readonly ek: string
  readonly token: string
  /**
   * When (`performance.now()`, monotonic) the last call Redis answered that
   * kept the lease was sent: the lease runs at least from then.
   */
  confirmedAt: number
  /** Failed when the lease is lost: the flight's effect loses its race. */
  readonly lost: Deferred.Deferred<never, LeaseLostError>
  /** The fiber running the caller's effect, once it runs. */
  userFiber: Fiber.Fiber<unknown, unknown> | undefined
}

/** The key a local flight was started with, for `keys`. */
interface Started {
  readonly key: unknown
}

const TypeId = "~effect-go/SingleFlight" as const
const variance = { _A: (_: unknown) => _, _E: (_: unknown) => _, _K: (_: unknown) => _ }

/** A schema's JSON codec (`Schema.toCodecJson`), as the group uses it. */
type Codec = Schema.Codec<unknown, unknown>

export interface GroupOptions {
  readonly redis: Redis.Redis["Service"]
  readonly name: string
  readonly base: string
  readonly leaseMs: number
  readonly success: Schema.Codec<unknown, unknown>
  readonly error: Schema.Codec<unknown, unknown>
  readonly key: ((key: any) => string) | undefined
  readonly inner: SingleFlight.SingleFlight<Shared, unknown, string>
  readonly scope: Scope.Scope
}

/** One process's side of a SingleFlight group kept in Redis, as `SingleFlight`'s functions see it. */
export class RedisSingleFlight extends RemoteSingleFlight implements Keeper {
  readonly [TypeId] = variance
  readonly redis: Redis.Redis["Service"]
  readonly name: string
  readonly base: string
  readonly channel: string
  readonly leaseMs: number
  /** A third of the lease: how often leases are renewed and waits re-checked. */
  readonly periodMs: number
  readonly success: Codec
  readonly error: Codec
  readonly keyOf: ((key: any) => string) | undefined
  readonly inner: SingleFlight.SingleFlight<Shared, unknown, string>
  readonly scope: Scope.Scope
  /** Tokens are `${clientId}:${count}`: unique across processes. */
  readonly clientId: string
  count = 0
  /** Token → the flight this process leads with it. */
  readonly leading = new Map<string, Leading>()
  /** Encoded key → the watches of the flights waiting for it. */
  readonly watching = new Map<string, Set<Deferred.Deferred<void>>>()
  /** Fiber running a caller's effect → its encoded key: a call it makes for that key is a recursion. */
  readonly running = new Map<Fiber.Fiber<unknown, unknown>, string>()
  /** Encoded key → the leader a `forget` told this process not to wait for. */
  readonly skip = new Map<string, string>()
  /** Encoded key → how the local flight for it was started (for `keys`). */
  readonly started = new Map<string, Started>()

  constructor(o: GroupOptions) {
    super()
    this.redis = o.redis
    this.name = o.name
    this.base = o.base
    this.channel = `${o.base}:done`
    this.leaseMs = o.leaseMs
    this.periodMs = periodOf(o.leaseMs)
    this.success = Schema.toCodecJson(o.success) as unknown as Codec
    this.error = Schema.toCodecJson(o.error) as unknown as Codec
    this.keyOf = o.key
    this.inner = o.inner
    this.scope = o.scope
    this.clientId = newClientId()
  }

  flightKeys(ek: string): FlightKeys {
    return { lease: `${this.base}:lease:${ek}`, result: `${this.base}:result:${ek}` }
  }

  /** The key as Redis sees it, or the defect of a bad one. */
  encode(op: string, key: unknown): string | InvalidArgumentError | { readonly thrown: unknown } {
    if (this.keyOf === undefined) {
      return typeof key === "string"
        ? key
        : invalidArgument(op, "a string key (give the group a `key` option to use other keys)", key)
    }
    let ek: unknown
    try {
      ek = this.keyOf(key)
    } catch (thrown) {
      return { thrown }
    }
    return typeof ek === "string" ? ek : invalidArgument(op, "a string from the group's `key` option", ek)
  }

  run<A, E, R>(
    key: unknown,
    effect: Effect.Effect<A, E, R>
  ): Effect.Effect<SingleFlight.Result<A>, unknown, Exclude<R, Scope.Scope>> {
    return Effect.withFiber((caller) => {
      if (!isEffect(effect)) return Exit.die(invalidArgument("SingleFlight.do", "an Effect", effect))
      const ek = this.encode("SingleFlight.do", key)
      if (typeof ek !== "string") return Exit.die("thrown" in ek ? ek.thrown : ek)
      if (this.running.get(caller) === ek) {
        return Exit.die(new SingleFlight.SingleFlightRecursiveError({ key, groupName: this.name }))
      }
      return Effect.map(
        SingleFlight.do(this.inner, ek, this.flight(ek, key, effect as Effect.Effect<unknown, unknown>)),
        (r) => ({ value: r.value.value as A, shared: r.shared || r.value.shared })
      )
    }) as Effect.Effect<SingleFlight.Result<A>, unknown, Exclude<R, Scope.Scope>>
  }

  /** What the local flight for `ek` runs: the protocol, started afresh. */
  flight(ek: string, key: unknown, effect: Effect.Effect<unknown, unknown>): Effect.Effect<Shared, unknown> {
    return Effect.suspend(() => {
      const started: Started = { key }
      this.started.set(ek, started)
      return Effect.ensuring(
        this.attempt(ek, effect),
        Effect.sync(() => {
          if (this.started.get(ek) === started) this.started.delete(ek)
        })
      )
    })
  }

  /** One turn of the loop: a published outcome, the lead, or a wait and another turn. */
  attempt(ek: string, effect: Effect.Effect<unknown, unknown>): Effect.Effect<Shared, unknown> {
    return Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => {
        const token = `${this.clientId}:${++this.count}`
        const keys = this.flightKeys(ek)
        const skip = this.skip.get(ek)
        // Watching before the check: a message published after it is not missed.
        const watch = this.watch(ek)
        const sentAt = performance.now()
        return restore(this.redis.eval(begin)(keys, token, this.leaseMs, skip ?? "")).pipe(
          Effect.onExit((exit) => {
            if (Exit.isSuccess(exit) && exit.value[0] === "w" && (skip === undefined || exit.value[1] !== skip)) {
              return Effect.void
            }
            this.unwatch(ek, watch)
            // Interrupted while the reply was on its way: the script may have made this flight the leader.
            return Exit.isFailure(exit) && Cause.hasInterrupts(exit.cause) ? this.giveBack(ek, token) : Effect.void
          }),
          Effect.flatMap((reply): Effect.Effect<Shared, unknown> => {
            const [state, owner, outcome] = reply
            if (state === "l") {
              this.skip.delete(ek)
              return this.lead(ek, token, sentAt, effect, restore)
            }
            if (skip !== undefined && owner === skip) return restore(this.runOwn(ek, effect))
            this.skip.delete(ek)
            if (state === "r") return restore(this.follow(ek, outcome!))
            return Effect.andThen(
              Effect.ensuring(
                restore(Deferred.await(watch)),
                Effect.sync(() => this.unwatch(ek, watch))
              ),
              this.attempt(ek, effect)
            )
          })
        )
      })
    )
  }

  watch(ek: string): Deferred.Deferred<void> {
    const watch = Deferred.makeUnsafe<void>()
    let set = this.watching.get(ek)
    if (set === undefined) {
      set = new Set()
      this.watching.set(ek, set)
    }
    set.add(watch)
    return watch
  }

  unwatch(ek: string, watch: Deferred.Deferred<void>): void {
    const set = this.watching.get(ek)
    if (set === undefined) return
    set.delete(watch)
    if (set.size === 0) this.watching.delete(ek)
  }

  /** A message on the group's channel: the key whose lease changed. */
  onMessage(message: string): void {
    this.wake(message)
  }

  /** The key's lease changed: its followers re-check. */
  wake(ek: string): void {
    const set = this.watching.get(ek)
    if (set === undefined) return
    this.watching.delete(ek)
    for (const watch of set) Deferred.doneUnsafe(watch, Exit.void)
  }

  /**
   * Runs the caller's effect holding the lease, against the lease's loss,
   * then publishes its outcome (or gives the lease back when interrupted
   * from outside). Entered uninterruptibly; only the effect is restored.
   */
  lead(
    ek: string,
    token: string,
    confirmedAt: number,
    effect: Effect.Effect<unknown, unknown>,
    restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  ): Effect.Effect<Shared, unknown> {
    const entry: Leading = {
      ek,
      token,
      confirmedAt,
      lost: Deferred.makeUnsafe<never, LeaseLostError>(),
      userFiber: undefined
    }
    this.leading.set(token, entry)
    const own = Effect.withFiber((fiber) => {
      entry.userFiber = fiber
      return this.track(fiber, ek, effect)
    })
    return Effect.flatMap(Effect.exit(restore(Effect.raceFirst(own, Deferred.await(entry.lost)))), (exit) => {
      this.leading.delete(token)
      return this.settle(entry, exit)
    })
  }

  /** Runs `effect` on `fiber`, known as running `ek` meanwhile (a call it makes for `ek` is a recursion). */
  track(
    fiber: Fiber.Fiber<unknown, unknown>,
    ek: string,
    effect: Effect.Effect<unknown, unknown>
  ): Effect.Effect<unknown, unknown> {
    this.running.set(fiber, ek)
    return Effect.ensuring(
      effect,
      Effect.sync(() => {
        if (this.running.get(fiber) === ek) this.running.delete(fiber)
      })
    )
  }

  /**
   * A call after `forget` while the flight begun before it goes on: runs
   * its own effect, neither waiting for that flight nor publishing.
   */
  runOwn(ek: string, effect: Effect.Effect<unknown, unknown>): Effect.Effect<Shared, unknown> {
    return Effect.withFiber((fiber) =>
      Effect.map(this.track(fiber, ek, effect), (value): Shared => ({ value, shared: false }))
    )
  }

  /** The leader's flight ended: what its followers get, and what its own callers get. */
  settle(entry: Leading, exit: Exit.Exit<unknown, unknown>): Effect.Effect<Shared, unknown> {
    if (Exit.isSuccess(exit)) {
      return Effect.flatMap(this.encodeOutcome("s", this.success, exit.value, "succeeded with a value"), (outcome) =>
        Effect.map(this.publish(entry, outcome), (joined): Shared => ({ value: exit.value, shared: joined > 0 }))
      )
    }
    const cause = exit.cause
    // A lost lease is gone from Redis, or lapses within a third of a lease: nothing to give back.
    if (Deferred.isDoneUnsafe(entry.lost)) return exit as Exit.Exit<never, unknown>
    if (this.interruptedFromOutside(cause, entry)) {
      // Nothing to share: a follower leads at once.
      return Effect.andThen(this.giveBack(entry.ek, entry.token), exit as Exit.Exit<never, unknown>)
    }
    const error = Cause.findErrorOption(cause)
    const outcome =
      error._tag === "Some"
        ? this.encodeOutcome("f", this.error, error.value, "failed with an error")
        : Effect.succeed(`d${describeCause(cause)}`)
    return Effect.flatMap(outcome, (o) => Effect.andThen(this.publish(entry, o), exit as Exit.Exit<never, unknown>))
  }

  /** `tag` + the JSON of `value` by `codec`, or a defect's description when the codec refuses it. */
  encodeOutcome(tag: "s" | "f", codec: Codec, value: unknown, what: string): Effect.Effect<string> {
    return Schema.encodeUnknownEffect(codec)(value).pipe(
      Effect.map((json) => `${tag}${JSON.stringify(json)}`),
      Effect.catchCause((cause) =>
        Effect.succeed(
          `d${what} its ${tag === "s" ? "success" : "error"} schema cannot encode (${firstLine(Cause.squash(cause))})`
        )
      )
    )
  }

  /**
   * Whether the flight was interrupted by something other than its own
   * effect (its last caller leaving, its group's scope closing): then it
   * gives its lease back rather than publish. An effect that interrupts
   * itself is interrupted by its own fiber.
   */
  interruptedFromOutside(cause: Cause.Cause<unknown>, entry: Leading): boolean {
    const own = entry.userFiber?.id
    for (const id of Cause.interruptors(cause)) if (id !== own) return true
    return false
  }

  /**
   * Publishes the outcome; says how many flights elsewhere waited for it.
   * When Redis cannot take it, the lease lapses on its own (nobody renews
   * it) and a follower leads: the leader's callers still get their outcome.
   */
  publish(entry: Leading, outcome: string): Effect.Effect<number> {
    return this.redis
      .eval(finish)(this.flightKeys(entry.ek), entry.token, outcome, this.leaseMs, this.channel, entry.ek)
      .pipe(
        Effect.timeout(this.leaseMs),
        Effect.catchCause(() => Effect.succeed(-1))
      )
  }

  /** Gives the lease back if `token` holds it, best effort: if Redis cannot be reached, the lease lapses. */
  giveBack(ek: string, token: string): Effect.Effect<void> {
    return this.redis
      .eval(release)(this.flightKeys(ek), token, this.channel, ek)
      .pipe(Effect.timeout(this.leaseMs), Effect.ignore)
  }

  /** A follower's outcome: the leader's, decoded. */
  follow(ek: string, outcome: string): Effect.Effect<Shared, unknown> {
    const tag = outcome[0]
    if (tag === "d") return Exit.die(this.remoteError(ek, outcome.slice(1)))
    if (tag !== "s" && tag !== "f")
      return Exit.die(this.remoteError(ek, "published an outcome this process cannot read"))
    const codec = tag === "s" ? this.success : this.error
    let json: unknown
    try {
      json = JSON.parse(outcome.slice(1))
    } catch {
      return Exit.die(this.remoteError(ek, "published an outcome that is not JSON"))
    }
    return Schema.decodeUnknownEffect(codec)(json).pipe(
      Effect.catchCause((cause) =>
        Exit.die(
          this.remoteError(
            ek,
            `${tag === "s" ? "succeeded with a value this process's success" : "failed with an error this process's error"} schema cannot decode (${firstLine(Cause.squash(cause))})`
          )
        )
      ),
      Effect.flatMap((decoded) =>
        tag === "s" ? Effect.succeed<Shared>({ value: decoded, shared: true }) : Effect.fail(decoded)
      )
    )
  }

  remoteError(ek: string, reason: string): RemoteFlightError {
    return new RemoteFlightError({ name: this.name, key: ek, reason })
  }

  lostError(reason: string): LeaseLostError {
    return new LeaseLostError({ primitive: "SingleFlight", name: this.name, reason })
  }

  /** Gives up a flight's lease: its effect is interrupted and its callers fail with `LeaseLostError`. */
  lose(entry: Leading, reason: string): void {
    this.leading.delete(entry.token)
    Deferred.doneUnsafe(entry.lost, Exit.fail(this.lostError(reason)))
  }

  /** Leaders whose leases Redis has not confirmed for two thirds of a lease. */
  giveUpStale(): void {
    for (const entry of this.leading.values()) {
      if (isStale(entry.confirmedAt, this.leaseMs, this.periodMs)) this.lose(entry, "not renewed in time")
    }
  }

  /** One renewal of every lease this group leads, and one re-check of every key it waits for. */
  renewOnce(): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.leading.size === 0 && this.watching.size === 0) return Effect.void
      const leaders = Array.from(this.leading.values())
      const waited = Array.from(this.watching.keys())
      const keys: Array<string> = []
      const tokens: Array<string> = []
      for (const entry of leaders) {
        keys.push(this.flightKeys(entry.ek).lease)
        tokens.push(entry.token)
      }
      for (const ek of waited) {
        const k = this.flightKeys(ek)
        keys.push(k.lease, k.result)
      }
      const sentAt = performance.now()
      return this.redis
        .eval(beat)(keys, this.leaseMs, tokens)
        .pipe(
          Effect.timeout(this.periodMs),
          Effect.matchEffect({
            onFailure: () => Effect.sync(() => this.giveUpStale()),
            onSuccess: (out) =>
              Effect.sync(() => {
                for (let i = 0; i < leaders.length; i++) {
                  const entry = leaders[i]!
                  if (this.leading.get(entry.token) !== entry) continue
                  if (out[i] === 1) entry.confirmedAt = sentAt
                  else this.lose(entry, "no longer in Redis")
                }
                for (let j = 0; j < waited.length; j++) {
                  if (out[leaders.length + j] !== 1) this.wake(waited[j]!)
                }
                this.giveUpStale()
              })
          })
        )
    })
  }

  /**
   * Stops this process's later calls from joining a flight begun before:
   * its local flight, and (best effort) the flight Redis names for the key,
   * whose published outcome is dropped.
   */
  forget(key: unknown): Effect.Effect<void> {
    return Effect.suspend(() => {
      const ek = this.encode("SingleFlight.forget", key)
      if (typeof ek !== "string") return Exit.die("thrown" in ek ? ek.thrown : ek)
      return this.redis
        .eval(forgetScript)(this.flightKeys(ek))
        .pipe(
          Effect.timeout(this.leaseMs),
          Effect.flatMap((owner) =>
            Effect.sync(() => {
              if (typeof owner === "string") this.skip.set(ek, owner)
            })
          ),
          Effect.ignore,
          Effect.andThen(SingleFlight.forget(this.inner, ek))
        )
    })
  }

  get keys(): Effect.Effect<ReadonlyArray<unknown>> {
    return Effect.map(SingleFlight.keys(this.inner), (eks) => eks.map((ek) => this.started.get(ek)?.key ?? ek))
  }

  get blocked(): Effect.Effect<ReadonlyArray<BlockedFiber>> {
    return SingleFlight.blocked(this.inner)
  }

  toJSON() {
    const inner = this.inner.toJSON() as { readonly flights: number; readonly waiters: number }
    return {
      _id: "SingleFlight",
      name: this.name,
      redis: true,
      flights: inner.flights,
      waiters: inner.waiters,
      leading: this.leading.size
    }
  }
}

const firstLine = (u: unknown): string => {
  const text = u instanceof Error ? `${u.name}: ${u.message}` : format(u)
  const line = text.split("\n", 1)[0]!
  return line.length <= 200 ? line : `${line.slice(0, 199)}…`
}

/** A defect or an interruption from inside, as followers read it. */
const describeCause = (cause: Cause.Cause<unknown>): string => {
  const defect = Cause.findDefect(cause)
  if (defect._tag === "Success") return `died (${firstLine(defect.success)})`
  if (Cause.hasInterrupts(cause)) return "was interrupted"
  return `ended with ${firstLine(Cause.pretty(cause))}`
}

// -----------------------------------------------------------------------------
// Constructors
// -----------------------------------------------------------------------------

const checkGroupOptions = (
  op: string,
  name: unknown,
  options: unknown
): { readonly prefix: string; readonly leaseMs: number } | InvalidArgumentError | InvalidDurationError => {
  const badName = checkName(op, name)
  if (badName !== undefined) return badName
  if (typeof options !== "object" || options === null) {
    return invalidArgument(op, "an options object with `success` and `error` schemas", options)
  }
  const o = options as Partial<SingleFlightOptions<unknown, unknown, unknown>>
  if (!Schema.isSchema(o.success)) return invalidArgument(op, "a Schema (the `success` option)", o.success)
  if (!Schema.isSchema(o.error)) {
    return invalidArgument(op, "a Schema (the `error` option; Schema.Never when the effects cannot fail)", o.error)
  }
  if (o.key !== undefined && typeof o.key !== "function") {
    return invalidArgument(op, "a function from a key to a string (the `key` option)", o.key)
  }
  return checkOptions(op, o)
}

const makeGroup = (
  op: string,
  name: string,
  options: SingleFlightOptions<any, any, any>
): Effect.Effect<RedisSingleFlight, Redis.RedisError, Redis.Redis | Scope.Scope> =>
  Effect.suspend(() => {
    const checked = checkGroupOptions(op, name, options)
    if (!("leaseMs" in checked)) return Exit.die(checked)
    return Effect.gen(function* () {
      const redis = yield* Redis.Redis
      const scope = yield* Effect.scope
      const inner = yield* SingleFlight.make<Shared, unknown, string>({ name })
      const group = new RedisSingleFlight({
        redis,
        name,
        base: keyBase(checked.prefix, "singleflight", name),
        leaseMs: checked.leaseMs,
        success: options.success,
        error: options.error,
        key: options.key,
        inner,
        scope
      })
      // Subscribed before any flight checks Redis: no message is published unseen.
      yield* keepLeases(group, yield* redis.subscribe(group.channel))
      return group
    })
  })

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
export const singleFlight: {
  /**
   * A SingleFlight group kept in Redis whose keys are strings.
   *
   * @example
   * ```ts
   * import { Effect, Schema } from "effect"
   * import { RedisSync } from "effect-go"
   *
   * const make = RedisSync.singleFlight("config", { success: Schema.String, error: Schema.Never })
   * ```
   *
   * @since 0.1.0
   */
  <A, E>(
    name: string,
    options: SingleFlightOptions<A, E, string> & { readonly key?: undefined }
  ): Effect.Effect<
    SingleFlight.SingleFlight<A, E | RedisSyncError, string>,
    Redis.RedisError,
    Redis.Redis | Scope.Scope
  >
  /**
   * A SingleFlight group kept in Redis whose keys `K` become Redis keys
   * through `options.key`.
   *
   * @example
   * ```ts
   * import { Effect, Schema } from "effect"
   * import { RedisSync } from "effect-go"
   *
   * const make = RedisSync.singleFlight("reports", {
   *   success: Schema.String,
   *   error: Schema.Never,
   *   key: ([tenant, day]: readonly [string, number]) => `${tenant}/${day}`
   * })
   * ```
   *
   * @since 0.1.0
   */
  <A, E, K>(
    name: string,
    options: SingleFlightOptions<A, E, K> & { readonly key: (key: K) => string }
  ): Effect.Effect<SingleFlight.SingleFlight<A, E | RedisSyncError, K>, Redis.RedisError, Redis.Redis | Scope.Scope>
} = (
  name: string,
  options: SingleFlightOptions<any, any, any>
): Effect.Effect<any, Redis.RedisError, Redis.Redis | Scope.Scope> => makeGroup("RedisSync.singleFlight", name, options)

/**
 * Options of {@link layerSingleFlight}: those of {@link singleFlight}, with
 * `key` required when the service's keys are not strings, and `name`
 * (default: the service's key).
 *
 * @category models
 * @since 0.1.0
 */
export type LayerSingleFlightOptions<A, E, K> = Omit<SingleFlightOptions<A, E, K>, "key"> & {
  readonly name?: string | undefined
} & ([K] extends [string] ? { readonly key?: ((key: K) => string) | undefined } : { readonly key: (key: K) => string })

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
export const layerSingleFlight = <Self, A, E, K>(
  service: Context.Service<Self, SingleFlight.SingleFlight<A, E | RedisSyncError, K>>,
  options: LayerSingleFlightOptions<NoInfer<A>, NoInfer<E>, NoInfer<K>>
): Layer.Layer<Self, Redis.RedisError, Redis.Redis> =>
  Layer.effect(
    service,
    Effect.suspend(
      () =>
        makeGroup(
          "RedisSync.layerSingleFlight",
          options?.name ?? service.key,
          options as SingleFlightOptions<any, any, any>
        ) as unknown as Effect.Effect<
          SingleFlight.SingleFlight<A, E | RedisSyncError, K>,
          Redis.RedisError,
          Redis.Redis | Scope.Scope
        >
    )
  )
