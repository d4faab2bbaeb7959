/**
 * effect-go's RedisSync, as its README recommends: `NodeRedis.layer({ url })`
 * for Effect's `Redis` service, `RedisSync.mutex(name)` /
 * `RedisSync.semaphore(name, permits)`, used through `Mutex.withLock` /
 * `Semaphore.withPermits(1)`. A waiter is woken by the grant's pub/sub
 * message (one subscription per lock and process), with a re-check at every
 * lease renewal.
 *
 * The lease is 2 s instead of the default 10 s only to shorten set-up: a
 * name's first use grants nothing for one lease (the state is new, so a
 * holder from before a Redis data loss could still exist), and each process
 * waits that out once when it makes the lock. The lease does not enter a
 * hand-off: renewals run beside it, every third of a lease.
 */
import { readFileSync } from "node:fs"
import { NodeRedis } from "@effect/platform-node"
import * as Effect from "effect/Effect"
import { Mutex, RedisSync, Semaphore } from "../../../src/index.ts"
import { effectContestant } from "../contestant.ts"

const version = (
  JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }
).version

const lease = "2 seconds"

export default effectContestant({
  name: `effect-go ${version}`,
  notes:
    "`Mutex.withLock` / `Semaphore.withPermits(1)` on `RedisSync`, lease 2 s (renewed every third); a waiter is woken by the grant's pub/sub message",
  layer: (url) => NodeRedis.layer({ url }),
  mutex: (name) =>
    RedisSync.mutex(name, { lease }).pipe(
      Effect.tap(Effect.sleep(lease)),
      Effect.map((mu) => ({ withLock: <A, E>(effect: Effect.Effect<A, E>) => Mutex.withLock(mu)(effect) }))
    ),
  semaphore: (name, permits) =>
    RedisSync.semaphore(name, permits, { lease }).pipe(
      Effect.tap(Effect.sleep(lease)),
      Effect.map((sem) => ({
        withLock: <A, E>(effect: Effect.Effect<A, E>) => Semaphore.withPermits(sem, 1)(effect)
      }))
    )
})
