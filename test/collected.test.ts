import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Chan from "../src/Chan.ts"
import * as Diagnostics from "../src/Diagnostics.ts"
import * as Mutex from "../src/Mutex.ts"
setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

/** Collects garbage until `done` says so (finalizers run as tasks after a collection). */
const collectUntil = (done: () => boolean) =>
  Effect.gen(function* () {
    for (let i = 0; i < 50 && !done(); i++) {
      gc()
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5)))
    }
  })

// These tests strand fibers on purpose, so they are not leak-checked.
describe("Diagnostics.collected: leaks the garbage collector proves", () => {
  it.live("a channel and a mutex collected with fibers parked on them are reported, with what the fibers did", () =>
    Effect.gen(function* () {
      yield* Diagnostics.collected // start from nothing
      // Fibers nothing references but the primitive they wait on: forked
      // detached, on primitives this test drops.
      yield* Effect.suspend(() =>
        Effect.gen(function* () {
          const jobs = yield* Chan.make<number>(0, { name: "jobs" })
          const mu = yield* Mutex.make({ name: "state" })
          yield* Mutex.lock(mu) // and never unlocked
          for (let i = 0; i < 3; i++) yield* Effect.forkDetach(Chan.recv(jobs))
          yield* Effect.forkDetach(Chan.send(jobs, 1).pipe(Effect.andThen(Chan.send(jobs, 2))))
          for (let i = 0; i < 2; i++) yield* Effect.forkDetach(Mutex.lock(mu))
          yield* Effect.yieldNow
        })
      )
      const found: Array<Diagnostics.Collected> = []
      yield* collectUntil(() => {
        found.push(...Effect.runSync(Diagnostics.collected))
        return found.some((c) => c.name === "jobs") && found.some((c) => c.name === "state")
      })
      const jobs = found.find((c) => c.name === "jobs")
      const state = found.find((c) => c.name === "state")
      // The two sends met two of the receivers: one receiver is left.
      expect(jobs).toMatchObject({ kind: "Chan", waiting: { recv: 1 } })
      expect(state).toMatchObject({ kind: "Mutex", waiting: { lock: 2 } })
      expect(Diagnostics.formatCollected(jobs!)).toBe(
        `Chan "jobs" was garbage-collected with 1 fiber blocked on recv: it can never be woken`
      )
    })
  )

  it.live("a collected primitive without parked fibers is not reported", () =>
    Effect.gen(function* () {
      yield* Diagnostics.collected
      yield* Effect.suspend(() =>
        Effect.gen(function* () {
          const quiet = yield* Chan.make<number>(0, { name: "quiet" })
          const fiber = yield* Effect.forkChild(Chan.recv(quiet))
          yield* Effect.yieldNow
          yield* Chan.close(quiet)
          yield* Fiber.await(fiber)
        })
      )
      const found: Array<Diagnostics.Collected> = []
      yield* collectUntil(() => {
        found.push(...Effect.runSync(Diagnostics.collected))
        return false
      })
      expect(found.filter((c) => c.name === "quiet")).toStrictEqual([])
    })
  )
})
