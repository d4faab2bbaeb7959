/**
 * What the diagnostics registry costs a primitive: making one, and the first
 * park on it (which enrolls it: a WeakRef and a FinalizationRegistry entry),
 * against a park on a primitive already enrolled. Run it in two trees to
 * compare (ns per operation, best of 7 repetitions):
 *
 *   npx node --experimental-strip-types --no-warnings --expose-gc bench/tools/registry-cost.ts
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Chan from "../../src/Chan.ts"
import * as Mutex from "../../src/Mutex.ts"

const N = 100_000
const best = async (label: string, run: () => Promise<void>) => {
  let min = Number.POSITIVE_INFINITY
  for (let r = 0; r < 7; r++) {
    ;(globalThis as { gc?: () => void }).gc?.()
    const t0 = performance.now()
    await run()
    min = Math.min(min, ((performance.now() - t0) * 1e6) / N)
  }
  console.log(`${label}: ${min.toFixed(0)} ns/op`)
}

await best("Chan.makeUnsafe", async () => {
  let keep: unknown
  for (let i = 0; i < N; i++) keep = Chan.makeUnsafe<number>(0)
  void keep
})

await best("Mutex.makeUnsafe", async () => {
  let keep: unknown
  for (let i = 0; i < N; i++) keep = Mutex.makeUnsafe()
  void keep
})

/** A receiver parks on a channel, then a send wakes it: a new channel each time (first park) or one channel. */
const parkCycle = (fresh: boolean) =>
  Effect.gen(function* () {
    let ch = Chan.makeUnsafe<number>(0)
    for (let i = 0; i < N; i++) {
      if (fresh) ch = Chan.makeUnsafe<number>(0)
      const receiver = yield* Effect.forkChild(Chan.recv(ch), { startImmediately: true })
      yield* Chan.send(ch, i)
      yield* Fiber.join(receiver)
    }
  })

await best("new Chan + first park + wake", () => Effect.runPromise(parkCycle(true)))
await best("park + wake on one Chan", () => Effect.runPromise(parkCycle(false)))
