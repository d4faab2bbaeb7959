/**
 * The door through which a Semaphore, Mutex, SingleFlight or rate Limiter whose state
 * lives elsewhere (Redis: see `RedisSync`) serves the public functions of
 * its module. The public functions check arguments, then hand a remote value
 * its call; in-memory values never come here (one `instanceof` on their
 * path).
 */
import type * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import { type Pipeable, pipeArguments } from "effect/Pipeable"
import type * as Scope from "effect/Scope"
import type { BlockedFiber } from "./waiters.ts"

/** What every remote primitive is as a value: `Inspectable` and `pipe`-able, like the in-memory ones. */
abstract class RemoteBase extends Inspectable.Class implements Pipeable {
  pipe() {
    // biome-ignore lint/complexity/noArguments: Effect's pipeArguments takes them as they are
    return pipeArguments(this, arguments)
  }
}

/**
 * A semaphore whose permits are counted outside this process. Arguments
 * reach it checked (a count that is a non-negative safe integer, at most
 * `size`; an Effect for `withPermits`).
 */
export abstract class RemoteSemaphore extends RemoteBase {
  abstract readonly size: number
  abstract readonly name: string | undefined
  abstract acquire(n: number): Effect.Effect<void, unknown>
  abstract tryAcquire(n: number): Effect.Effect<boolean, unknown>
  abstract release(n: number): Effect.Effect<void, unknown>
  abstract withPermits<A, E, R>(effect: Effect.Effect<A, E, R>, n: number): Effect.Effect<A, unknown, R>
  abstract readonly available: Effect.Effect<number, unknown>
  abstract readonly blocked: Effect.Effect<ReadonlyArray<BlockedFiber>>
}

/** A mutex held across processes. */
export abstract class RemoteMutex extends RemoteBase {
  abstract readonly name: string | undefined
  abstract readonly lock: Effect.Effect<void, unknown>
  abstract readonly tryLock: Effect.Effect<boolean, unknown>
  abstract readonly unlock: Effect.Effect<void, unknown>
  abstract withLock<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, unknown, R>
  abstract readonly isLocked: Effect.Effect<boolean, unknown>
  abstract readonly blocked: Effect.Effect<ReadonlyArray<BlockedFiber>>
}

/**
 * A singleflight group whose flights are shared with other processes. The
 * public functions hand it the call as given: it checks the key and the
 * effect itself (inside the Effect it returns), since only it knows how its
 * keys are encoded. `scope` is where `doFork` forks its callers.
 */
export abstract class RemoteSingleFlight extends RemoteBase {
  abstract readonly name: string | undefined
  abstract readonly scope: Scope.Scope
  abstract run<A, E, R>(
    key: unknown,
    effect: Effect.Effect<A, E, R>
  ): Effect.Effect<{ readonly value: A; readonly shared: boolean }, unknown, Exclude<R, Scope.Scope>>
  abstract forget(key: unknown): Effect.Effect<void>
  abstract readonly keys: Effect.Effect<ReadonlyArray<unknown>>
  abstract readonly blocked: Effect.Effect<ReadonlyArray<BlockedFiber>>
}

/**
 * A rate limiter whose bucket lives outside this process. Arguments reach it
 * checked (`n` a non-negative safe integer, a limit 0 or more, a burst a
 * non-negative safe integer); `waitN` checks `n` against the burst itself,
 * atomically.
 */
export abstract class RemoteLimiter extends RemoteBase {
  abstract allowN(n: number): Effect.Effect<boolean, unknown>
  abstract reserveN(n: number): Effect.Effect<unknown, unknown>
  abstract waitN(n: number): Effect.Effect<void, unknown>
  abstract setLimit(limit: number): Effect.Effect<void, unknown>
  abstract setBurst(burst: number): Effect.Effect<void, unknown>
  abstract readonly limit: Effect.Effect<number, unknown>
  abstract readonly burst: Effect.Effect<number, unknown>
  abstract readonly tokens: Effect.Effect<number, unknown>
}
