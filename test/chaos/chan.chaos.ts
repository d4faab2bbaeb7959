/**
 * Channel model for the schedule explorer: N producers and M consumers (1 to
 * 6 each) over K channels (1 to 4) of mixed capacities (0, 1, small, large),
 * using every way in: `Chan.send`/`recv`/`recvAll`/`trySend`/`tryRecv`/`forEach` and
 * `Select.select` with send, recv, after, otherwise and nil-channel cases.
 * Operations, whole workers and channels are interrupted or closed at seeded
 * points.
 *
 * Every value sent is unique. Recording follows what a user can rely on:
 * - a plain operation records inside
 *   `Effect.uninterruptibleMask((restore) => restore(op).pipe(record))`,
 *   so a value the operation returned is always recorded;
 * - a select records in its case handler (`Select.recv(ch, (v) => record(v))`);
 * - `forEach` records in its callback.
 *
 * A send ends in one of these states: `sent` (it returned), `failed` (it
 * failed with ChanClosedError), `notTaken` (trySend said false, or a select
 * committed another case), `interrupted` (it may or may not have delivered).
 * A select's send cases form a group: at most one of them is delivered.
 *
 * Invariants, checked at the end after draining the channels (the values
 * received plus the values left in the channels form the "delivered" set):
 * - no value is delivered twice;
 * - no phantom: every delivered value was sent by someone, and was not
 *   `failed` or `notTaken`;
 * - nothing lost: every `sent` value is delivered;
 * - at most one value of a select's group is delivered;
 * - a receive yields `none` only on a channel that was closed;
 * - no fiber is left parked on any channel (`Chan.blocked` is empty).
 * And at every step of a watcher fiber (Go's channel invariant, which
 * catches a lost wake-up as it happens): a receiver is parked only on an
 * empty channel with no parked sender, and a sender only on a full one.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as TestClock from "effect/testing/TestClock"
import * as Chan from "../../src/Chan.ts"
import type { Chaos, ChaosViolation } from "../../src/internal/explore.ts"
import * as Select from "../../src/Select.ts"

type Status = "pending" | "sent" | "failed" | "notTaken" | "interrupted"

interface Sent {
  status: Status
  /** The select group this value was offered in (-1: a plain send). */
  readonly group: number
  readonly chan: number
}

const describeValues = (values: ReadonlyArray<number | string>, limit = 10): string =>
  values.length <= limit ? values.join(", ") : `${values.slice(0, limit).join(", ")}, … (${values.length} in all)`

/** The channel model: see the module documentation. */
export const chanModel = (chaos: Chaos): Effect.Effect<void, ChaosViolation, Scope.Scope> =>
  Effect.gen(function* () {
    // ---------------------------------------------------------------- set-up
    const K = chaos.between(1, 4)
    const N = chaos.between(1, 6)
    const M = chaos.between(1, 6)
    const capacities = Array.from({ length: K }, () =>
      chaos.pick([0, 0, 1, chaos.between(2, 4), chaos.between(16, 64)])
    )
    const chans: Array<Chan.Chan<number>> = []
    for (let i = 0; i < K; i++) chans.push(yield* Chan.make<number>(capacities[i]!, { name: `c${i}` }))
    const nil = Chan.nil<number>()
    const closed: Array<boolean> = capacities.map(() => false)
    const pInterruptOp = chaos.pick([0, 0.05, 0.2, 0.5])
    chaos.trace(`K${K} N${N} M${M} cap${capacities.join(",")} p${pInterruptOp}`)

    // ------------------------------------------------------------- recording
    let nextValue = 1
    let nextGroup = 0
    const sends = new Map<number, Sent>()
    /** Values settled or received, receives of none, closes: the watcher's measure of progress. */
    let progress = 0
    const received = new Map<number, number>()
    const violations: Array<string> = []
    const offer = (chan: number, group: number): number => {
      const value = nextValue++
      sends.set(value, { status: "pending", group, chan })
      return value
    }
    const settle = (value: number, status: Status): void => {
      const s = sends.get(value)!
      // A select's handler records "sent" before the select's own exit is seen.
      if (s.status === "pending") s.status = status
      progress++
      chaos.trace(`${status[0]}${value}`)
    }
    const recordRecv = (chan: number, value: Option.Option<number>): void => {
      progress++
      if (Option.isSome(value)) {
        received.set(value.value, (received.get(value.value) ?? 0) + 1)
        chaos.trace(`r${value.value}`)
      } else {
        if (!closed[chan]) violations.push(`a receive on c${chan} yielded none while the channel was open`)
        chaos.trace(`n${chan}`)
      }
    }
    const chanOfError = (cause: Cause.Cause<unknown>): number => {
      const error = Cause.squash(cause)
      const name = error instanceof Chan.ChanClosedError ? error.chanName : undefined
      return name === undefined ? -1 : Number(name.slice(1))
    }
    chaos.note("channels", () => capacities.map((c, i) => `c${i}(cap ${c}${closed[i] ? ", closed" : ""})`).join(" "))
    chaos.note("sends", () => {
      const by: Record<string, number> = {}
      for (const s of sends.values()) by[s.status] = (by[s.status] ?? 0) + 1
      return by
    })

    /** Runs `op` as it is, or in a child fiber that is interrupted at a seeded point. */
    const maybeInterrupted = (op: Effect.Effect<void>): Effect.Effect<void> =>
      Effect.suspend(() =>
        chaos.chance(pInterruptOp)
          ? Effect.flatMap(Effect.forkChild(op), (fiber) =>
              Effect.andThen(chaos.interruptLater(fiber), Effect.asVoid(Fiber.await(fiber)))
            )
          : op
      )

    // ------------------------------------------------------------- producers
    const plainSend = (chan: number): Effect.Effect<void> =>
      Effect.suspend(() => {
        chaos.count()
        const value = offer(chan, -1)
        return Effect.uninterruptibleMask((restore) =>
          restore(Chan.send(chans[chan]!, value)).pipe(
            Effect.onExit((exit) =>
              Effect.sync(() =>
                settle(
                  value,
                  Exit.isSuccess(exit) ? "sent" : Cause.hasInterrupts(exit.cause) ? "interrupted" : "failed"
                )
              )
            ),
            Effect.ignore
          )
        )
      })

    const trySend = (chan: number): Effect.Effect<void> =>
      Effect.suspend(() => {
        chaos.count()
        const value = offer(chan, -1)
        return Effect.uninterruptibleMask((restore) =>
          restore(Chan.trySend(chans[chan]!, value)).pipe(
            Effect.onExit((exit) =>
              Effect.sync(() =>
                settle(
                  value,
                  Exit.isSuccess(exit)
                    ? exit.value
                      ? "sent"
                      : "notTaken"
                    : Cause.hasInterrupts(exit.cause)
                      ? "interrupted"
                      : "failed"
                )
              )
            ),
            Effect.ignore
          )
        )
      })

    const selectSend = (): Effect.Effect<void> =>
      Effect.suspend(() => {
        chaos.count()
        const group = nextGroup++
        const targets = [...chans.keys()].filter(() => chaos.chance(0.6))
        if (targets.length === 0) targets.push(chaos.int(K))
        const offered: Array<number> = []
        const cases: Array<Select.Case<void, Chan.ChanClosedError>> = targets.map((chan) => {
          const value = offer(chan, group)
          offered.push(value)
          return Select.send(chans[chan]!, value, () => Effect.sync(() => settle(value, "sent")))
        })
        if (chaos.chance(0.2))
          cases.push(Select.send(nil, 0, () => Effect.sync(() => violations.push("a nil-channel send case fired"))))
        if (chaos.chance(0.3)) cases.push(Select.after(chaos.between(1, 5), () => Effect.void))
        if (chaos.chance(0.2)) cases.push(Select.otherwise(() => Effect.void))
        return Select.select(...cases).pipe(
          Effect.onExit((exit) =>
            Effect.sync(() => {
              const failedChan = Exit.isFailure(exit) && !Cause.hasInterrupts(exit.cause) ? chanOfError(exit.cause) : -2
              const interrupted = Exit.isFailure(exit) && Cause.hasInterrupts(exit.cause)
              for (const value of offered) {
                const s = sends.get(value)!
                if (s.status !== "pending") continue
                settle(value, interrupted ? "interrupted" : s.chan === failedChan ? "failed" : "notTaken")
              }
            })
          ),
          Effect.ignore
        )
      })

    const producer = (id: number): Effect.Effect<void> =>
      Effect.suspend(() => {
        const quota = chaos.between(10, 150)
        let i = 0
        const open = () => closed.some((c) => !c)
        return Effect.whileLoop({
          while: () => i++ < quota && open(),
          body: () => {
            const kind = chaos.int(10)
            const chan = chaos.int(K)
            return maybeInterrupted(kind < 5 ? plainSend(chan) : kind < 7 ? trySend(chan) : selectSend()).pipe(
              Effect.andThen(chaos.chance(0.1) ? chaos.yields(2) : Effect.void)
            )
          },
          step: () => {}
        }).pipe(Effect.ensuring(Effect.sync(() => chaos.trace(`P${id}`))))
      })

    // ------------------------------------------------------------- consumers
    const plainRecv = (chan: number): Effect.Effect<void> =>
      Effect.suspend(() => {
        chaos.count()
        return Effect.uninterruptibleMask((restore) =>
          restore(Chan.recv(chans[chan]!)).pipe(Effect.tap((value) => Effect.sync(() => recordRecv(chan, value))))
        ).pipe(Effect.asVoid)
      })

    const tryRecv = (chan: number): Effect.Effect<void> =>
      Effect.suspend(() => {
        chaos.count()
        return Effect.uninterruptibleMask((restore) =>
          restore(Chan.tryRecv(chans[chan]!)).pipe(
            Effect.tap((result) =>
              Effect.sync(() => {
                if (result._tag === "Received") recordRecv(chan, Option.some(result.value))
                else if (result._tag === "Closed") recordRecv(chan, Option.none())
              })
            )
          )
        ).pipe(Effect.andThen(Effect.yieldNow))
      })

    const recvAll = (chan: number): Effect.Effect<void> =>
      Effect.suspend(() => {
        chaos.count()
        const max = chaos.pick([1, 3, Infinity])
        return Effect.uninterruptibleMask((restore) =>
          restore(Chan.recvAll(chans[chan]!, max)).pipe(
            Effect.tap((values) =>
              Effect.sync(() => {
                if (values.length > max) violations.push(`recvAll(${max}) returned ${values.length} values`)
                if (values.length === 0) recordRecv(chan, Option.none())
                for (const value of values) recordRecv(chan, Option.some(value))
              })
            )
          )
        ).pipe(Effect.asVoid)
      })

    const selectRecv = (): Effect.Effect<void> =>
      Effect.suspend(() => {
        chaos.count()
        const targets = [...chans.keys()].filter(() => chaos.chance(0.6))
        if (targets.length === 0) targets.push(chaos.int(K))
        const cases: Array<Select.Case<void>> = targets.map((chan) =>
          Select.recv(chans[chan]!, (value) => Effect.sync(() => recordRecv(chan, value)))
        )
        if (chaos.chance(0.2))
          cases.push(Select.recv(nil, () => Effect.sync(() => violations.push("a nil-channel recv case fired"))))
        if (chaos.chance(0.3)) cases.push(Select.after(chaos.between(1, 5), () => Effect.void))
        if (chaos.chance(0.2)) cases.push(Select.otherwise(() => Effect.void))
        return Select.select(...cases)
      })

    const forEach = (chan: number): Effect.Effect<void> =>
      Effect.suspend(() => {
        chaos.count()
        return Chan.forEach(chans[chan]!, (value) =>
          Effect.sync(() => {
            chaos.count()
            recordRecv(chan, Option.some(value))
          })
        ).pipe(
          // Ranging ends only when the channel is closed and drained.
          Effect.andThen(Effect.sync(() => recordRecv(chan, Option.none())))
        )
      })

    const consumer = (id: number): Effect.Effect<void> =>
      Effect.suspend(() => {
        const quota = chaos.between(20, 300)
        let i = 0
        const open = () => closed.some((c) => !c)
        return Effect.whileLoop({
          while: () => i++ < quota && open(),
          body: () => {
            const kind = chaos.int(20)
            const chan = chaos.int(K)
            return maybeInterrupted(
              kind < 8
                ? plainRecv(chan)
                : kind < 11
                  ? tryRecv(chan)
                  : kind < 17
                    ? selectRecv()
                    : kind < 19
                      ? recvAll(chan)
                      : forEach(chan)
            )
          },
          step: () => {}
        }).pipe(Effect.ensuring(Effect.sync(() => chaos.trace(`C${id}`))))
      })

    // --------------------------------------------------------------- watcher
    const closeChan = (chan: number): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (closed[chan]) return Effect.void
        // Flag first: closing wakes receivers on this fiber's stack.
        closed[chan] = true
        progress++
        chaos.trace(`x${chan}`)
        return Effect.ignore(Chan.close(chans[chan]!))
      })
    const closeAll = Effect.suspend(() => Effect.forEach(chans.keys(), closeChan, { discard: true }))

    /**
     * Go's channel invariant, on a snapshot taken in one step (the watcher
     * could yield between two effects, and the channels change meanwhile).
     */
    const checkShape = Effect.sync(() => {
      for (let chan = 0; chan < K; chan++) {
        const blocked = Effect.runSync(Chan.blocked(chans[chan]!))
        const len = Effect.runSync(Chan.len(chans[chan]!))
        const receivers = blocked.filter((b) => b.op.includes("recv")).length
        const senders = blocked.filter((b) => b.op.includes("send")).length
        if (receivers > 0 && (len > 0 || senders > 0)) {
          violations.push(
            `c${chan}: ${receivers} receiver(s) parked while ${len} value(s) are buffered and ${senders} sender(s) park`
          )
        }
        if (senders > 0 && len < capacities[chan]!) {
          violations.push(
            `c${chan}: ${senders} sender(s) parked while the buffer has room (${len} of ${capacities[chan]})`
          )
        }
      }
    })

    let producersLeft = N
    let consumersLeft = M
    chaos.note(
      "workers",
      () => `${producersLeft} of ${N} producers and ${consumersLeft} of ${M} consumers still running`
    )
    /**
     * The watcher is the run's clock and closer. While the workers make
     * progress it only looks (and now and then closes a channel early); when
     * nothing happened since its last look, it moves the TestClock (firing
     * `after` cases), and when nothing happens for a while even so, the
     * workers wait for each other for good (every consumer on a channel no
     * producer uses, say): it closes a channel. Once every producer or every
     * consumer has ended, it closes them all, which ends the others.
     */
    const watcher = Effect.suspend(() => {
      let seen = -1
      let stalls = 0
      return Effect.whileLoop({
        while: () => producersLeft > 0 && consumersLeft > 0 && violations.length === 0,
        body: () =>
          Effect.suspend(() => {
            const steps: Array<Effect.Effect<void>> = [chaos.yields(3)]
            if (chaos.chance(0.25)) steps.push(checkShape)
            if (progress !== seen) {
              seen = progress
              stalls = 0
              if (chaos.chance(1 / (300 * K))) steps.push(closeChan(chaos.int(K)))
            } else if (++stalls > 20) {
              stalls = 0
              const open = [...chans.keys()].filter((chan) => !closed[chan])
              if (open.length > 0) steps.push(closeChan(chaos.pick(open)))
            } else {
              steps.push(TestClock.adjust(chaos.between(1, 5)))
            }
            return Effect.all(steps, { discard: true })
          }),
        step: () => {}
      }).pipe(Effect.andThen(checkShape), Effect.andThen(closeAll))
    })

    // ------------------------------------------------------------------ run
    const workers: Array<Fiber.Fiber<void>> = []
    for (let id = 0; id < N; id++) {
      workers.push(yield* Effect.forkChild(producer(id).pipe(Effect.ensuring(Effect.sync(() => producersLeft--)))))
    }
    for (let id = 0; id < M; id++) {
      workers.push(yield* Effect.forkChild(consumer(id).pipe(Effect.ensuring(Effect.sync(() => consumersLeft--)))))
    }
    for (const worker of workers) if (chaos.chance(0.1)) yield* chaos.interruptLater(worker, 400)
    yield* watcher
    // Once every channel is closed, every worker ends: a parked send fails,
    // a parked receive yields none.
    yield* Fiber.awaitAll(workers)

    // ----------------------------------------------------------------- check
    const leftovers: Array<number> = []
    for (let chan = 0; chan < K; chan++) {
      const blocked = yield* Chan.blocked(chans[chan]!)
      if (blocked.length > 0) {
        violations.push(
          `c${chan}: ${blocked.length} waiter(s) left after every worker ended: ${blocked.map((b) => b.op).join(", ")}`
        )
      }
      for (;;) {
        const next = yield* Chan.tryRecv(chans[chan]!)
        if (next._tag !== "Received") break
        leftovers.push(next.value)
        received.set(next.value, (received.get(next.value) ?? 0) + 1)
      }
    }
    chaos.trace(`left ${leftovers.length}`)

    const duplicated: Array<number> = []
    const phantom: Array<string> = []
    for (const [value, times] of received) {
      if (times > 1) duplicated.push(value)
      const s = sends.get(value)
      if (s === undefined) phantom.push(`${value} (never sent)`)
      else if (s.status === "failed" || s.status === "notTaken") phantom.push(`${value} (its send was ${s.status})`)
      else if (s.status === "pending") phantom.push(`${value} (its send never ended)`)
    }
    const lost: Array<number> = []
    const groups = new Map<number, Array<number>>()
    for (const [value, s] of sends) {
      if (s.status === "sent" && !received.has(value)) lost.push(value)
      if (s.group >= 0 && received.has(value)) groups.set(s.group, [...(groups.get(s.group) ?? []), value])
    }
    for (const [group, values] of groups) {
      if (values.length > 1)
        violations.push(`select ${group} delivered ${values.length} of its send cases: ${values.join(", ")}`)
    }
    if (duplicated.length > 0) violations.push(`delivered twice: ${describeValues(duplicated)}`)
    if (phantom.length > 0) violations.push(`phantom values: ${describeValues(phantom)}`)
    if (lost.length > 0) {
      const where = lost.map(
        (v) => `${v} (to c${sends.get(v)!.chan}${sends.get(v)!.group >= 0 ? ", by a select" : ""})`
      )
      violations.push(
        `lost: ${lost.length} value(s) whose send completed were never received nor left in a channel: ${describeValues(where)}`
      )
    }
    if (violations.length > 0) {
      return yield* chaos.fail(
        `channel model (K=${K} N=${N} M=${M} capacities ${capacities.join(",")}): ${violations.slice(0, 5).join("; ")}` +
          (violations.length > 5 ? `; and ${violations.length - 5} more` : "")
      )
    }
  })
