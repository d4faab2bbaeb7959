import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Queue from "effect/Queue"
import * as Chan from "../../src/Chan.ts"
import { send as sendInternal } from "../../src/internal/chan.ts"
import { impl } from "../../src/Chan.ts"
import { times } from "../harness.ts"

const N = 1_000_000
const run = async (name: string, mk: () => Effect.Effect<unknown, unknown>) => {
  const out: Array<number> = []
  for (let r = 0; r < 6; r++) {
    const eff = mk()
    const t0 = performance.now()
    await Effect.runPromise(eff)
    const dt = performance.now() - t0
    if (r > 0) out.push((dt * 1e6) / N)
  }
  out.sort((a, b) => a - b)
  console.log(`${name}: ${out[2]!.toFixed(0)} ns/op`)
}
const which = process.argv[2] ?? "all"
const cases: Record<string, () => Effect.Effect<unknown, unknown>> = {
  "withFiber-min": () =>
    Effect.suspend(() => {
      const arr: Array<number> = []
      return times(N, (i) =>
        Effect.withFiber(() => {
          arr.push(i)
          return Exit.void
        })
      )
    }),
  "chan.send": () =>
    Effect.suspend(() => {
      const ch = Chan.makeUnsafe<number>(N)
      return times(N, (i) => Chan.send(ch, i))
    }),
  sendInternal: () =>
    Effect.suspend(() => {
      const ch = impl(Chan.makeUnsafe<number>(N))
      return times(N, (i) => sendInternal(ch, i))
    }),
  "queue.offer": () => Effect.flatMap(Queue.bounded<number>(N), (q) => times(N, (i) => Queue.offer(q, i))),
  "chan.recv": () => {
    const ch = Chan.makeUnsafe<number>(N)
    Effect.runSync(times(N, (i) => Chan.send(ch, i)))
    const r = Chan.recv(ch)
    return times(N, () => r)
  },
  "queue.take": () =>
    Effect.flatMap(Queue.bounded<number>(N), (q) => {
      for (let i = 0; i < N; i++) Queue.offerUnsafe(q, i)
      const t = Queue.take(q)
      return times(N, () => t)
    })
}
for (const [k, f] of Object.entries(cases)) if (which === "all" || k.includes(which)) await run(k, f)
