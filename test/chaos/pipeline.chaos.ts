/**
 * Pipeline model for the schedule explorer: a source of 1 to 40 unique
 * values (an array with or without a buffer, a lazy iterable, or a stage fed
 * by a fiber that yields between sends), one or two `map` stages (ordered or
 * not, 1 to 4 workers, output capacity 0 to 3, work that yields a seeded
 * number of times and sometimes fails), read by 1 to 3 readers at once, each
 * with its own way in (`recv`, `recvAll`, a select with a timeout, a
 * `forEach`), each receive perhaps interrupted at a seeded point; a reader
 * may stop early, and the whole pipeline may be stopped (its scope closed)
 * at a seeded point.
 *
 * A plain receive records inside
 * `Effect.uninterruptibleMask((restore) => restore(op).pipe(record))`, so a
 * value it returned is always recorded; a select records in its handler.
 *
 * Invariants:
 * - no value is received twice, and every value received is a source value
 *   that went through every stage (no phantom);
 * - each stage's function ran at most once per value;
 * - with ordered stages only, each reader receives values in source order
 *   (unless receives are interrupted while other readers read: a value an
 *   interrupted receive took goes back to the front of the channel, after
 *   another reader may have received a later one);
 * - when no stage failed, nothing stopped the pipeline and every reader read
 *   to the end: every source value was received (nothing lost);
 * - a stage failure reaches a reader that reads to the end, as that failure;
 * - once the pipeline's scope has closed, no fiber waits on any of its
 *   channels.
 */
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/testing/TestClock"
import * as Chan from "../../src/Chan.ts"
import type { Chaos, ChaosViolation } from "../../src/internal/explore.ts"
import * as Pipeline from "../../src/Pipeline.ts"
import * as Select from "../../src/Select.ts"

class StageError extends Data.TaggedError("StageError")<{ readonly stage: number; readonly value: number }> {}

type Reader = "recv" | "recvAll" | "select" | "forEach"

/** The pipeline model: see the module documentation. */
export const pipelineModel = (chaos: Chaos): Effect.Effect<void, ChaosViolation, Scope.Scope> =>
  Effect.gen(function* () {
    // ---------------------------------------------------------------- set-up
    const L = chaos.between(1, 40)
    const source = Array.from({ length: L }, (_, i) => i + 1)
    const sourceKind = chaos.pick(["array", "buffered", "iterable", "stage"] as const)
    const stages = Array.from({ length: chaos.between(1, 2) }, () => ({
      ordered: chaos.chance(0.7),
      workers: chaos.between(1, 4),
      capacity: chaos.pick([0, 0, 1, 3])
    }))
    const failing = chaos.chance(0.15) ? { stage: chaos.int(stages.length), value: chaos.between(1, L) } : undefined
    const readers = Array.from({ length: chaos.between(1, 3) }, () => ({
      kind: chaos.pick(["recv", "recvAll", "select", "forEach"] as const) as Reader,
      stopAfter: chaos.chance(0.15) ? chaos.between(0, L) : Number.POSITIVE_INFINITY
    }))
    const pInterruptOp = chaos.pick([0, 0, 0.1, 0.3])
    const stopPipeline = chaos.chance(0.15)
    const allOrdered = stages.every((s) => s.ordered)
    chaos.trace(
      `L${L} ${sourceKind} ${stages.map((s) => `${s.ordered ? "o" : "u"}${s.workers}c${s.capacity}`).join(">")} ` +
        `${readers.map((r) => r.kind).join(",")} p${pInterruptOp}${failing ? " fail" : ""}${stopPipeline ? " stop" : ""}`
    )

    // ------------------------------------------------------------- recording
    const violations: Array<string> = []
    const calls = stages.map(() => new Map<number, number>())
    const received = new Map<number, number>()
    const byReader: Array<Array<number>> = readers.map(() => [])
    const readerEnds: Array<"closed" | "stopped" | "failed" | "interrupted" | undefined> = readers.map(() => undefined)
    const readerErrors: Array<unknown> = readers.map(() => undefined)
    const record = (reader: number, value: number): void => {
      chaos.count()
      received.set(value, (received.get(value) ?? 0) + 1)
      byReader[reader]!.push(value)
      chaos.trace(`r${reader}:${value}`)
    }
    chaos.note("received", () => byReader.map((values, i) => `${readers[i]!.kind}: ${values.join(",")}`))
    chaos.note("ends", () => readerEnds)

    /** A stage function: seeded work, at most one call per value, and the failure when it is its turn. */
    const work =
      (stage: number) =>
      (value: number): Effect.Effect<number, StageError> =>
        Effect.suspend(() => {
          chaos.count()
          const n = (calls[stage]!.get(value) ?? 0) + 1
          calls[stage]!.set(value, n)
          if (n > 1) violations.push(`stage ${stage} ran its function ${n} times for ${value}`)
          return Effect.andThen(
            chaos.yields(3),
            failing !== undefined && failing.stage === stage && failing.value === value
              ? Effect.fail(new StageError({ stage, value }))
              : Effect.succeed(value)
          )
        })

    // ------------------------------------------------------------- pipeline
    const channels: Array<Chan.RecvChan<number>> = []
    const scope = yield* Scope.make()
    const build = Effect.gen(function* () {
      let input: Pipeline.Pipe<number, StageError>
      switch (sourceKind) {
        case "array":
          input = yield* Pipeline.from(source)
          break
        case "buffered":
          input = yield* Pipeline.from(source, { capacity: chaos.between(0, 3) })
          break
        case "iterable":
          input = yield* Pipeline.from(source.values())
          break
        case "stage":
          input = yield* Pipeline.stage(
            yield* Pipeline.from(source, { capacity: 1 }),
            (values, out: Chan.SendChan<number>) =>
              Effect.orDie(Chan.forEach(values, (v) => Effect.andThen(chaos.yields(2), Chan.send(out, v))))
          )
      }
      channels.push(input)
      for (let i = 0; i < stages.length; i++) {
        const s = stages[i]!
        input = yield* Pipeline.map(input, work(i), { workers: s.workers, ordered: s.ordered, capacity: s.capacity })
        channels.push(input)
      }
      return input
    })
    const out = yield* Scope.provide(build, scope)

    /** Runs a receive as it is, or in a child fiber interrupted at a seeded point. */
    const maybeInterrupted = <A>(op: Effect.Effect<A>): Effect.Effect<Exit.Exit<A>> =>
      chaos.chance(pInterruptOp)
        ? Effect.flatMap(Effect.forkChild(op), (fiber) =>
            Effect.andThen(chaos.interruptLater(fiber, 6), Fiber.await(fiber))
          )
        : Effect.exit(op)

    /** One reader: receives until the output closes, it stops early, or it is told the pipeline failed. */
    const reader = (id: number): Effect.Effect<void> => {
      const { kind, stopAfter } = readers[id]!
      const enough = () => byReader[id]!.length >= stopAfter
      const end = (how: "closed" | "stopped") =>
        Effect.sync(() => {
          readerEnds[id] = how
        })
      // After the close: the pipeline's outcome, as `check` reports it.
      const closedThenCheck = Effect.andThen(
        end("closed"),
        Effect.catchCause(Pipeline.check(out), (cause) =>
          Effect.sync(() => {
            readerEnds[id] = Cause.hasInterruptsOnly(cause) ? "interrupted" : "failed"
            readerErrors[id] = Cause.squash(cause)
          })
        )
      )
      if (kind === "forEach") {
        return Effect.catchCause(
          Effect.andThen(
            Pipeline.forEach(out, (v) =>
              Effect.suspend(() => {
                record(id, v)
                return enough() ? Effect.interrupt : Effect.void
              })
            ),
            end("closed")
          ),
          (cause) =>
            Effect.sync(() => {
              readerEnds[id] = enough() ? "stopped" : Cause.hasInterruptsOnly(cause) ? "interrupted" : "failed"
              readerErrors[id] = Cause.squash(cause)
            })
        )
      }
      const receiveOnce: Effect.Effect<Option.Option<ReadonlyArray<number>>> =
        kind === "recv"
          ? Effect.uninterruptibleMask((restore) =>
              Effect.map(restore(Chan.recv(out)), (v) => {
                if (Option.isSome(v)) record(id, v.value)
                return Option.map(v, (x) => [x])
              })
            )
          : kind === "recvAll"
            ? Effect.uninterruptibleMask((restore) =>
                Effect.map(restore(Chan.recvAll(out, chaos.between(1, 4))), (values) => {
                  for (const v of values) record(id, v)
                  return values.length === 0 ? Option.none() : Option.some(values)
                })
              )
            : Select.select(
                Select.recv(out, (v) =>
                  Effect.sync(() => {
                    if (Option.isSome(v)) record(id, v.value)
                    return Option.map(v, (x) => [x])
                  })
                ),
                Select.after(chaos.between(1, 5), () => Effect.succeed(Option.some([] as ReadonlyArray<number>)))
              )
      const loop: Effect.Effect<void> = Effect.suspend(() =>
        enough()
          ? end("stopped")
          : Effect.flatMap(maybeInterrupted(receiveOnce), (exit) =>
              Exit.isSuccess(exit) && Option.isNone(exit.value) ? closedThenCheck : loop
            )
      )
      return loop
    }

    // ------------------------------------------------------------------ run
    const fibers: Array<Fiber.Fiber<void>> = []
    for (let id = 0; id < readers.length; id++) fibers.push(yield* Effect.forkChild(reader(id)))
    // A select's timeout needs the TestClock to move while readers wait.
    const clock = yield* Effect.forkChild(
      Effect.forever(Effect.andThen(chaos.yields(4), TestClock.adjust(chaos.between(1, 3))))
    )
    if (stopPipeline) {
      yield* Effect.andThen(chaos.yields(20), Scope.close(scope, Exit.void))
      chaos.trace("stopped")
    }
    // A reader that stopped early, or a pipeline stopped under readers that
    // still read, ends once the scope has closed (the output then closes).
    yield* Effect.raceFirst(
      Fiber.awaitAll(fibers),
      Effect.andThen(
        Effect.repeat(Effect.yieldNow, { until: () => readerEnds.some((e) => e === "stopped") }),
        Scope.close(scope, Exit.void)
      )
    )
    yield* Scope.close(scope, Exit.void)
    yield* Fiber.awaitAll(fibers)
    yield* Fiber.interrupt(clock)

    // ----------------------------------------------------------------- check
    for (const [i, ch] of channels.entries()) {
      const blocked = yield* Chan.blocked(ch)
      if (blocked.length > 0) {
        violations.push(
          `channel ${i}: ${blocked.length} waiter(s) left after the scope closed (${blocked.map((b) => b.op)})`
        )
      }
    }
    for (const [value, times] of received) {
      if (times > 1) violations.push(`${value} received ${times} times`)
      if (!source.includes(value)) violations.push(`${value} received, never sent`)
      for (let s = 0; s < stages.length; s++) {
        if (!calls[s]!.has(value)) violations.push(`${value} received without going through stage ${s}`)
      }
    }
    if (allOrdered && (pInterruptOp === 0 || readers.length === 1)) {
      for (const [id, values] of byReader.entries()) {
        for (let i = 1; i < values.length; i++) {
          if (values[i]! <= values[i - 1]!) {
            violations.push(`reader ${id} received ${values[i]} after ${values[i - 1]}: out of order`)
            break
          }
        }
      }
    }
    const readToTheEnd = readerEnds.every((e) => e === "closed")
    if (failing === undefined && !stopPipeline && readToTheEnd) {
      const lost = source.filter((v) => !received.has(v))
      if (lost.length > 0) violations.push(`lost: ${lost.join(", ")} never received`)
    }
    if (failing !== undefined && !stopPipeline) {
      for (const [id, e] of readerEnds.entries()) {
        const error = readerErrors[id]
        if (e === "failed" && !(error instanceof StageError)) violations.push(`reader ${id} failed with ${error}`)
      }
    }
    if (violations.length > 0) {
      return yield* chaos.fail(`pipeline model: ${violations.slice(0, 5).join("; ")}`)
    }
  })
