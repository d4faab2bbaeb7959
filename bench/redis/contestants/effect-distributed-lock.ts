/**
 * effect-distributed-lock (Effect 3, ioredis), as its README recommends:
 * `RedisBacking.layer(redis)` with its defaults (push-based waiting on) and
 * `DistributedSemaphore.make(key, { limit })` with the default config
 * (ttl 30 s, refreshed every ttl/3, a waiter polls every 100 ms), used
 * through `withPermits(1)`.
 *
 * The library is written for Effect 3 and brings its own copy, nested in its
 * folder; it is driven here with that copy (an Effect 4 runtime cannot run
 * Effect 3 effects), loaded from the very file the library imports so that
 * both share one module instance.
 */
import { DistributedSemaphore, RedisBacking } from "effect-distributed-lock"
import { Redis } from "ioredis"
import type * as Effect3 from "../../../node_modules/effect-distributed-lock/node_modules/effect/dist/dts/index.d.ts"
import type { Contestant, Lock } from "../contestant.ts"
import { packageVersion } from "./version.ts"

// What `import "effect"` inside effect-distributed-lock/dist/index.js resolves to.
const effect3 = (await import(
  new URL("../node_modules/effect/dist/esm/index.js", import.meta.resolve("effect-distributed-lock")).href
)) as typeof Effect3
const { Effect, ManagedRuntime } = effect3

const contestant: Contestant = {
  name: `effect-distributed-lock ${packageVersion("effect-distributed-lock")}`,
  notes:
    "`withPermits(1)` with the default config: ttl 30 s refreshed every 10 s; a waiter polls every 100 ms and also listens on pub/sub (a new subscriber connection per waiting acquire)",
  connect: async (url) => {
    const redis = new Redis(url)
    const runtime = ManagedRuntime.make(RedisBacking.layer(redis))
    const lockOf = async (name: string, limit: number): Promise<Lock> => {
      const semaphore = await runtime.runPromise(DistributedSemaphore.make(name, { limit }))
      const withPermit = semaphore.withPermits(1)
      return { withLock: (body) => runtime.runPromise(withPermit(Effect.promise(body))) }
    }
    return {
      mutex: (name) => lockOf(name, 1),
      semaphore: (name, permits) => lockOf(name, permits),
      close: async () => {
        await runtime.dispose()
        await redis.quit()
      }
    }
  }
}

export default contestant
