/**
 * The throughput rows: the workloads of bench/go/main.go, each written once
 * per contestant in that contestant's ordinary style.
 *
 * The workloads come first, grouped by row; {@link makeRows} then lists the
 * rows, each with its table of contestants: kind, label, workload. The
 * kinds: "effect-go" (this library; a row's first one is Go's program,
 * ported), "effect" (Effect's own modules), "peer" (JavaScript libraries),
 * "floor" (the least a JavaScript program can do, see floor.ts) and "ref"
 * (a reference point that no ratio or target uses). Go's own figures are the
 * row's `go`. An Effect-based contestant runs once per scheduler. The labels
 * key RESULTS.md, the README's figures, the targets (report.ts) and the
 * growth series (run.ts).
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
import * as Fiber from "effect/Fiber"
import * as FiberSet from "effect/FiberSet"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as EffectSemaphore from "effect/Semaphore"
import type * as Scope from "effect/Scope"
import pLimit from "p-limit"
import PQueue from "p-queue"
import { recv as tsRecv, Chan as TsChan, Select as TsSelect } from "ts-chan"
import * as Chan from "../src/Chan.ts"
import * as ErrGroup from "../src/ErrGroup.ts"
import * as Mutex from "../src/Mutex.ts"
import * as Select from "../src/Select.ts"
import * as Semaphore from "../src/Semaphore.ts"
import * as Telemetry from "../src/Telemetry.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as WorkerPool from "../src/WorkerPool.ts"
import { PromiseChan, PromiseLock, promisePool, Ring, xorshift } from "./floor.ts"
import {
  type Contestant,
  type EffectSpec,
  effectContestant,
  type GoFigure,
  type Row,
  type RunConfig,
  times
} from "./harness.ts"
import { type GoFigures, RECORDED } from "./goref.ts"

// -----------------------------------------------------------------------------
// Contestant tables
// -----------------------------------------------------------------------------

type EffectWorkload = (n: number) => Effect.Effect<unknown, unknown>
type PromiseWorkload = (n: number) => Promise<void>

/** What a contestant may add to its kind, label and workload. */
interface Options {
  readonly note?: string
  /** Largest `n` worth running (very slow contestants). */
  readonly maxN?: number
}

/** One line of a row's table: an Effect-based contestant (run per scheduler) or a Promise-based one. */
type Entry = EffectSpec | Contestant

const effectGo = (name: string, workload: EffectWorkload, options?: Options): Entry => ({
  name,
  kind: "effect-go",
  effect: workload,
  ...options
})
const effect = (name: string, workload: EffectWorkload, options?: Options): Entry => ({
  name,
  kind: "effect",
  effect: workload,
  ...options
})
const ref = (name: string, workload: EffectWorkload, options?: Options): Entry => ({
  name,
  kind: "ref",
  effect: workload,
  ...options
})
/**
 * An effect-go workload with `Telemetry.layer` on (histograms only, no
 * spans): a reference beside the plain one, which runs with telemetry off.
 */
const withTelemetry = (name: string, workload: EffectWorkload): Entry =>
  ref(`${name}, telemetry on`, (n) => Effect.provide(workload(n), Telemetry.layer({ spanThreshold: false })), {
    note: "the same workload under Telemetry.layer: every parked wait recorded in effectgo.wait.duration"
  })
const peer = (name: string, run: PromiseWorkload, options?: Options): Entry => ({ name, kind: "peer", run, ...options })
const floor = (name: string, run: PromiseWorkload, options?: Options): Entry => ({
  name,
  kind: "floor",
  run,
  ...options
})
/** A contestant that has no way to run the workload; listed with the reason. */
const notApplicable = (name: string, why: string): Entry => ({ name, kind: "effect", skip: why, run: async () => {} })

/**
 * ts-chan, twice: as shipped (each send/recv waits for a macrotask turn
 * unless one already passed, which makes it slow: runs are capped at 200k
 * operations) and with `setUnsafe(true)`, which removes that wait.
 */
const tsChanPair = (suffix: string, workload: (unsafe: boolean) => PromiseWorkload): Array<Entry> => [
  peer(`ts-chan${suffix}`, workload(false), { maxN: 200_000 }),
  peer(`ts-chan (unsafe: no macrotask yield)${suffix}`, workload(true))
]

/** A row before its Effect-based contestants are expanded per scheduler. */
interface RowTable extends Omit<Row, "contestants"> {
  /** One workload size for every contestant (see {@link Contestant.fixedN}); otherwise calibrated. */
  readonly fixedN?: number
  readonly contestants: ReadonlyArray<Entry>
}

const build = (config: RunConfig, { fixedN, contestants, ...row }: RowTable): Row => ({
  ...row,
  contestants: contestants.flatMap((entry) => {
    const sized = fixedN === undefined ? entry : { ...entry, fixedN }
    return "effect" in sized ? effectContestant(config, sized) : [sized]
  })
})

// -----------------------------------------------------------------------------
// Shared shapes
// -----------------------------------------------------------------------------

/** Splits `n` operations over `k` workers (the first takes the remainder). */
const share = (n: number, k: number, w: number): number => Math.floor(n / k) + (w === 0 ? n % k : 0)

const range = (n: number): Array<number> => Array.from({ length: n }, (_, i) => i)

/** Forks `k` workers as children and joins them all. */
export const forkJoin = <E>(k: number, worker: (w: number) => Effect.Effect<unknown, E>): Effect.Effect<void, E> =>
  Effect.suspend(() => {
    const fibers: Array<Effect.Effect<Fiber.Fiber<unknown, E>>> = []
    for (let w = 0; w < k; w++) fibers.push(Effect.forkChild(worker(w)))
    return Effect.flatMap(Effect.all(fibers), (fs) => Effect.asVoid(Fiber.joinAll(fs)))
  })

/** Forks `producer`, runs `consumer` on this fiber, then joins the producer. */
const withProducer = <E1, E2>(
  producer: Effect.Effect<unknown, E1>,
  consumer: Effect.Effect<unknown, E2>
): Effect.Effect<unknown, E1 | E2> =>
  Effect.flatMap(Effect.forkChild(producer), (p) => Effect.andThen(consumer, Fiber.join(p)))

/** Receives until the channel is closed and drained: Go's `for range ch {}`. */
export const drain = <A>(ch: Chan.RecvChan<A>): Effect.Effect<void> => {
  const recv = Chan.recv(ch)
  const loop: Effect.Effect<void> = Effect.flatMap(recv, (o) => (Option.isSome(o) ? loop : Effect.void))
  return loop
}

const tsChan = <A>(capacity: number, unsafe: boolean): TsChan<A> => new TsChan<A>(capacity).setUnsafe(unsafe)

/** ts-chan receive loop until closed. */
const tsDrain = async <A>(ch: TsChan<A>): Promise<void> => {
  while (!(await ch.recv()).done) {
    // range over the channel
  }
}

/**
 * `k` fibers share `n` turns at a lock made by `make`, each running `turn`
 * (built once per run around a counter increment) in a loop.
 */
const contended =
  <L, E>(
    k: number,
    make: Effect.Effect<L, E>,
    turn: (lock: L, critical: Effect.Effect<number>) => Effect.Effect<unknown, unknown>
  ) =>
  (n: number): Effect.Effect<void, unknown> =>
    Effect.flatMap(make, (lock) => {
      let counter = 0
      const step = turn(
        lock,
        Effect.sync(() => counter++)
      )
      return forkJoin(k, (w) => times(share(n, k, w), () => step))
    })

/** `take`, then `body`, then `release`: a lock held by hand around `body`. */
const between = <E1, E2, E3>(
  take: Effect.Effect<unknown, E1>,
  body: Effect.Effect<unknown, E2>,
  release: Effect.Effect<unknown, E3>
): Effect.Effect<unknown, E1 | E2 | E3> => Effect.andThen(take, Effect.andThen(body, release))

/** `n` tasks, each a fiber of its own, all forked at once and joined; `task` is built once per run. */
const forkEach =
  <L, E>(make: Effect.Effect<L, E>, task: (limiter: L) => Effect.Effect<unknown, unknown>) =>
  (n: number): Effect.Effect<void, unknown> =>
    Effect.flatMap(make, (limiter) => {
      const t = task(limiter)
      return forkJoin(n, () => t)
    })

/** A scoped group: `start` is called for each of `n` tasks (with its index), then `wait`. */
const inGroup =
  <G, E1, E2, E3>(
    make: Effect.Effect<G, E1, Scope.Scope>,
    start: (group: G, i: number) => Effect.Effect<unknown, E2>,
    wait: (group: G) => Effect.Effect<unknown, E3>
  ) =>
  (n: number): Effect.Effect<unknown, E1 | E2 | E3> =>
    Effect.scoped(
      Effect.flatMap(make, (group) =>
        Effect.andThen(
          times(n, (i) => start(group, i)),
          wait(group)
        )
      )
    )

// -----------------------------------------------------------------------------
// Unbuffered ping-pong
// -----------------------------------------------------------------------------

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

const queuePingPong = (n: number) =>
  Effect.flatMap(Effect.all([Queue.bounded<number>(0), Queue.bounded<number>(0)]), ([ping, pong]) => {
    // `disableYield`: the echo parks on every take, so `forever`'s default
    // yield per iteration (a scheduler turn) would only slow it.
    const echo = Effect.forever(
      Effect.flatMap(Queue.take(ping), (v) => Queue.offer(pong, v)),
      { disableYield: true }
    )
    const takePong = Queue.take(pong)
    return Effect.flatMap(Effect.forkChild(echo), (echoFiber) =>
      Effect.andThen(
        times(n, (i) => Effect.andThen(Queue.offer(ping, i), takePong)),
        Fiber.interrupt(echoFiber)
      )
    )
  })

const deferredPingPong = (n: number) =>
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
      ),
      { disableYield: true }
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

/**
 * The least an Effect program can do per message: an unbuffered rendezvous
 * on nothing but `Effect.callback`, with no closing, no select and no
 * interruption handling (the Effect counterpart of floor.ts's
 * `PromiseChan`). A side that finds its peer parked resumes it at once, on
 * its own stack, and goes on; otherwise it parks, the check made again in
 * the callback's registration.
 */
class CallbackRendezvous<A> {
  private receiver: ((effect: Effect.Effect<A>) => void) | undefined = undefined
  private sender: { readonly value: A; readonly resume: (effect: Effect.Effect<void>) => void } | undefined = undefined
  private takeSender(): A {
    const sender = this.sender!
    this.sender = undefined
    sender.resume(Effect.void)
    return sender.value
  }
  private giveReceiver(value: A): void {
    const receiver = this.receiver!
    this.receiver = undefined
    receiver(Effect.succeed(value))
  }
  readonly recv: Effect.Effect<A> = Effect.suspend(() =>
    this.sender !== undefined
      ? Effect.succeed(this.takeSender())
      : Effect.callback<A>((resume) => {
          if (this.sender !== undefined) resume(Effect.succeed(this.takeSender()))
          else this.receiver = resume
        })
  )
  send(value: A): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.receiver !== undefined) {
        this.giveReceiver(value)
        return Effect.void
      }
      return Effect.callback<void>((resume) => {
        if (this.receiver !== undefined) {
          this.giveReceiver(value)
          resume(Effect.void)
        } else this.sender = { value, resume }
      })
    })
  }
}

const callbackPingPong = (n: number) =>
  Effect.suspend(() => {
    const ping = new CallbackRendezvous<number>()
    const pong = new CallbackRendezvous<number>()
    const echo = Effect.forever(
      Effect.flatMap(ping.recv, (v) => pong.send(v)),
      { disableYield: true }
    )
    return Effect.flatMap(Effect.forkChild(echo), (echoFiber) =>
      Effect.andThen(
        times(n, (i) => Effect.andThen(ping.send(i), pong.recv)),
        Fiber.interrupt(echoFiber)
      )
    )
  })

const tsChanPingPong =
  (unsafe: boolean) =>
  async (n: number): Promise<void> => {
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

const promisePingPong = async (n: number): Promise<void> => {
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

// -----------------------------------------------------------------------------
// Buffered SPSC
// -----------------------------------------------------------------------------

const chanSpsc = (capacity: number) => (n: number) =>
  Effect.suspend(() => {
    const ch = Chan.makeUnsafe<number>(capacity)
    const producer = Effect.andThen(
      times(n, (i) => Chan.send(ch, i)),
      Chan.close(ch)
    )
    return withProducer(producer, drain(ch))
  })

/** The same with the consumer taking every value ready at once (`Chan.recvAll`), effect-go's batch receive. */
const chanSpscRecvAll = (capacity: number) => (n: number) =>
  Effect.suspend(() => {
    const ch = Chan.makeUnsafe<number>(capacity)
    const producer = Effect.andThen(
      times(n, (i) => Chan.send(ch, i)),
      Chan.close(ch)
    )
    const recvAll = Chan.recvAll(ch)
    const drainBatches: Effect.Effect<void> = Effect.flatMap(recvAll, (batch) =>
      batch.length === 0 ? Effect.void : drainBatches
    )
    return withProducer(producer, drainBatches)
  })

/**
 * The least a buffered batch hand-off between two fibers can do with
 * Effect's public API: an array the producer pushes to, swapped out whole
 * by the consumer, and each side parked in a bare `Effect.callback` when it
 * cannot go on. The waiting consumer is resumed only when the producer
 * finds the buffer full (or closes), so it takes full batches, as a
 * channel's deferred wake-up and `Queue`'s scheduled one give it. No
 * interruption handling, no give-back, no waiter lists, one producer and
 * one consumer: the floor under `recvAll` and `takeAll`.
 */
class CallbackBatch<A> {
  private buffer: Array<A> = []
  private closed = false
  private consumer: ((effect: Effect.Effect<ReadonlyArray<A>>) => void) | undefined = undefined
  private producer: { readonly value: A; readonly resume: (effect: Effect.Effect<void>) => void } | undefined =
    undefined
  private readonly capacity: number
  constructor(capacity: number) {
    this.capacity = capacity
  }
  /** Every buffered value, and room for a parked producer's. */
  private takeBuffer(): Array<A> {
    const batch = this.buffer
    this.buffer = []
    const producer = this.producer
    if (producer !== undefined) {
      this.producer = undefined
      this.buffer.push(producer.value)
      producer.resume(Effect.void)
    }
    return batch
  }
  /** Hands the buffer to the parked consumer. */
  private wakeConsumer(): void {
    const consumer = this.consumer!
    this.consumer = undefined
    consumer(Effect.succeed(this.takeBuffer()))
  }
  send(value: A): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.buffer.length < this.capacity) {
        this.buffer.push(value)
        return Effect.void
      }
      if (this.consumer !== undefined) {
        this.wakeConsumer()
        this.buffer.push(value)
        return Effect.void
      }
      return Effect.callback<void>((resume) => {
        this.producer = { value, resume }
      })
    })
  }
  readonly close: Effect.Effect<void> = Effect.sync(() => {
    this.closed = true
    if (this.consumer !== undefined) this.wakeConsumer()
  })
  /** Every value ready, waiting for some; an empty array once closed and drained. */
  readonly takeAll: Effect.Effect<ReadonlyArray<A>> = Effect.suspend(() =>
    this.buffer.length > 0 || this.closed
      ? Effect.succeed(this.takeBuffer())
      : Effect.callback<ReadonlyArray<A>>((resume) => {
          this.consumer = resume
        })
  )
}

const callbackBatchSpsc = (capacity: number) => (n: number) =>
  Effect.suspend(() => {
    const ch = new CallbackBatch<number>(capacity)
    const producer = Effect.andThen(
      times(n, (i) => ch.send(i)),
      ch.close
    )
    const drainBatches: Effect.Effect<void> = Effect.flatMap(ch.takeAll, (batch) =>
      batch.length === 0 ? Effect.void : drainBatches
    )
    return withProducer(producer, drainBatches)
  })

/** The same with the consumer ranging over the channel (`Chan.forEach`, Go's `for v := range ch`). */
const chanSpscForEach = (capacity: number) => (n: number) =>
  Effect.suspend(() => {
    const ch = Chan.makeUnsafe<number>(capacity)
    const producer = Effect.andThen(
      times(n, (i) => Chan.send(ch, i)),
      Chan.close(ch)
    )
    return withProducer(
      producer,
      Chan.forEach(ch, () => Effect.void)
    )
  })

const queueSpsc = (capacity: number) => (n: number) =>
  Effect.flatMap(Queue.bounded<number>(capacity), (q) => {
    const take = Queue.take(q)
    return withProducer(
      times(n, (i) => Queue.offer(q, i)),
      times(n, () => take)
    )
  })

/**
 * The same with the consumer taking every value ready at once
 * (`Queue.takeAll`): the batch form Effect's docs offer for draining a queue.
 */
const queueSpscTakeAll = (capacity: number) => (n: number) =>
  Effect.flatMap(Queue.bounded<number>(capacity), (q) => {
    const takeAll = Queue.takeAll(q)
    const drain = (left: number): Effect.Effect<void> =>
      left <= 0 ? Effect.void : Effect.flatMap(takeAll, (batch) => drain(left - batch.length))
    return withProducer(
      times(n, (i) => Queue.offer(q, i)),
      Effect.suspend(() => drain(n))
    )
  })

/**
 * ts-chan used as its docs recommend for throughput: the synchronous
 * `trySend`/`tryRecv`, awaiting `send`/`recv` only when they miss.
 */
const tsChanSpscSync =
  (capacity: number) =>
  async (n: number): Promise<void> => {
    const ch = tsChan<number>(capacity, false)
    const producer = (async () => {
      for (let i = 0; i < n; i++) if (!ch.trySend(i)) await ch.send(i)
      ch.close()
    })()
    for (;;) {
      const r = ch.tryRecv() ?? (await ch.recv())
      if (r.done) break
    }
    await producer
  }

const tsChanSpsc =
  (capacity: number) =>
  (unsafe: boolean) =>
  async (n: number): Promise<void> => {
    const ch = tsChan<number>(capacity, unsafe)
    const producer = (async () => {
      for (let i = 0; i < n; i++) await ch.send(i)
      ch.close()
    })()
    await tsDrain(ch)
    await producer
  }

const promiseSpsc =
  (capacity: number) =>
  async (n: number): Promise<void> => {
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

const ringSpsc =
  (capacity: number) =>
  async (n: number): Promise<void> => {
    const ring = new Ring<number>(capacity)
    let sum = 0
    for (let i = 0; i < n; ) {
      while (ring.length < capacity && i < n) ring.push(i++)
      while (ring.length > 0) sum += ring.shift()
    }
    if (sum < 0) throw new Error("unreachable")
  }

// -----------------------------------------------------------------------------
// MPMC 4 × 4
// -----------------------------------------------------------------------------

const chanMpmc = (n: number) =>
  Effect.suspend(() => {
    const ch = Chan.makeUnsafe<number>(64)
    return Effect.flatMap(Effect.all(range(4).map(() => Effect.forkChild(drain(ch)))), (consumers) =>
      Effect.andThen(
        forkJoin(4, (w) => times(share(n, 4, w), (i) => Chan.send(ch, i))),
        Effect.andThen(Chan.close(ch), Fiber.joinAll(consumers))
      )
    )
  })

const queueMpmc = (n: number) =>
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

const tsChanMpmc =
  (unsafe: boolean) =>
  async (n: number): Promise<void> => {
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

const promiseMpmc = async (n: number): Promise<void> => {
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

// -----------------------------------------------------------------------------
// Select over 4 receive cases
// -----------------------------------------------------------------------------

const chanSelect = (n: number) =>
  Effect.suspend(() => {
    const chs = range(4).map(() => Chan.makeUnsafe<number>(16))
    const rnd = xorshift(1)
    const producer = times(n, (i) => Chan.send(chs[(rnd() * 4) | 0]!, i))
    const sel = Select.select(Select.recv(chs[0]!), Select.recv(chs[1]!), Select.recv(chs[2]!), Select.recv(chs[3]!))
    return withProducer(
      producer,
      times(n, () => sel)
    )
  })

/** The select row's producer on one channel (same random draws), received with a plain `recv`. */
const chanPlainRecv = (n: number) =>
  Effect.suspend(() => {
    const ch = Chan.makeUnsafe<number>(16)
    const rnd = xorshift(1)
    const producer = times(n, (i) => Chan.send(ch, i + ((rnd() * 4) | 0)))
    const recv = Chan.recv(ch)
    return withProducer(
      producer,
      times(n, () => recv)
    )
  })

const tsChanSelect =
  (unsafe: boolean) =>
  async (n: number): Promise<void> => {
    const chs = range(4).map(() => tsChan<number>(16, unsafe))
    const rnd = xorshift(1)
    const producer = (async () => {
      for (let i = 0; i < n; i++) await chs[(rnd() * 4) | 0]!.send(i)
    })()
    const sel = new TsSelect([tsRecv(chs[0]!), tsRecv(chs[1]!), tsRecv(chs[2]!), tsRecv(chs[3]!)]).setUnsafe(unsafe)
    for (let i = 0; i < n; i++) {
      const index = await sel.wait()
      sel.recv(sel.cases[index]!)
    }
    await producer
  }

const promiseSelect = async (n: number): Promise<void> => {
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

// -----------------------------------------------------------------------------
// Mutex, 64 contending fibers
// -----------------------------------------------------------------------------

const K = 64

/**
 * Every contestant locks the same number of times: Effect's Semaphore slows
 * down as a contended run goes on (its take/release costs about three times
 * as much per lock over 100k locks as over 20k), so calibrated run lengths
 * would compare contestants at different points of that curve.
 */
const MUTEX_LOCKS = 100_000

const newMutex = Effect.sync(() => Mutex.makeUnsafe())

const asyncMutexLocks = async (n: number): Promise<void> => {
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

const promiseLocks = async (n: number): Promise<void> => {
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

// -----------------------------------------------------------------------------
// WaitGroup: spawn + join
// -----------------------------------------------------------------------------

/**
 * The WaitGroup row's task. Not `Effect.void`: `Effect.forEach` runs an item
 * that is already an `Exit` without forking, which would compare a fork with
 * no fork at all. A trivial synchronous task needs its own fiber everywhere.
 */
const trivialTask: Effect.Effect<void> = Effect.sync(() => {})

/**
 * A group that tracks its tasks, written by hand on Effect's public API
 * with nothing else: `go` counts the task and starts its fiber in one synchronous step;
 * the task's first step puts its fiber where a close of the group would
 * find it (a close that the task's own first steps set off included); a
 * task its first steps ended is counted done at once, any other by an
 * observer; `wait` parks in a bare `Effect.callback` until the count is 0.
 * No closed checks, defect handling, telemetry or scope: what the
 * registration step costs over `forEach`, which tracks no task. (A `Set`
 * of fibers, the plain way; `WaitGroup` links a node per task instead.)
 */
class CallbackGroup {
  private count = 0
  private waiter: ((effect: Effect.Effect<void>) => void) | undefined = undefined
  private readonly running = new Set<Fiber.Fiber<unknown, unknown>>()
  private done(fiber: Fiber.Fiber<unknown, unknown>): void {
    this.running.delete(fiber)
    if (--this.count === 0 && this.waiter !== undefined) {
      const waiter = this.waiter
      this.waiter = undefined
      waiter(Effect.void)
    }
  }
  /** The task being started: a fiber's first step runs within its start, and takes it (no closure per task). */
  private starting: Effect.Effect<void> = Effect.void
  private readonly register: Effect.Effect<void> = Effect.withFiber((fiber) => {
    this.running.add(fiber)
    return this.starting
  })
  go(task: Effect.Effect<void>): Effect.Effect<void> {
    return Effect.sync(() => {
      this.count++
      this.starting = task
      const fiber = Effect.runForkWith(Fiber.getCurrent()!.context)(this.register)
      if (fiber.pollUnsafe() !== undefined) this.done(fiber)
      else fiber.addObserver(() => this.done(fiber))
    })
  }
  readonly wait: Effect.Effect<void> = Effect.callback<void>((resume) => {
    if (this.count === 0) resume(Effect.void)
    else this.waiter = resume
  })
}

const promiseAll = async (n: number): Promise<void> => {
  const task = async (): Promise<void> => {}
  const all: Array<Promise<void>> = new Array(n)
  for (let i = 0; i < n; i++) all[i] = task()
  await Promise.all(all)
}

// -----------------------------------------------------------------------------
// 10k tasks, at most 100 at once
// -----------------------------------------------------------------------------

const LIMIT = 100

/** A WorkerPool of 100 workers with a job queue of `queue`, fed every task, then shut down. */
const workerPool = (queue: number) =>
  inGroup(
    WorkerPool.make({ workers: LIMIT, queue, process: () => Effect.yieldNow }),
    (p, i) => WorkerPool.submit(p, i),
    WorkerPool.shutdown
  )

/** 100 long-lived fibers, each running its share of the tasks back to back. */
const yieldFloor = (n: number) =>
  Effect.forEach(range(LIMIT), (w) => times(share(n, LIMIT, w), () => Effect.yieldNow), {
    concurrency: "unbounded",
    discard: true
  })

/** The JavaScript task: yields once, as Go's calls `runtime.Gosched()`. */
const jsTask = async (): Promise<void> => {
  await undefined
}

const pLimitTasks = async (n: number): Promise<void> => {
  const limit = pLimit(LIMIT)
  const all: Array<Promise<void>> = new Array(n)
  for (let i = 0; i < n; i++) all[i] = limit(jsTask)
  await Promise.all(all)
}

const pQueueTasks = async (n: number): Promise<void> => {
  const queue = new PQueue({ concurrency: LIMIT })
  for (let i = 0; i < n; i++) void queue.add(jsTask)
  await queue.onIdle()
}

const asyncSemaphoreTasks = async (n: number): Promise<void> => {
  const s = new AsyncSemaphore(LIMIT)
  const all: Array<Promise<void>> = new Array(n)
  for (let i = 0; i < n; i++) all[i] = s.runExclusive(jsTask)
  await Promise.all(all)
}

// -----------------------------------------------------------------------------
// Rows
// -----------------------------------------------------------------------------

const spscRow = (capacity: 1 | 64 | 1024, go: GoFigure): RowTable => ({
  id: `spsc-cap${capacity}`,
  title: `Buffered SPSC, cap ${capacity}`,
  unit: "item",
  go,
  handoff: capacity === 1,
  contestants: [
    effectGo(`effect-go Chan(${capacity})`, chanSpsc(capacity)),
    withTelemetry(`effect-go Chan(${capacity})`, chanSpsc(capacity)),
    effectGo(`effect-go Chan(${capacity}), recvAll`, chanSpscRecvAll(capacity)),
    effectGo(`effect-go Chan(${capacity}), forEach`, chanSpscForEach(capacity)),
    effect(`Effect Queue.bounded(${capacity})`, queueSpsc(capacity)),
    effect(`Effect Queue.bounded(${capacity}), takeAll`, queueSpscTakeAll(capacity)),
    ...(capacity === 1
      ? []
      : [
          ref("Effect floor: bare Effect.callback batch hand-off", callbackBatchSpsc(capacity), {
            note: "an array the producer pushes to and the consumer swaps out whole, each side parked in a bare Effect.callback, the consumer woken when the buffer is full: no interruption handling, no give-back, no waiter lists (the least a batch receive can cost through Effect's public API)"
          })
        ]),
    ...tsChanPair("", tsChanSpsc(capacity)),
    peer("ts-chan (trySend/tryRecv, await on miss)", tsChanSpscSync(capacity)),
    floor("floor: bare Promise channel", promiseSpsc(capacity)),
    floor("floor: synchronous ring buffer", ringSpsc(capacity))
  ]
})

/** Every throughput row, in the order of the Go reference program. */
/**
 * The rows of the suite, with Go's figures `go` (measured in the run, or
 * recorded: see goref.ts).
 */
export const makeRows = (config: RunConfig, GO: GoFigures = RECORDED): Array<Row> => {
  // A quick (smoke) run spawns fewer tasks (Effect's Semaphore alone would
  // take 15 s at 10k bounded tasks); the per-task cost is the same.
  const spawn = config.quick ? 20_000 : 100_000
  const tasks = config.quick ? 2_000 : 10_000
  const rows: Array<RowTable> = [
    {
      id: "pingpong",
      title: "Unbuffered ping-pong",
      unit: "round trip",
      go: GO.pingpong,
      handoff: true,
      contestants: [
        effectGo("effect-go Chan(0)", chanPingPong),
        withTelemetry("effect-go Chan(0)", chanPingPong),
        effect("Effect Queue.bounded(0)", queuePingPong),
        ref("Effect Deferred per message", deferredPingPong, {
          note: "not a channel: a fresh Deferred carries each message and its reply"
        }),
        ref("Effect floor: bare Effect.callback rendezvous", callbackPingPong, {
          note: "two fibers resuming each other's Effect.callback directly, nothing else (no close, select or interruption handling): the least an Effect fiber can do to wait for another"
        }),
        ...tsChanPair("", tsChanPingPong),
        floor("floor: bare Promise hand-off", promisePingPong)
      ]
    },
    spscRow(1, GO.spsc1),
    spscRow(64, GO.spsc64),
    spscRow(1024, GO.spsc1024),
    {
      id: "mpmc-4x4",
      title: "MPMC 4 producers × 4 consumers, cap 64",
      unit: "item",
      go: GO.mpmc,
      contestants: [
        effectGo("effect-go Chan(64)", chanMpmc),
        effect("Effect Queue.bounded(64)", queueMpmc),
        ...tsChanPair("", tsChanMpmc),
        floor("floor: bare Promise channel", promiseMpmc)
      ]
    },
    {
      id: "select-4",
      title: "Select over 4 receive cases (cap 16 each)",
      unit: "item",
      go: GO.select,
      contestants: [
        effectGo("effect-go Select", chanSelect),
        ref("effect-go plain recv (1 chan, cap 16)", chanPlainRecv, {
          note: "the same producer on one channel: the baseline of the 'select ≥ ½ plain recv' target"
        }),
        notApplicable(
          "Effect (no select primitive)",
          "n/a: Effect 4 has no select over queues (racing Queue.take loses values)"
        ),
        ...tsChanPair(" Select", tsChanSelect),
        floor("floor: 4 bare Promise channels, first ready", promiseSelect, {
          note: "a producer-side wake-up of one parked consumer; no registration on several channels"
        })
      ]
    },
    {
      id: "mutex-64",
      title: "Mutex, 64 contending fibers",
      unit: "lock",
      go: GO.mutex,
      handoff: true,
      fixedN: MUTEX_LOCKS,
      contestants: [
        effectGo(
          "effect-go Mutex lock/unlock",
          contended(K, newMutex, (mu, critical) => between(Mutex.lock(mu), critical, Mutex.unlock(mu)))
        ),
        withTelemetry(
          "effect-go Mutex lock/unlock",
          contended(K, newMutex, (mu, critical) => between(Mutex.lock(mu), critical, Mutex.unlock(mu)))
        ),
        effectGo(
          "effect-go Mutex.withLock",
          contended(K, newMutex, (mu, critical) => Mutex.withLock(mu)(critical))
        ),
        ref(
          "effect-go Semaphore(1) acquire/release",
          contended(K, Semaphore.make(1), (s, critical) =>
            between(Semaphore.acquire(s, 1), critical, Semaphore.release(s, 1))
          )
        ),
        effect(
          "Effect Semaphore(1) take/release",
          contended(K, EffectSemaphore.make(1), (s, critical) => between(s.take(1), critical, s.release(1)))
        ),
        effect(
          "Effect Semaphore(1).withPermits(1)",
          contended(K, EffectSemaphore.make(1), (s, critical) => s.withPermits(1)(critical))
        ),
        peer("async-mutex Mutex acquire/release", asyncMutexLocks),
        floor("floor: bare Promise FIFO lock", promiseLocks)
      ]
    },
    {
      id: "waitgroup-100k",
      title: "WaitGroup: spawn + join 100k tasks",
      unit: "task",
      go: GO.waitgroup,
      fixedN: spawn,
      contestants: [
        effectGo(
          "effect-go WaitGroup.go + wait",
          inGroup(WaitGroup.make(), (group) => WaitGroup.go(group, trivialTask), WaitGroup.wait)
        ),
        ref(
          "effect-go ErrGroup.go + wait",
          inGroup(ErrGroup.make(), (group) => ErrGroup.go(group, trivialTask), ErrGroup.wait)
        ),
        effect(
          "Effect FiberSet.run + awaitEmpty",
          inGroup(FiberSet.make(), (set) => FiberSet.run(set, trivialTask), FiberSet.awaitEmpty)
        ),
        // Go's order, as WaitGroup.go: the parent goes on and each task
        // starts at a later scheduler turn (FiberSet.run's default runs the
        // task first, until it suspends, as Effect.forEach does).
        ref(
          "Effect FiberSet.run({ startImmediately: false }) + awaitEmpty (parent first, as Go)",
          inGroup(
            FiberSet.make(),
            (set) => FiberSet.run(set, trivialTask, { startImmediately: false }),
            FiberSet.awaitEmpty
          )
        ),
        effect("Effect.forEach({ concurrency: 'unbounded' })", (n) =>
          Effect.forEach(range(n), () => trivialTask, { concurrency: "unbounded", discard: true })
        ),
        ref(
          "Effect by hand: a counted fiber per task, registered in a Set in its first step",
          inGroup(
            Effect.sync(() => new CallbackGroup()),
            (group) => group.go(trivialTask),
            (group) => group.wait
          ),
          {
            note: "go counts the task and starts its fiber in one step, the fiber's first step puts it in a Set where a close would find it, wait parks until the count is 0: no closed checks, defect handling, telemetry or scope (a group that tracks its tasks, by hand on Effect's public API)"
          }
        ),
        ref("Effect.forkChild × n + Fiber.joinAll", (n) => forkJoin(n, () => trivialTask)),
        floor("floor: Promise.all of async functions", promiseAll)
      ]
    },
    {
      id: "bounded-10k-limit100",
      title: "10k tasks, at most 100 at once (each yields once)",
      unit: "task",
      go: GO.bounded,
      fixedN: tasks,
      contestants: [
        effectGo(
          "effect-go Chan(100) as semaphore (Go's program)",
          forkEach(
            Effect.sync(() => Chan.makeUnsafe<void>(LIMIT)),
            (slots) => Effect.andThen(Chan.send(slots, undefined), Effect.andThen(Effect.yieldNow, Chan.recv(slots)))
          )
        ),
        effectGo(
          "effect-go Semaphore(100).withPermits",
          forkEach(Semaphore.make(LIMIT), (s) => Semaphore.withPermits(s, 1)(Effect.yieldNow))
        ),
        effectGo(
          "effect-go ErrGroup({ limit: 100 })",
          inGroup(ErrGroup.make({ limit: LIMIT }), (group) => ErrGroup.go(group, Effect.yieldNow), ErrGroup.wait)
        ),
        effectGo("effect-go WorkerPool(100 workers)", workerPool(0), {
          note: "submit each job (queue: 0, Go's unbuffered jobs channel), then shutdown (close + wait)"
        }),
        effectGo("effect-go WorkerPool(100 workers, queue 100)", workerPool(LIMIT), {
          note: "as above with a buffered job queue: submit parks only when 100 jobs wait"
        }),
        ref("Effect floor: 100 fibers yield 100 times each (no pool, no fork per task)", yieldFloor, {
          note: "what the tasks' own Effect.yieldNow costs: no Effect-based runner can go below it"
        }),
        effect("Effect.forEach({ concurrency: 100 })", (n) =>
          Effect.forEach(range(n), () => Effect.yieldNow, { concurrency: LIMIT, discard: true })
        ),
        effect(
          "Effect Semaphore(100).withPermits(1)",
          forkEach(EffectSemaphore.make(LIMIT), (s) => s.withPermits(1)(Effect.yieldNow))
        ),
        peer("p-limit(100)", pLimitTasks),
        peer("p-queue({ concurrency: 100 })", pQueueTasks),
        peer("async-mutex Semaphore(100).runExclusive", asyncSemaphoreTasks),
        floor("floor: 100 Promise workers", (n) => promisePool(n, LIMIT, jsTask))
      ]
    }
  ]
  return rows.map((row) => build(config, row))
}
