/**
 * The door through which a Semaphore or Mutex whose state lives elsewhere
 * (Redis: see `RedisSync`) serves the public functions of `Semaphore` and
 * `Mutex`. The public functions check arguments, then hand a remote value
 * its call; in-memory values never come here (one `instanceof` on their
 * path).
 */
import type * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import { type Pipeable, pipeArguments } from "effect/Pipeable"
import type { BlockedFiber } from "./waiters.ts"

/**
 * A semaphore whose permits are counted outside this process. Arguments
 * reach it checked (a count that is a non-negative safe integer, at most
 * `size`; an Effect for `withPermits`).
 */
export abstract class RemoteSemaphore extends Inspectable.Class implements Pipeable {
  abstract readonly size: number
  abstract readonly name: string | undefined
  abstract acquire(n: number): Effect.Effect<void, unknown>
  abstract tryAcquire(n: number): Effect.Effect<boolean, unknown>
  abstract release(n: number): Effect.Effect<void, unknown>
  abstract withPermits<A, E, R>(effect: Effect.Effect<A, E, R>, n: number): Effect.Effect<A, unknown, R>
  abstract readonly available: Effect.Effect<number, unknown>
  abstract readonly blocked: Effect.Effect<ReadonlyArray<BlockedFiber>>
  pipe() {
    // biome-ignore lint/complexity/noArguments: Effect's pipeArguments takes them as they are
    return pipeArguments(this, arguments)
  }
}

/** A mutex held across processes. */
export abstract class RemoteMutex extends Inspectable.Class implements Pipeable {
  abstract readonly name: string | undefined
  abstract readonly lock: Effect.Effect<void, unknown>
  abstract readonly tryLock: Effect.Effect<boolean, unknown>
  abstract readonly unlock: Effect.Effect<void, unknown>
  abstract withLock<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, unknown, R>
  abstract readonly isLocked: Effect.Effect<boolean, unknown>
  abstract readonly blocked: Effect.Effect<ReadonlyArray<BlockedFiber>>
  pipe() {
    // biome-ignore lint/complexity/noArguments: Effect's pipeArguments takes them as they are
    return pipeArguments(this, arguments)
  }
}
