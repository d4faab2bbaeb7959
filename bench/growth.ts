/**
 * Growth: cost per operation as the workload grows, which must stay flat.
 *
 * - Items: the same workload at 1k, 10k, 100k and 1M operations (ns/op).
 *   At 1k the fixed cost of a run (forking the workers) is still visible.
 * - Waiters: with W fibers parked on one primitive (W = 1 … 100k), the cost
 *   of parking one more (fork + run until parked), of waking the head
 *   (FIFO hand-off, until the woken fiber has finished), and of interrupting
 *   a waiter in the middle of the list (O(1) removal from an intrusive list).
 *
 * Everything runs under Effect's default scheduler.
 */
import * as Effect from "effect/Effect"
import * as EffectSemaphore from "effect/Semaphore"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import { measure } from "mitata"
import * as Chan from "../src/Chan.ts"
import * as Mutex from "../src/Mutex.ts"
import { collect, type Contestant, guard, guarded, median, type Row } from "./harness.ts"
import * as Semaphore from "../src/Semaphore.ts"

// -----------------------------------------------------------------------------
// Items
// -----------------------------------------------------------------------------

export interface ItemsPoint {
  readonly n: number
  readonly nsPerOp: number
  readonly spreadPct: number
}

export interface ItemsSeries {
  readonly label: string
  readonly points: ReadonlyArray<ItemsPoint>
  readonly error?: string | undefined
  /** The size at which the error happened (larger sizes were not run). */
  readonly failedAt?: number | undefined
}

/** Measures `c` at each size; small sizes are repeated until `minMs` of samples. */
export const itemsSeries = async (
  label: string,
  contestant: Contestant,
  sizes: ReadonlyArray<number>,
  samples: number,
  minMs: number
): Promise<ItemsSeries> => {
  const points: Array<ItemsPoint> = []
  const c = guarded(contestant)
  let current = 0
  try {
    for (const n of sizes) {
      current = n
      const big = n >= 100_000
      const huge = n >= 1_000_000
      const stats = await measure(() => c.run(n), {
        min_samples: huge ? 2 : samples,
        max_samples: huge ? 2 : big ? samples : 10_000,
        min_cpu_time: big ? 0 : minMs * 1e6,
        warmup_samples: huge ? 0 : 2,
        warmup_threshold: Number.POSITIVE_INFINITY,
        batch_threshold: -1,
        inner_gc: big,
        gc: big ? collect : false
      })
      const m = median(stats.samples)
      points.push({ n, nsPerOp: m / n, spreadPct: ((stats.p75 - stats.p25) / m) * 100 })
    }
    return { label, points }
  } catch (error) {
    return { label, points, error: error instanceof Error ? error.message : String(error), failedAt: current }
  }
}

/** Picks the default-scheduler variant of a named contestant of a row. */
export const pick = (rows: ReadonlyArray<Row>, rowId: string, name: string): Contestant | undefined =>
  rows
    .find((r) => r.id === rowId)
    ?.contestants.find((c) => c.name === name && (c.scheduler === undefined || c.scheduler === "default"))

// -----------------------------------------------------------------------------
// Waiters
// -----------------------------------------------------------------------------

/** A primitive that fibers can park on, one at a time, and be woken from in FIFO order. */
interface Parkable {
  readonly label: string
  readonly skip?: string | undefined
  /** Largest W worth running (primitives whose parking is O(W)). */
  readonly maxWaiters?: { readonly w: number; readonly why: string } | undefined
  /** Builds the primitive; `park` blocks a fiber, `wakeOne` wakes the head waiter. */
  readonly make: () => {
    readonly park: Effect.Effect<unknown, unknown>
    readonly wakeOne: Effect.Effect<unknown, unknown>
  }
}

export interface WaitersPoint {
  readonly waiters: number
  /** Set when this size was not run because the previous one was too slow. */
  readonly skipped?: string | undefined
  readonly parkNs: number
  readonly wakeNs: number
  readonly interruptNs: number
}

export interface WaitersSeries {
  readonly label: string
  readonly points: ReadonlyArray<WaitersPoint>
  readonly skip?: string | undefined
  readonly error?: string | undefined
}

const parkables = (): Array<Parkable> => {
  return [
    {
      label: "effect-go Chan.recv (unbuffered)",
      make: () => {
        const ch = Chan.makeUnsafe<number>(0)
        return { park: Chan.recv(ch), wakeOne: Chan.send(ch, 1) }
      }
    },
    {
      label: "effect-go Mutex.lock",
      make: () => {
        const mu = Mutex.makeUnsafe()
        Effect.runSync(Mutex.lock(mu))
        // Each woken waiter ends holding the lock. In Go's normal mode an
        // unlock frees the lock and the head takes it on its turn, when the
        // unlocker stops running: wait for that before the next unlock.
        const untilTaken: Effect.Effect<void> = Effect.flatMap(Mutex.isLocked(mu), (locked) =>
          locked ? Effect.void : Effect.andThen(Effect.yieldNow, untilTaken)
        )
        return { park: Mutex.lock(mu), wakeOne: Effect.andThen(Mutex.unlock(mu), untilTaken) }
      }
    },
    {
      label: "effect-go Semaphore.acquire",
      make: () => {
        const s = Semaphore.makeUnsafe(1)
        Effect.runSync(Semaphore.acquire(s, 1))
        return { park: Semaphore.acquire(s, 1), wakeOne: Semaphore.release(s, 1) }
      }
    },
    {
      label: "Effect Queue.take (Queue.bounded(0))",
      make: () => {
        const q = Effect.runSync(Queue.bounded<number>(0))
        return { park: Queue.take(q), wakeOne: Queue.offer(q, 1) }
      }
    },
    {
      label: "Effect Semaphore(1).take(1)",
      // Its take walks every queued waiter while none fits, so parking W fibers is O(W²).
      maxWaiters: { w: 10_000, why: "not run: Effect's Semaphore parks in O(W), 100k waiters take minutes" },
      make: () => {
        const s = EffectSemaphore.makeUnsafe(1)
        Effect.runSync(s.take(1))
        return { park: s.take(1), wakeOne: s.release(1) }
      }
    }
  ]
}

const now = (): number => performance.now() * 1e6

/**
 * One round at `w` waiters: park `w + k` fibers (timed), interrupt `k` of
 * them around the middle of the list, one at a time (timed), then wake the
 * `w` others in FIFO order and wait until they are done (timed).
 */
const round = (p: Parkable, w: number, k: number) =>
  Effect.suspend(() => {
    const { park, wakeOne } = p.make()
    const fibers: Array<Fiber.Fiber<unknown, unknown>> = []
    let parkNs = 0
    const interruptNs: Array<number> = []
    let wakeNs = 0
    let interrupted = 0
    return Effect.sync(() => (parkNs = now())).pipe(
      Effect.andThen(
        Effect.whileLoop({
          while: () => fibers.length < w + k,
          body: () => Effect.forkChild(park, { startImmediately: true }),
          step: (f) => fibers.push(f)
        })
      ),
      Effect.andThen(
        Effect.sync(() => {
          parkNs = now() - parkNs
          // The interrupts are timed one by one: at large W, collect first,
          // so that the garbage of parking W fibers is not billed to them.
          if (w >= 10_000) collect()
        })
      ),
      Effect.andThen(
        Effect.suspend(() => {
          const from = Math.max(0, ((w + k) >> 1) - (k >> 1))
          let i = from
          return Effect.whileLoop({
            while: () => i < from + k,
            body: () =>
              Effect.suspend(() => {
                const t0 = now()
                return Effect.map(Fiber.interrupt(fibers[i++]!), () => {
                  interruptNs.push(now() - t0)
                  interrupted++
                })
              }),
            step: () => {}
          })
        })
      ),
      Effect.andThen(
        Effect.suspend(() => {
          const remaining = w + k - interrupted
          let j = 0
          const t0 = now()
          return Effect.whileLoop({ while: () => j++ < remaining, body: () => wakeOne, step: () => {} }).pipe(
            Effect.andThen(Fiber.awaitAll(fibers)),
            Effect.map(() => {
              wakeNs = now() - t0
              return { parkNs, wakeNs, interruptNs, woken: remaining, interrupted }
            })
          )
        })
      )
    )
  })

export const waitersSeries = async (
  sizes: ReadonlyArray<number>,
  opsPerPoint: number,
  budgetSeconds: number
): Promise<Array<WaitersSeries>> => {
  const out: Array<WaitersSeries> = []
  for (const p of parkables()) {
    if (p.skip !== undefined) {
      out.push({ label: p.label, points: [], skip: p.skip })
      continue
    }
    const points: Array<WaitersPoint> = []
    try {
      // Warm-up: compile the paths before the first timed round.
      await guard(Effect.runPromise(round(p, 1000, 10)), `${p.label} warm-up`)
      let tooSlow: string | undefined
      for (const w of sizes) {
        if (tooSlow === undefined && p.maxWaiters !== undefined && w > p.maxWaiters.w) tooSlow = p.maxWaiters.why
        if (tooSlow !== undefined) {
          points.push({ waiters: w, parkNs: Number.NaN, wakeNs: Number.NaN, interruptNs: Number.NaN, skipped: tooSlow })
          continue
        }
        const started = performance.now()
        const rounds = Math.max(w >= 100_000 ? 1 : 3, Math.ceil(opsPerPoint / w))
        const k = Math.min(w, 100)
        let park = 0
        let wake = 0
        const interrupts: Array<number> = []
        let woken = 0
        collect()
        for (let r = 0; r < rounds; r++) {
          const res = await guard(Effect.runPromise(round(p, w, k)), `${p.label} at W=${w}`)
          park += res.parkNs
          wake += res.wakeNs
          interrupts.push(...res.interruptNs)
          woken += res.woken
        }
        points.push({
          waiters: w,
          parkNs: park / (rounds * (w + k)),
          wakeNs: woken > 0 ? wake / woken : Number.NaN,
          // Median: single interrupts are short, and a GC pause would dominate a mean.
          interruptNs: median(interrupts)
        })
        const seconds = (performance.now() - started) / 1000
        if (seconds > budgetSeconds) tooSlow = `skipped: the previous size took ${seconds.toFixed(1)} s`
      }
      out.push({ label: p.label, points })
    } catch (error) {
      out.push({ label: p.label, points, error: error instanceof Error ? error.message : String(error) })
    }
  }
  return out
}
