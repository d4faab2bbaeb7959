/**
 * The throughput rows: the workloads of shared/reference/go/main.go, each
 * written once per contestant in that contestant's ordinary style.
 *
 * Conventions shared by every Effect-based contestant (effect-go and Effect's
 * own modules alike), so that rows compare primitives and not loop styles:
 * loops are `times` (Effect's `whileLoop`), a loop body that does not depend
 * on the index is built once and re-run, and concurrent workers are forked
 * with `Effect.forkChild` and joined with `Fiber.joinAll`.
 */
import { Mutex as AsyncMutex, Semaphore as AsyncSemaphore } from "async-mutex"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as EffectSemaphore from "effect/Semaphore"
import * as Fiber from "effect/Fiber"
import * as FiberSet from "effect/FiberSet"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import pLimit from "p-limit"
import PQueue from "p-queue"
import { Select as TsSelect, Chan as TsChan, recv as tsRecv } from "ts-chan"
import * as Chan from "../src/Chan.ts"
import * as Mutex from "../src/Mutex.ts"
import * as Select from "../src/Select.ts"
import { PromiseChan, PromiseLock, promisePool, Ring, xorshift } from "./floor.ts"
import { type Contestant, effectContestant, type Row, type RunConfig, times } from "./harness.ts"
import * as ErrGroup from "../src/ErrGroup.ts"
import * as Semaphore from "../src/Semaphore.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as WorkerPool from "../src/WorkerPool.ts"

/** n round trips over two unbuffered channels with an echo fiber (also the soak's channel workload). */
export const chanPingPong = (n: number) =>
  Effect.suspend(() => {
    const ping = Chan.makeUnsafe<number>(0)
    const pong = Chan.makeUnsafe<number>(0)
    const echo = Effect.andThen(
      Chan.forEach(ping, (v) => Chan.send(pong, v)),
      Chan.close(pong)
    )
    const recvPong = Chan.recv(pong)
    return Effect.flatMap(Effect.forkChild(echo), (echoFiber) =>
      Effect.andThen(
        times(n, (i) => Effect.andThen(Chan.send(ping, i), recvPong)),
        Effect.andThen(Chan.close(ping), Fiber.join(echoFiber))
      )
    )
  })

// -----------------------------------------------------------------------------
// Go reference figures (shared/reference/go-figures.md), ns per operation
// -----------------------------------------------------------------------------

export const GO = {
  pingpong: { p2: 291, p1: 298 },
  spsc1: { p2: 124, p1: 118 },
  spsc64: { p2: 48, p1: 39 },
  spsc1024: { p2: 51, p1: 35 },
  mpmc: { p2: 51, p1: 39 },
  select: { p2: 158, p1: 142 },
  mutex: { p2: 40, p1: 6.4 },
  waitgroup: { p2: 186, p1: 1016 },
  bounded: { p2: 478, p1: 1710 },
  memory: { p2: 2666, p1: 2135 }
} as const

// -----------------------------------------------------------------------------
// Helpers
// -----------------------------------------------------------------------------

/** Splits `n` operations over `k` workers (the first takes the remainder). */
const share = (n: number, k: number, w: number): number => Math.floor(n / k) + (w === 0 ? n % k : 0)

/** Forks `k` workers as children and joins them all. */
const forkJoin = <E>(k: number, worker: (w: number) => Effect.Effect<unknown, E>): Effect.Effect<void, E> =>
  Effect.suspend(() => {
    const fibers: Array<Effect.Effect<Fiber.Fiber<unknown, E>>> = []
    for (let w = 0; w < k; w++) fibers.push(Effect.forkChild(worker(w)))
    return Effect.flatMap(Effect.all(fibers), (fs) => Effect.asVoid(Fiber.joinAll(fs)))
  })

/** Receives until the channel is closed and drained: Go's `for range ch {}`. */
const drain = <A>(ch: Chan.RecvChan<A>): Effect.Effect<void> => {
  const recv = Chan.recv(ch)
  const loop: Effect.Effect<void> = Effect.flatMap(recv, (o) => (Option.isSome(o) ? loop : Effect.void))
  return loop
}

const range = (n: number): Array<number> => Array.from({ length: n }, (_, i) => i)

const tsChan = <A>(capacity: number, unsafe: boolean): TsChan<A> => new TsChan<A>(capacity).setUnsafe(unsafe)

const TS_CHAN = [
  { label: "ts-chan", unsafe: false },
  { label: "ts-chan (unsafe: no macrotask yield)", unsafe: true }
] as const

/** ts-chan receive loop until closed. */
const tsDrain = async <A>(ch: TsChan<A>): Promise<void> => {
  while (!(await ch.recv()).done) {
    // range over the channel
  }
}

// -----------------------------------------------------------------------------
// Rows
// -----------------------------------------------------------------------------

const pingPong = (config: RunConfig): Row => ({
  id: "pingpong",
  title: "Unbuffered ping-pong",
  unit: "round trip",
  go: GO.pingpong,
  handoff: true,
  contestants: [
    ...effectContestant(config, {
      name: "effect-go Chan(0)",
      kind: "effect-go",
      effect: chanPingPong
    }),
    ...effectContestant(config, {
      name: "Effect Queue.bounded(0)",
      kind: "effect",
      effect: (n) =>
        Effect.flatMap(Effect.all([Queue.bounded<number>(0), Queue.bounded<number>(0)]), ([ping, pong]) => {
          const echo = Effect.forever(Effect.flatMap(Queue.take(ping), (v) => Queue.offer(pong, v)))
          const takePong = Queue.take(pong)
          return Effect.flatMap(Effect.forkChild(echo), (echoFiber) =>
            Effect.andThen(
              times(n, (i) => Effect.andThen(Queue.offer(ping, i), takePong)),
              Fiber.interrupt(echoFiber)
            )
          )
        })
    }),
    ...effectContestant(config, {
      name: "Effect Deferred per message",
      kind: "ref",
      note: "not a channel: a fresh Deferred carries each message and its reply; Effect's lightest hand-off",
      effect: (n) =>
        Effect.suspend(() => {
          type Msg = readonly [number, Deferred.Deferred<number>]
          let inbox = Deferred.makeUnsafe<Msg>()
          const echo = Effect.forever(
            Effect.flatMap(
              Effect.suspend(() => Deferred.await(inbox)),
              ([v, reply]) => {
                inbox = Deferred.makeUnsafe<Msg>()
                return Deferred.succeed(reply, v)
              }
            )
          )
          return Effect.flatMap(Effect.forkChild(echo), (echoFiber) =>
            Effect.andThen(
              times(n, (i) =>
                Effect.suspend(() => {
                  const reply = Deferred.makeUnsafe<number>()
                  return Effect.andThen(Deferred.succeed(inbox, [i, reply]), Deferred.await(reply))
                })
              ),
              Fiber.interrupt(echoFiber)
            )
          )
        })
    }),
    ...TS_CHAN.map(
      ({ label, unsafe }): Contestant => ({
        name: label,
        kind: "peer",
        maxN: unsafe ? undefined : 200_000,
        run: async (n) => {
          const ping = tsChan<number>(0, unsafe)
          const pong = tsChan<number>(0, unsafe)
          const echo = (async () => {
            for (;;) {
              const r = await ping.recv()
              if (r.done) break
              await pong.send(r.value)
            }
          })()
          for (let i = 0; i < n; i++) {
            await ping.send(i)
            await pong.recv()
          }
          ping.close()
          await echo
        }
      })
    ),
    {
      name: "floor: bare Promise hand-off",
      kind: "floor",
      run: async (n) => {
        const ping = new PromiseChan<number>(0)
        const pong = new PromiseChan<number>(0)
        const echo = (async () => {
          for (let i = 0; i < n; i++) {
            let v = ping.recv()
            if (v instanceof Promise) v = await v
            const p = pong.send(v)
            if (p !== undefined) await p
          }
        })()
        for (let i = 0; i < n; i++) {
          const p = ping.send(i)
          if (p !== undefined) await p
          const v = pong.recv()
          if (v instanceof Promise) await v
        }
        await echo
      }
    }
  ]
})

const spsc = (config: RunConfig, capacity: 1 | 64 | 1024): Row => ({
  id: `spsc-cap${capacity}`,
  title: `Buffered SPSC, cap ${capacity}`,
  unit: "item",
  go: capacity === 1 ? GO.spsc1 : capacity === 64 ? GO.spsc64 : GO.spsc1024,
  handoff: capacity === 1,
  contestants: [
    ...effectContestant(config, {
      name: `effect-go Chan(${capacity})`,
      kind: "effect-go",
      effect: (n) =>
        Effect.suspend(() => {
          const ch = Chan.makeUnsafe<number>(capacity)
          const producer = Effect.andThen(
            times(n, (i) => Chan.send(ch, i)),
            Chan.close(ch)
          )
          return Effect.flatMap(Effect.forkChild(producer), (p) => Effect.andThen(drain(ch), Fiber.join(p)))
        })
    }),
    ...effectContestant(config, {
      name: `Effect Queue.bounded(${capacity})`,
      kind: "effect",
      effect: (n) =>
        Effect.flatMap(Queue.bounded<number>(capacity), (q) => {
          const take = Queue.take(q)
          return Effect.flatMap(Effect.forkChild(times(n, (i) => Queue.offer(q, i))), (p) =>
            Effect.andThen(
              times(n, () => take),
              Fiber.join(p)
            )
          )
        })
    }),
    ...TS_CHAN.map(
      ({ label, unsafe }): Contestant => ({
        name: label,
        kind: "peer",
        maxN: unsafe ? undefined : 200_000,
        run: async (n) => {
          const ch = tsChan<number>(capacity, unsafe)
          const producer = (async () => {
            for (let i = 0; i < n; i++) await ch.send(i)
            ch.close()
          })()
          await tsDrain(ch)
          await producer
        }
      })
    ),
    {
      name: "floor: bare Promise channel",
      kind: "floor",
      run: async (n) => {
        const ch = new PromiseChan<number>(capacity)
        const producer = (async () => {
          for (let i = 0; i < n; i++) {
            const p = ch.send(i)
            if (p !== undefined) await p
          }
        })()
        for (let i = 0; i < n; i++) {
          const v = ch.recv()
          if (v instanceof Promise) await v
        }
        await producer
      }
    },
    {
      name: "floor: synchronous ring buffer",
      kind: "floor",
      run: async (n) => {
        const ring = new Ring<number>(capacity)
        let sum = 0
        for (let i = 0; i < n; ) {
          while (ring.length < capacity && i < n) ring.push(i++)
          while (ring.length > 0) sum += ring.shift()
        }
        if (sum < 0) throw new Error("unreachable")
      }
    }
  ]
})

const mpmc = (config: RunConfig): Row => ({
  id: "mpmc-4x4",
  title: "MPMC 4 producers × 4 consumers, cap 64",
  unit: "item",
  go: GO.mpmc,
  contestants: [
    ...effectContestant(config, {
      name: "effect-go Chan(64)",
      kind: "effect-go",
      effect: (n) =>
        Effect.suspend(() => {
          const ch = Chan.makeUnsafe<number>(64)
          return Effect.flatMap(Effect.all(range(4).map(() => Effect.forkChild(drain(ch)))), (consumers) =>
            Effect.andThen(
              forkJoin(4, (w) => times(share(n, 4, w), (i) => Chan.send(ch, i))),
              Effect.andThen(Chan.close(ch), Fiber.joinAll(consumers))
            )
          )
        })
    }),
    ...effectContestant(config, {
      name: "Effect Queue.bounded(64)",
      kind: "effect",
      effect: (n) =>
        Effect.flatMap(Queue.bounded<number>(64), (q) => {
          const take = Queue.take(q)
          return Effect.flatMap(
            Effect.all(range(4).map((w) => Effect.forkChild(times(share(n, 4, w), () => take)))),
            (consumers) =>
              Effect.andThen(
                forkJoin(4, (w) => times(share(n, 4, w), (i) => Queue.offer(q, i))),
                Fiber.joinAll(consumers)
              )
          )
        })
    }),
    ...TS_CHAN.map(
      ({ label, unsafe }): Contestant => ({
        name: label,
        kind: "peer",
        maxN: unsafe ? undefined : 200_000,
        run: async (n) => {
          const ch = tsChan<number>(64, unsafe)
          const consumers = range(4).map(() => tsDrain(ch))
          await Promise.all(
            range(4).map(async (w) => {
              const k = share(n, 4, w)
              for (let i = 0; i < k; i++) await ch.send(i)
            })
          )
          ch.close()
          await Promise.all(consumers)
        }
      })
    ),
    {
      name: "floor: bare Promise channel",
      kind: "floor",
      run: async (n) => {
        const ch = new PromiseChan<number>(64)
        const consumers = range(4).map(async (w) => {
          const k = share(n, 4, w)
          for (let i = 0; i < k; i++) {
            const v = ch.recv()
            if (v instanceof Promise) await v
          }
        })
        await Promise.all(
          range(4).map(async (w) => {
            const k = share(n, 4, w)
            for (let i = 0; i < k; i++) {
              const p = ch.send(i)
              if (p !== undefined) await p
            }
          })
        )
        await Promise.all(consumers)
      }
    }
  ]
})

const selectRow = (config: RunConfig): Row => ({
  id: "select-4",
  title: "Select over 4 receive cases (cap 16 each)",
  unit: "item",
  go: GO.select,
  contestants: [
    ...effectContestant(config, {
      name: "effect-go Select",
      kind: "effect-go",
      effect: (n) =>
        Effect.suspend(() => {
          const chs = range(4).map(() => Chan.makeUnsafe<number>(16))
          const rnd = xorshift(1)
          const producer = times(n, (i) => Chan.send(chs[(rnd() * 4) | 0]!, i))
          const sel = Select.select(
            Select.recv(chs[0]!),
            Select.recv(chs[1]!),
            Select.recv(chs[2]!),
            Select.recv(chs[3]!)
          )
          return Effect.flatMap(Effect.forkChild(producer), (p) =>
            Effect.andThen(
              times(n, () => sel),
              Fiber.join(p)
            )
          )
        })
    }),
    ...effectContestant(config, {
      name: "effect-go plain recv (1 chan, cap 16)",
      kind: "ref",
      note: "the same producer on one channel: the baseline of the 'select ≥ ½ plain recv' target",
      effect: (n) =>
        Effect.suspend(() => {
          const ch = Chan.makeUnsafe<number>(16)
          const rnd = xorshift(1)
          const producer = times(n, (i) => Chan.send(ch, i + ((rnd() * 4) | 0)))
          const recv = Chan.recv(ch)
          return Effect.flatMap(Effect.forkChild(producer), (p) =>
            Effect.andThen(
              times(n, () => recv),
              Fiber.join(p)
            )
          )
        })
    }),
    {
      name: "Effect (no select primitive)",
      kind: "effect",
      skip: "n/a: Effect 4 has no select over queues (racing Queue.take loses values)",
      run: async () => {}
    },
    ...TS_CHAN.map(
      ({ label, unsafe }): Contestant => ({
        name: `${label} Select`,
        kind: "peer",
        maxN: unsafe ? undefined : 200_000,
        run: async (n) => {
          const chs = range(4).map(() => tsChan<number>(16, unsafe))
          const rnd = xorshift(1)
          const producer = (async () => {
            for (let i = 0; i < n; i++) await chs[(rnd() * 4) | 0]!.send(i)
          })()
          const sel = new TsSelect([tsRecv(chs[0]!), tsRecv(chs[1]!), tsRecv(chs[2]!), tsRecv(chs[3]!)]).setUnsafe(
            unsafe
          )
          for (let i = 0; i < n; i++) {
            const index = await sel.wait()
            sel.recv(sel.cases[index]!)
          }
          await producer
        }
      })
    ),
    {
      name: "floor: 4 bare Promise channels, first ready",
      kind: "floor",
      note: "a producer-side wake-up of one parked consumer; no registration on several channels",
      run: async (n) => {
        const rings = range(4).map(() => new Ring<number>(16))
        const rnd = xorshift(1)
        let wakeConsumer: (() => void) | undefined
        let wakeProducer: (() => void) | undefined
        const producer = (async () => {
          for (let i = 0; i < n; i++) {
            const ring = rings[(rnd() * 4) | 0]!
            while (ring.length === ring.capacity) await new Promise<void>((r) => (wakeProducer = r))
            ring.push(i)
            const w = wakeConsumer
            wakeConsumer = undefined
            w?.()
          }
        })()
        let start = 0
        for (let i = 0; i < n; i++) {
          for (;;) {
            let got = false
            for (let k = 0; k < 4; k++) {
              const ring = rings[(start + k) & 3]!
              if (ring.length > 0) {
                ring.shift()
                got = true
                break
              }
            }
            start = (start + 1) & 3
            if (got) break
            await new Promise<void>((r) => (wakeConsumer = r))
          }
          const w = wakeProducer
          wakeProducer = undefined
          w?.()
        }
        await producer
      }
    }
  ]
})

const mutexRow = (config: RunConfig): Row => {
  const K = 64
  // Every contestant locks the same number of times: Effect's Semaphore
  // slows down as a contended run goes on (take/release: ~0.8 µs per lock
  // over 20k locks, ~2.5 µs over 100k or more), so letting each contestant
  // pick its own run length compared them at different points of that curve.
  const MUTEX_LOCKS = 100_000
  return {
    id: "mutex-64",
    title: "Mutex, 64 contending fibers",
    unit: "lock",
    go: GO.mutex,
    handoff: true,
    contestants: [
      ...effectContestant(config, {
        name: "effect-go Mutex lock/unlock",
        fixedN: MUTEX_LOCKS,
        kind: "effect-go",
        effect: (n) =>
          Effect.suspend(() => {
            const mu = Mutex.makeUnsafe()
            let counter = 0
            const step = Effect.andThen(
              Mutex.lock(mu),
              Effect.andThen(
                Effect.sync(() => counter++),
                Mutex.unlock(mu)
              )
            )
            return forkJoin(K, (w) => times(share(n, K, w), () => step))
          })
      }),
      ...effectContestant(config, {
        name: "effect-go Mutex.withLock",
        fixedN: MUTEX_LOCKS,
        kind: "effect-go",
        effect: (n) =>
          Effect.suspend(() => {
            const mu = Mutex.makeUnsafe()
            let counter = 0
            const step = Mutex.withLock(mu)(Effect.sync(() => counter++))
            return forkJoin(K, (w) => times(share(n, K, w), () => step))
          })
      }),
      ...effectContestant(config, {
        name: "effect-go Semaphore(1) acquire/release",
        kind: "ref",
        fixedN: MUTEX_LOCKS,
        effect: (n) =>
          Effect.flatMap(Semaphore.make(1), (s) => {
            let counter = 0
            const step = Effect.andThen(
              Semaphore.acquire(s, 1),
              Effect.andThen(
                Effect.sync(() => counter++),
                Semaphore.release(s, 1)
              )
            )
            return forkJoin(K, (w) => times(share(n, K, w), () => step))
          })
      }),
      ...effectContestant(config, {
        name: "Effect Semaphore(1) take/release",
        fixedN: MUTEX_LOCKS,
        kind: "effect",
        effect: (n) =>
          Effect.flatMap(EffectSemaphore.make(1), (s) => {
            let counter = 0
            const step = Effect.andThen(
              s.take(1),
              Effect.andThen(
                Effect.sync(() => counter++),
                s.release(1)
              )
            )
            return forkJoin(K, (w) => times(share(n, K, w), () => step))
          })
      }),
      ...effectContestant(config, {
        name: "Effect Semaphore(1).withPermits(1)",
        fixedN: MUTEX_LOCKS,
        kind: "effect",
        effect: (n) =>
          Effect.flatMap(EffectSemaphore.make(1), (s) => {
            let counter = 0
            const step = s.withPermits(1)(Effect.sync(() => counter++))
            return forkJoin(K, (w) => times(share(n, K, w), () => step))
          })
      }),
      {
        name: "async-mutex Mutex acquire/release",
        fixedN: MUTEX_LOCKS,
        kind: "peer",
        run: async (n) => {
          const mu = new AsyncMutex()
          let counter = 0
          await Promise.all(
            range(K).map(async (w) => {
              const k = share(n, K, w)
              for (let i = 0; i < k; i++) {
                const release = await mu.acquire()
                counter++
                release()
              }
            })
          )
          if (counter !== n) throw new Error(`counter ${counter} != ${n}`)
        }
      },
      {
        name: "floor: bare Promise FIFO lock",
        fixedN: MUTEX_LOCKS,
        kind: "floor",
        run: async (n) => {
          const mu = new PromiseLock()
          let counter = 0
          await Promise.all(
            range(K).map(async (w) => {
              const k = share(n, K, w)
              for (let i = 0; i < k; i++) {
                const p = mu.lock()
                if (p !== undefined) await p
                counter++
                mu.unlock()
              }
            })
          )
          if (counter !== n) throw new Error(`counter ${counter} != ${n}`)
        }
      }
    ]
  }
}

const SPAWN_FULL = 100_000

/**
 * The WaitGroup row's task. Not `Effect.void`: `Effect.forEach` runs an item
 * that is already an `Exit` without forking, which would compare a fork with
 * no fork at all. A trivial synchronous task needs its own fiber everywhere.
 */
const trivialTask: Effect.Effect<void> = Effect.sync(() => {})

const waitGroupRow = (config: RunConfig): Row => {
  // A quick (smoke) run spawns fewer tasks; the per-task cost is the same.
  const SPAWN = config.quick ? 20_000 : SPAWN_FULL
  return {
    id: "waitgroup-100k",
    title: "WaitGroup: spawn + join 100k tasks",
    unit: "task",
    go: GO.waitgroup,
    contestants: [
      ...effectContestant(config, {
        name: "effect-go WaitGroup.go + wait",
        kind: "effect-go",
        fixedN: SPAWN,
        effect: (n) =>
          Effect.scoped(
            Effect.flatMap(WaitGroup.make(), (group) =>
              Effect.andThen(
                times(n, () => WaitGroup.go(group, trivialTask)),
                WaitGroup.wait(group)
              )
            )
          )
      }),
      ...effectContestant(config, {
        name: "effect-go ErrGroup.go + wait",
        kind: "ref",
        fixedN: SPAWN,
        effect: (n) =>
          Effect.scoped(
            Effect.flatMap(ErrGroup.make(), (group) =>
              Effect.andThen(
                times(n, () => ErrGroup.go(group, trivialTask)),
                ErrGroup.wait(group)
              )
            )
          )
      }),
      ...effectContestant(config, {
        name: "Effect FiberSet.run + awaitEmpty",
        kind: "effect",
        fixedN: SPAWN,
        effect: (n) =>
          Effect.scoped(
            Effect.flatMap(FiberSet.make(), (set) =>
              Effect.andThen(
                times(n, () => FiberSet.run(set, trivialTask)),
                FiberSet.awaitEmpty(set)
              )
            )
          )
      }),
      ...effectContestant(config, {
        name: "Effect.forEach({ concurrency: 'unbounded' })",
        kind: "effect",
        fixedN: SPAWN,
        effect: (n) => Effect.forEach(range(n), () => trivialTask, { concurrency: "unbounded", discard: true })
      }),
      ...effectContestant(config, {
        name: "Effect.forkChild × n + Fiber.joinAll",
        kind: "ref",
        fixedN: SPAWN,
        effect: (n) => forkJoin(n, () => trivialTask)
      }),
      {
        name: "floor: Promise.all of async functions",
        kind: "floor",
        fixedN: SPAWN,
        run: async (n) => {
          const task = async (): Promise<void> => {}
          const all: Array<Promise<void>> = new Array(n)
          for (let i = 0; i < n; i++) all[i] = task()
          await Promise.all(all)
        }
      }
    ]
  }
}

const TASKS_FULL = 10_000
const LIMIT = 100

const boundedRow = (config: RunConfig): Row => {
  // A quick (smoke) run has fewer tasks (Effect's Semaphore alone would take 15 s at 10k).
  const TASKS = config.quick ? 2_000 : TASKS_FULL
  /** A WorkerPool of 100 workers with a job queue of `queue`, fed all tasks, then shut down. */
  const pool = (name: string, queue: number, note: string): Array<Contestant> => {
    return effectContestant(config, {
      name,
      kind: "effect-go",
      fixedN: TASKS,
      note,
      effect: (n) =>
        Effect.scoped(
          Effect.flatMap(WorkerPool.make({ workers: LIMIT, queue, process: () => Effect.yieldNow }), (p) =>
            Effect.andThen(
              times(n, (i) => WorkerPool.submit(p, i)),
              WorkerPool.shutdown(p)
            )
          )
        )
    })
  }
  const jsTask = async (): Promise<void> => {
    await undefined
  }
  return {
    id: "bounded-10k-limit100",
    title: "10k tasks, at most 100 at once (each yields once)",
    unit: "task",
    go: GO.bounded,
    contestants: [
      ...effectContestant(config, {
        name: "effect-go Chan(100) as semaphore (Go's program)",
        kind: "effect-go",
        fixedN: TASKS,
        effect: (n) =>
          Effect.suspend(() => {
            const slots = Chan.makeUnsafe<void>(LIMIT)
            const task = Effect.andThen(Chan.send(slots, undefined), Effect.andThen(Effect.yieldNow, Chan.recv(slots)))
            return forkJoin(n, () => task)
          })
      }),
      ...effectContestant(config, {
        name: "effect-go Semaphore(100).withPermits",
        kind: "effect-go",
        fixedN: TASKS,
        effect: (n) =>
          Effect.flatMap(Semaphore.make(LIMIT), (s) => {
            const task = Semaphore.withPermits(s, 1)(Effect.yieldNow)
            return forkJoin(n, () => task)
          })
      }),
      ...effectContestant(config, {
        name: "effect-go ErrGroup({ limit: 100 })",
        kind: "effect-go",
        fixedN: TASKS,
        effect: (n) =>
          Effect.scoped(
            Effect.flatMap(ErrGroup.make({ limit: LIMIT }), (group) =>
              Effect.andThen(
                times(n, () => ErrGroup.go(group, Effect.yieldNow)),
                ErrGroup.wait(group)
              )
            )
          )
      }),
      ...pool(
        "effect-go WorkerPool(100 workers)",
        0,
        "submit each job (queue: 0, Go's unbuffered jobs channel), then shutdown (close + wait)"
      ),
      ...pool(
        "effect-go WorkerPool(100 workers, queue 100)",
        LIMIT,
        "as above with a buffered job queue: submit parks only when 100 jobs wait"
      ),
      ...effectContestant(config, {
        name: "Effect floor: 100 fibers yield 100 times each (no pool, no fork per task)",
        kind: "ref",
        fixedN: TASKS,
        note: "what the tasks' own Effect.yieldNow costs: no Effect-based runner can go below it",
        effect: (n) =>
          Effect.forEach(range(LIMIT), (w) => times(share(n, LIMIT, w), () => Effect.yieldNow), {
            concurrency: "unbounded",
            discard: true
          })
      }),
      ...effectContestant(config, {
        name: "Effect.forEach({ concurrency: 100 })",
        kind: "effect",
        fixedN: TASKS,
        effect: (n) => Effect.forEach(range(n), () => Effect.yieldNow, { concurrency: LIMIT, discard: true })
      }),
      ...effectContestant(config, {
        name: "Effect Semaphore(100).withPermits(1)",
        kind: "effect",
        fixedN: TASKS,
        effect: (n) =>
          Effect.flatMap(EffectSemaphore.make(LIMIT), (s) => {
            const task = s.withPermits(1)(Effect.yieldNow)
            return forkJoin(n, () => task)
          })
      }),
      {
        name: "p-limit(100)",
        kind: "peer",
        fixedN: TASKS,
        run: async (n) => {
          const limit = pLimit(LIMIT)
          const all: Array<Promise<void>> = new Array(n)
          for (let i = 0; i < n; i++) all[i] = limit(jsTask)
          await Promise.all(all)
        }
      },
      {
        name: "p-queue({ concurrency: 100 })",
        kind: "peer",
        fixedN: TASKS,
        run: async (n) => {
          const queue = new PQueue({ concurrency: LIMIT })
          for (let i = 0; i < n; i++) void queue.add(jsTask)
          await queue.onIdle()
        }
      },
      {
        name: "async-mutex Semaphore(100).runExclusive",
        kind: "peer",
        fixedN: TASKS,
        run: async (n) => {
          const s = new AsyncSemaphore(LIMIT)
          const all: Array<Promise<void>> = new Array(n)
          for (let i = 0; i < n; i++) all[i] = s.runExclusive(jsTask)
          await Promise.all(all)
        }
      },
      {
        name: "floor: 100 Promise workers",
        kind: "floor",
        fixedN: TASKS,
        run: (n) => promisePool(n, LIMIT, jsTask)
      }
    ]
  }
}

/** Every throughput row, in the order of the Go reference program. */
export const makeRows = (config: RunConfig): Array<Row> => [
  pingPong(config),
  spsc(config, 1),
  spsc(config, 64),
  spsc(config, 1024),
  mpmc(config),
  selectRow(config),
  mutexRow(config),
  waitGroupRow(config),
  boundedRow(config)
]
