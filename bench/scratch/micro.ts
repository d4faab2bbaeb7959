import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Chan from "../../src/Chan.ts"
import { times } from "../harness.ts"

const N = 1_000_000
const run = async (name: string, mk: () => Effect.Effect<unknown, unknown>) => {
  for (let r = 0; r < 4; r++) {
    const eff = mk()
    const t0 = performance.now()
    await Effect.runPromise(eff)
    const dt = performance.now() - t0
    if (r > 0) console.log(`${name}: ${((dt * 1e6) / N).toFixed(0)} ns/op`)
  }
}
await run("loop Effect.void", () => times(N, () => Effect.void))
await run("loop Effect.sync", () => times(N, () => Effect.sync(() => 1)))
await run("loop withFiber->exit", () => times(N, () => Effect.withFiber(() => Effect.void)))
await run("chan send only", () =>
  Effect.suspend(() => {
    const ch = Chan.makeUnsafe<number>(N)
    return times(N, (i) => Chan.send(ch, i))
  })
)
await run("queue offer only", () => Effect.flatMap(Queue.bounded<number>(N), (q) => times(N, (i) => Queue.offer(q, i))))
await run("chan send+recv", () =>
  Effect.suspend(() => {
    const ch = Chan.makeUnsafe<number>(N)
    const r = Chan.recv(ch)
    return Effect.andThen(
      times(N, (i) => Chan.send(ch, i)),
      times(N, () => r)
    )
  })
)
await run("queue offer+take", () =>
  Effect.flatMap(Queue.bounded<number>(N), (q) => {
    const t = Queue.take(q)
    return Effect.andThen(
      times(N, (i) => Queue.offer(q, i)),
      times(N, () => t)
    )
  })
)
