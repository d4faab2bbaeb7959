/**
 * Memory held per blocked fiber (or task): `N` fibers parked on a receive, a
 * lock or a semaphore acquire, divided by `N`, measured two ways after a full
 * collection (`--expose-gc`):
 * - the live heap (`heapUsed` delta): everything a parked fiber keeps alive —
 *   the fiber, its stack of continuations, its node in the primitive's waiter
 *   list and the parent's reference to it (what `forkChild` keeps);
 * - resident memory (`rss` delta), the way Go's figure is taken
 *   (runtime.MemStats.Sys delta: what the runtime obtained from the OS,
 *   goroutine stacks included): the heap pages the fibers occupy plus the
 *   allocator's slack and whatever the engine grew for them.
 * Each measurement runs in a fresh Node process ({@link measureMemory} starts
 * this file as a child): in a process that already ran other workloads the
 * freed pages are reused and the RSS delta measures nothing.
 */
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Mutex as AsyncMutex, Semaphore as AsyncSemaphore } from "async-mutex"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as EffectSemaphore from "effect/Semaphore"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import pLimit from "p-limit"
import PQueue from "p-queue"
import { Chan as TsChan } from "ts-chan"
import * as Chan from "../src/Chan.ts"
import * as Mutex from "../src/Mutex.ts"
import { PromiseChan, PromiseLock, PromiseSemaphore } from "./floor.ts"
import { collect, guard, type Kind, median, times } from "./harness.ts"
import * as Semaphore from "../src/Semaphore.ts"

export type BlockedOn = "recv" | "lock" | "acquire"

export interface MemoryContestant {
  readonly on: BlockedOn
  readonly name: string
  readonly kind: Kind
  readonly skip?: string | undefined
  /** Fewer fibers for primitives whose parking is O(waiters) (bytes per fiber do not depend on it). */
  readonly maxN?: number | undefined
  readonly note?: string | undefined
  /** Bytes per blocked fiber, one measurement. */
  readonly measure: (n: number) => Promise<Bytes>
}

/** Bytes per blocked fiber: live heap and resident memory. */
export interface Bytes {
  readonly heap: number
  readonly rss: number
}

export interface Stats {
  readonly median: number
  readonly min: number
  readonly max: number
}

export interface MemoryResult {
  readonly contestant: MemoryContestant
  readonly n: number
  /** Live heap per fiber: median, min, max over the runs. */
  readonly median: number
  readonly min: number
  readonly max: number
  /** Resident memory per fiber. */
  readonly rss: Stats
  readonly error?: string | undefined
}

/** Heap and resident memory after a full collection. */
const usage = (): Bytes => {
  collect()
  const u = process.memoryUsage()
  return { heap: u.heapUsed, rss: u.rss }
}

const perFiber = (before: Bytes, after: Bytes, n: number): Bytes => ({
  heap: (after.heap - before.heap) / n,
  rss: (after.rss - before.rss) / n
})

/**
 * An Effect contestant: `prepare` builds the primitive (held, for locks) and
 * returns the effect each fiber blocks in. `n` fibers are forked (started at
 * once, so that each runs until it parks), then memory is read from inside
 * the parent fiber, then everything is interrupted.
 */
const effectMeasure =
  (prepare: () => Effect.Effect<Effect.Effect<unknown, unknown>, unknown>) =>
  (n: number): Promise<Bytes> =>
    Effect.runPromise(
      Effect.flatMap(prepare(), (blockIn) =>
        Effect.suspend(() => {
          const fibers = slots<Fiber.Fiber<unknown, unknown>>(n)
          let parked = 0
          const body = Effect.andThen(
            Effect.sync(() => parked++),
            blockIn
          )
          let before: Bytes | undefined
          return Effect.sync(() => {
            before = usage()
          }).pipe(
            Effect.andThen(
              times(n, (i) =>
                Effect.map(Effect.forkChild(body, { startImmediately: true }), (f) => {
                  fibers[i] = f
                })
              )
            ),
            Effect.andThen(Effect.whileLoop({ while: () => parked < n, body: () => Effect.yieldNow, step: () => {} })),
            Effect.andThen(Effect.sync(() => perFiber(before!, usage(), n))),
            Effect.tap(() => Fiber.interruptAll(fibers as Array<Fiber.Fiber<unknown, unknown>>))
          )
        })
      )
    )

/**
 * A Promise-based contestant: `start` launches one blocked task and returns
 * its promise; `release` lets every task finish afterwards.
 */
const promiseMeasure =
  (prepare: () => { readonly start: () => Promise<unknown>; readonly release: () => void }) =>
  async (n: number): Promise<Bytes> => {
    const { start, release } = prepare()
    const tasks = slots<Promise<unknown>>(n)
    const before = usage()
    for (let i = 0; i < n; i++) tasks[i] = start()
    const bytes = perFiber(before, usage(), n)
    release()
    await Promise.allSettled(tasks)
    return bytes
  }

/** A Promise that stays pending until `open` is called. */
const gate = (): { readonly promise: Promise<void>; readonly open: () => void } => {
  let open = () => {}
  const promise = new Promise<void>((resolve) => (open = resolve))
  return { promise, open: () => open() }
}

/** A packed array of `n` slots, allocated before the heap is measured. */
const slots = <A>(n: number): Array<A | undefined> => {
  const out: Array<A | undefined> = []
  for (let i = 0; i < n; i++) out.push(undefined)
  return out
}

/**
 * Effect's Semaphore walks every queued waiter on each `take` while none fits
 * (`firstAvailableWaiter`) and copies the waiter set on each release, so
 * parking W fibers costs O(W²): 100k take 20 s. Bytes per fiber do not depend
 * on W, so it is measured with fewer.
 */
const EFFECT_SEMAPHORE_N = 20_000
const EFFECT_SEMAPHORE_NOTE =
  "measured with 20k fibers: Effect's Semaphore walks every waiter on each take (O(W) per park), 100k take ~20 s to set up"

export const memoryContestants = (): Array<MemoryContestant> => {
  return [
    // ---- blocked on a receive ----
    {
      on: "recv",
      name: "effect-go Chan.recv (unbuffered)",
      kind: "effect-go",
      measure: effectMeasure(() => Effect.sync(() => Chan.recv(Chan.makeUnsafe<number>(0))))
    },
    {
      on: "recv",
      name: "Effect Queue.take (Queue.bounded(0))",
      kind: "effect",
      measure: effectMeasure(() => Effect.map(Queue.bounded<number>(0), (q) => Queue.take(q)))
    },
    {
      on: "recv",
      name: "a fiber parked in Effect.callback, nothing else",
      kind: "ref",
      note: "the least any Effect-based primitive can keep per blocked fiber: the fiber itself",
      measure: effectMeasure(() => Effect.succeed(Effect.callback<number>(() => {})))
    },
    {
      on: "recv",
      name: "Effect Deferred.await",
      kind: "ref",
      measure: effectMeasure(() => Effect.map(Deferred.make<number>(), (d) => Deferred.await(d)))
    },
    {
      on: "recv",
      name: "ts-chan recv",
      kind: "peer",
      measure: promiseMeasure(() => {
        const ch = new TsChan<number>(0)
        return { start: () => ch.recv(), release: () => ch.close() }
      })
    },
    {
      on: "recv",
      name: "floor: async fn awaiting a bare Promise channel",
      kind: "floor",
      measure: promiseMeasure(() => {
        const ch = new PromiseChan<number>(0)
        let n = 0
        return {
          start: async () => {
            n++
            await ch.recv()
          },
          release: () => {
            for (let i = 0; i < n; i++) ch.send(i)
          }
        }
      })
    },
    // ---- blocked on a lock ----
    {
      on: "lock",
      name: "effect-go Mutex.lock",
      kind: "effect-go",
      measure: effectMeasure(() =>
        Effect.suspend(() => {
          const mu = Mutex.makeUnsafe()
          return Effect.as(Mutex.lock(mu), Mutex.lock(mu))
        })
      )
    },
    {
      on: "lock",
      name: "Effect Semaphore(1).take(1)",
      kind: "effect",
      maxN: EFFECT_SEMAPHORE_N,
      note: EFFECT_SEMAPHORE_NOTE,
      measure: effectMeasure(() =>
        Effect.flatMap(EffectSemaphore.make(1), (s) => Effect.as(s.take(1), s.take(1) as Effect.Effect<unknown>))
      )
    },
    {
      on: "lock",
      name: "async-mutex Mutex.acquire",
      kind: "peer",
      measure: promiseMeasure(() => {
        const mu = new AsyncMutex()
        void mu.acquire()
        return { start: () => mu.acquire(), release: () => mu.cancel() }
      })
    },
    {
      on: "lock",
      name: "floor: async fn awaiting a bare Promise lock",
      kind: "floor",
      measure: promiseMeasure(() => {
        const mu = new PromiseLock()
        mu.lock()
        let n = 0
        return {
          start: async () => {
            n++
            await mu.lock()
          },
          release: () => {
            for (let i = 0; i <= n; i++) mu.unlock()
          }
        }
      })
    },
    // ---- blocked on a semaphore acquire ----
    {
      on: "acquire",
      name: "effect-go Semaphore.acquire",
      kind: "effect-go",
      measure: effectMeasure(() =>
        Effect.flatMap(Semaphore.make(1), (s) => Effect.as(Semaphore.acquire(s, 1), Semaphore.acquire(s, 1)))
      )
    },
    {
      on: "acquire",
      name: "Effect Semaphore(1).take(1)",
      kind: "effect",
      maxN: EFFECT_SEMAPHORE_N,
      note: EFFECT_SEMAPHORE_NOTE,
      measure: effectMeasure(() =>
        Effect.flatMap(EffectSemaphore.make(1), (s) => Effect.as(s.take(1), s.take(1) as Effect.Effect<unknown>))
      )
    },
    {
      on: "acquire",
      name: "async-mutex Semaphore(1).acquire",
      kind: "peer",
      measure: promiseMeasure(() => {
        const s = new AsyncSemaphore(1)
        void s.acquire()
        return { start: () => s.acquire(), release: () => s.cancel() }
      })
    },
    {
      on: "acquire",
      name: "p-limit(1) queued task",
      kind: "peer",
      measure: promiseMeasure(() => {
        const limit = pLimit(1)
        const blocker = gate()
        void limit(() => blocker.promise)
        return { start: () => limit(async () => {}), release: blocker.open }
      })
    },
    {
      on: "acquire",
      name: "p-queue(1) queued task",
      kind: "peer",
      measure: promiseMeasure(() => {
        const queue = new PQueue({ concurrency: 1 })
        const blocker = gate()
        void queue.add(() => blocker.promise)
        return { start: () => queue.add(async () => {}), release: blocker.open }
      })
    },
    {
      on: "acquire",
      name: "floor: async fn awaiting a bare Promise semaphore",
      kind: "floor",
      measure: promiseMeasure(() => {
        const s = new PromiseSemaphore(1)
        s.acquire()
        let n = 0
        return {
          start: async () => {
            n++
            await s.acquire()
          },
          release: () => {
            for (let i = 0; i <= n; i++) s.release()
          }
        }
      })
    }
  ]
}

/**
 * Lets pending scheduler turns run: work left by the warm-up (Effect's
 * Semaphore, for one, frees its interrupted waiters in a `setImmediate` task)
 * must not be collected inside the measured window.
 */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve))
  collect()
}

const stats = (xs: ReadonlyArray<number>): Stats => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) })

const failed = { median: Number.NaN, min: Number.NaN, max: Number.NaN }

/** One measurement of one contestant in a fresh process (this file, run as a child). */
const measureInChild = (c: MemoryContestant, n: number): Promise<Bytes> =>
  new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), c.on, c.name, String(n)],
      { timeout: 60_000, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (error !== null) return reject(new Error(`${error.message.split("\n")[0]} ${stderr.trim().slice(-200)}`))
        try {
          resolve(JSON.parse(stdout.trim().split("\n").pop()!) as Bytes)
        } catch {
          reject(new Error(`unreadable child output: ${stdout.slice(-200)}`))
        }
      }
    )
  })

/**
 * Measures one contestant `runs` times, each in a fresh process. The bytes
 * per fiber do not depend on `wanted`, except for Go's and our fixed costs
 * spread over it: Go's figure is taken at 100k goroutines, so is ours.
 */
export const measureMemory = async (c: MemoryContestant, wanted: number, runs: number): Promise<MemoryResult> => {
  const n = Math.min(wanted, c.maxN ?? wanted)
  if (c.skip !== undefined) return { contestant: c, n, ...failed, rss: failed }
  try {
    const xs: Array<Bytes> = []
    for (let r = 0; r < runs; r++) xs.push(await measureInChild(c, n))
    return {
      contestant: c,
      n,
      ...stats(xs.map((x) => x.heap)),
      rss: stats(xs.map((x) => x.rss))
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    return { contestant: c, n, ...failed, rss: failed, error: message }
  }
}

// The child: `node --expose-gc bench/memory.ts <on> <name> <n>` prints one line of JSON.
if (import.meta.main) {
  const [on, name, n] = process.argv.slice(2)
  const c = memoryContestants().find((x) => x.on === on && x.name === name)
  if (c === undefined) {
    console.error(`no memory contestant "${name}" blocked on ${on}`)
    process.exit(2)
  }
  // Warm up in the same process first (module code, the engine's compiled
  // code and caches), so the measured run sees only the fibers.
  await guard(c.measure(Math.min(1000, Number(n))), `${c.name} memory warm-up`)
  await settle()
  const bytes = await guard(c.measure(Number(n)), `${c.name} memory`)
  console.log(JSON.stringify(bytes))
  process.exit(0)
}
