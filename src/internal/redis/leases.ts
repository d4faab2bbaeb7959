/**
 * How one process keeps the leases it holds in Redis (a Semaphore's or
 * Mutex's holders and waiters, a SingleFlight group's leaders), the same
 * way for every primitive kept there:
 * - a renewal every third of a lease, at a fixed rate whatever a renewal
 *   took (it gives up after a third of a lease), which also re-checks what
 *   the process waits for, in case a message was lost;
 * - a watchdog that gives up a lease Redis has not confirmed for two thirds
 *   of a lease: checked every twelfth of a lease, so that a lease granted
 *   just after a renewal is given up before it can lapse in Redis, not at
 *   the renewal after next;
 * - one subscription to the primitive's channel, made before anything was
 *   asked (so no message is published unseen), and made again after a
 *   failure (what was missed meanwhile is found by the next renewal).
 *
 * Times are `performance.now()` (monotonic): a lease is a span Redis
 * measures with its own clock, which a wall-clock step must not stretch.
 */
import * as Effect from "effect/Effect"
import type * as Redis from "effect/persistence/Redis"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"

/** A third of the lease: how often leases are renewed, and the slack left when one is given up. */
export const periodOf = (leaseMs: number): number => Math.max(10, Math.floor(leaseMs / 3))

let clientSeq = 0

/** An id unique across processes, for the tickets and tokens of one primitive in one process. */
export const newClientId = (): string => `${globalThis.crypto.randomUUID()}-${++clientSeq}`

/**
 * Whether a lease Redis last confirmed by a call sent at `confirmedAt` must
 * be given up: two thirds of a lease have passed without a confirmation.
 */
export const isStale = (confirmedAt: number, leaseMs: number, periodMs: number): boolean =>
  performance.now() - confirmedAt >= leaseMs - periodMs

/** What a primitive gives {@link keepLeases}. */
export interface Keeper {
  readonly redis: Redis.Redis["Service"]
  readonly channel: string
  readonly periodMs: number
  /** One renewal (and re-check); it gives up after a third of a lease and never fails. */
  renewOnce(): Effect.Effect<void>
  /** Gives up the leases {@link isStale} says are stale. */
  giveUpStale(): void
  onMessage(message: string): void
}

/**
 * Starts the renewals, the watchdog and the listener of `keeper` in the
 * current scope, `first` being its channel's first subscription.
 */
export const keepLeases = (
  keeper: Keeper,
  first: Queue.Dequeue<Redis.RedisMessage, Redis.RedisError>
): Effect.Effect<void, never, Scope.Scope> => {
  const period = keeper.periodMs
  const renewal = Effect.suspend(() => {
    const start = performance.now()
    return Effect.andThen(
      keeper.renewOnce(),
      Effect.suspend(() => Effect.sleep(Math.max(0, period - (performance.now() - start))))
    )
  })
  const watchdog = Effect.andThen(
    Effect.sleep(Math.max(5, Math.floor(period / 4))),
    Effect.sync(() => keeper.giveUpStale())
  )
  // No yield after each message (`forever`'s default): a burst of release
  // messages would cost a scheduler turn each; the op budget still yields.
  const drain = (queue: Queue.Dequeue<Redis.RedisMessage, Redis.RedisError>) =>
    Effect.forever(
      Effect.map(Queue.take(queue), (m) => keeper.onMessage(m.message)),
      { disableYield: true }
    )
  const again: Effect.Effect<never> = Effect.scoped(Effect.flatMap(keeper.redis.subscribe(keeper.channel), drain)).pipe(
    Effect.catchCause(() =>
      Effect.andThen(
        Effect.sleep(period),
        Effect.suspend(() => again)
      )
    )
  )
  return Effect.all(
    [
      Effect.forkScoped(Effect.catchCause(drain(first), () => again)),
      Effect.forkScoped(Effect.andThen(Effect.sleep(period), Effect.forever(renewal))),
      Effect.forkScoped(Effect.forever(watchdog))
    ],
    { discard: true }
  )
}
