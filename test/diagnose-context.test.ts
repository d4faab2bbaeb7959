import { describe, expect } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/testing/TestClock"
import * as GoContext from "../src/GoContext.ts"
import { type Seen, type Snapshot, snapshot, stuckAmong } from "../src/internal/analysis.ts"
import { settle } from "./utils/fibers.ts"
import { it } from "./utils/leak.ts"
import { beforeEach } from "vitest"
import { expectDeadlocks } from "./utils/detector.ts"

// These tests make deadlocks on purpose.
beforeEach(expectDeadlocks)

/** The contexts the snapshot shows, by label. */
const contexts = (snap: Snapshot): Map<string, Seen> => {
  const out = new Map<string, Seen>()
  for (const seen of snap.primitives) {
    if (seen.diagnosis.kind === "GoContext") out.set(seen.diagnosis.name!, seen)
  }
  return out
}

/** Its parked fibers: what each does and who can wake it. */
const parked = (seen: Seen) => seen.blocked.map((b) => ({ op: b.node.describe(), wakers: b.queue.wakers._tag }))

/** How many parked fibers can never be woken, "anyone" acting or not (the all-asleep rule). */
const stuckCount = (anyoneActs: boolean): number => {
  const snap = snapshot()
  return stuckAmong(snap, snap.fibers.keys(), () => anyoneActs).size
}

describe("GoContext in the blocked-fiber dump", () => {
  it.effect("an afterFunc waits for a cancel from any fiber; it leaves once it runs", () =>
    Effect.gen(function* () {
      const [ctx, cancel] = yield* GoContext.withCancel(GoContext.background)
      const ran = yield* Deferred.make<void>()
      yield* GoContext.afterFunc(ctx, Deferred.succeed(ran, undefined))
      yield* settle

      const seen = contexts(snapshot()).get("context.Background.WithCancel")!
      expect(seen.diagnosis.state).toEqual({ deadline: null, err: null })
      expect(parked(seen)).toEqual([{ op: "afterFunc", wakers: "Anyone" }])
      expect(seen.diagnosis.holders).toEqual([])
      expect(stuckCount(true)).toBe(0)
      // Nobody else is awake to cancel it: the all-asleep rule sees it.
      expect(stuckCount(false)).toBe(1)

      yield* cancel
      yield* Deferred.await(ran)
      expect(contexts(snapshot()).get("context.Background.WithCancel")).toBeUndefined()
    })
  )

  it.effect("with a deadline pending, the clock wakes it: never stuck", () =>
    Effect.gen(function* () {
      const [ctx] = yield* GoContext.withTimeout(GoContext.background, "1 second")
      const ran = yield* Deferred.make<void>()
      yield* GoContext.afterFunc(ctx, Deferred.succeed(ran, undefined))
      yield* settle

      const seen = contexts(snapshot()).get("context.Background.WithDeadline(1970-01-01T00:00:01.000Z)")!
      expect(seen.diagnosis.state).toEqual({ deadline: 1000, err: null })
      expect(parked(seen)).toEqual([{ op: "afterFunc", wakers: "Time" }])
      expect(stuckCount(false)).toBe(0)

      yield* TestClock.adjust("1 second")
      yield* Deferred.await(ran)
      expect(contexts(snapshot()).size).toBe(0)
    })
  )

  it.effect("each registration shows once, under the context it was made on; a stopped one leaves", () =>
    Effect.gen(function* () {
      const [ctx, cancel] = yield* GoContext.withCancel(GoContext.background)
      const user = GoContext.key<string>("user")
      const valued = GoContext.withValue(ctx, user, "ann")
      yield* GoContext.afterFunc(ctx, Effect.void)
      const { stop } = yield* GoContext.afterFunc(valued, Effect.void)
      yield* settle

      const shown = contexts(snapshot())
      expect([...shown.keys()].sort()).toEqual([
        "context.Background.WithCancel",
        "context.Background.WithCancel.WithValue(user, ann)"
      ])
      for (const seen of shown.values()) expect(parked(seen)).toEqual([{ op: "afterFunc", wakers: "Anyone" }])

      expect(yield* stop).toBe(true)
      yield* settle
      expect([...contexts(snapshot()).keys()]).toEqual(["context.Background.WithCancel"])
      yield* cancel
    })
  )
})
