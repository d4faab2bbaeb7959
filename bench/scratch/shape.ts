// spsc cap 1024 in several consumer shapes: which part of the row is the loop shape?
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Chan from "../../src/Chan.ts"
import { times } from "../harness.ts"

const n = 2_000_000
const cap = Number(process.argv[3] ?? 1024)
const shapes: Record<string, () => Effect.Effect<unknown, unknown>> = {
  "chan drain(flatMap)": () =>
    Effect.suspend(() => {
      const ch = Chan.makeUnsafe<number>(cap)
      const producer = Effect.andThen(
        times(n, (i) => Chan.send(ch, i)),
        Chan.close(ch)
      )
      const recv = Chan.recv(ch)
      const loop: Effect.Effect<void> = Effect.flatMap(recv, (o) => (Option.isSome(o) ? loop : Effect.void))
      return Effect.flatMap(Effect.forkChild(producer), (p) => Effect.andThen(loop, Fiber.join(p)))
    }),
  "chan times(recv)": () =>
    Effect.suspend(() => {
      const ch = Chan.makeUnsafe<number>(cap)
      const producer = times(n, (i) => Chan.send(ch, i))
      const recv = Chan.recv(ch)
      return Effect.flatMap(Effect.forkChild(producer), (p) =>
        Effect.andThen(
          times(n, () => recv),
          Fiber.join(p)
        )
      )
    }),
  "chan forEach": () =>
    Effect.suspend(() => {
      const ch = Chan.makeUnsafe<number>(cap)
      const producer = Effect.andThen(
        times(n, (i) => Chan.send(ch, i)),
        Chan.close(ch)
      )
      return Effect.flatMap(Effect.forkChild(producer), (p) =>
        Effect.andThen(
          Chan.forEach(ch, () => Effect.void),
          Fiber.join(p)
        )
      )
    }),
  // The floor of the drain shape with the public API: no parking at all, a
  // producer that pushes to an array and a consumer that takes from it
  // (the whole array first: this measures ops, not scheduling).
  "floor drain(flatMap)": () =>
    Effect.suspend(() => {
      const items: Array<number> = []
      let head = 0
      const producer = times(n, (i) =>
        Effect.withFiber(() => {
          items.push(i)
          return Exit.void
        })
      )
      const recv = Effect.withFiber(() =>
        Exit.succeed(head < items.length ? Option.some(items[head++]!) : Option.none())
      )
      const loop: Effect.Effect<void> = Effect.flatMap(recv, (o) => (Option.isSome(o) ? loop : Effect.void))
      return Effect.andThen(producer, loop)
    }),
  "queue times(take)": () =>
    Effect.flatMap(Queue.bounded<number>(cap), (q) => {
      const take = Queue.take(q)
      return Effect.flatMap(Effect.forkChild(times(n, (i) => Queue.offer(q, i))), (p) =>
        Effect.andThen(
          times(n, () => take),
          Fiber.join(p)
        )
      )
    })
}
const which = process.argv[2] ?? ""
for (let round = 0; round < 3; round++) {
  for (const [k, f] of Object.entries(shapes)) {
    if (!k.includes(which)) continue
    const out: Array<number> = []
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now()
      await Effect.runPromise(f())
      out.push(((performance.now() - t0) * 1e6) / n)
    }
    out.sort((a, b) => a - b)
    const c = (globalThis as any).__resumes?.()
    console.log(`${k}: ${out[2]!.toFixed(0)}${c !== undefined ? ` resumes/item ${(c / (5 * n)).toFixed(4)}` : ""}`)
  }
}
