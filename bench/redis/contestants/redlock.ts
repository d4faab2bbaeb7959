/**
 * redlock (v5, ioredis), as its README recommends: one client per Redis
 * server, the default settings, and `using`, which holds an auto-extending
 * lock while the routine runs. The lock value is random per acquisition;
 * scripts run by EVALSHA (EVAL once per script after a NOSCRIPT).
 *
 * A waiter polls: a refused attempt is retried after `retryDelay` ±
 * `retryJitter` (200 ± 200 ms), at most `retryCount` (10) times, then the
 * acquisition fails with ExecutionError. redlock has no counting semaphore.
 */
import { Redis } from "ioredis"
import type * as RedlockModule from "../../../node_modules/redlock/dist/index.d.ts"
import type { Contestant } from "../contestant.ts"
import { packageVersion } from "./version.ts"

// redlock 5's package.json has an "exports" map without "types", so TypeScript
// does not find the declarations it ships (TS7016): they are imported by path,
// and the module is loaded through a specifier TypeScript does not resolve.
const specifier: string = "redlock"
const { default: Redlock, ResourceLockedError } = (await import(specifier)) as typeof RedlockModule

const contestant: Contestant = {
  name: `redlock ${packageVersion("redlock")}`,
  notes:
    "`using(resources, 5000 ms, routine)` with the default settings: a waiter retries every 200 ± 200 ms, 10 times at most; no semaphore",
  connect: async (url) => {
    const client = new Redis(url)
    const redlock = new Redlock([client])
    // As the README says: redlock emits every refused attempt as an "error"
    // event, which Node throws when nobody listens.
    redlock.on("error", (error: unknown) => {
      if (error instanceof ResourceLockedError) return
      console.error(error)
    })
    return {
      mutex: async (name) => ({ withLock: (body) => redlock.using([name], 5_000, () => body()) }),
      semaphore: undefined,
      close: async () => {
        await redlock.quit()
      }
    }
  }
}

export default contestant
