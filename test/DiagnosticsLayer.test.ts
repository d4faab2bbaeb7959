import { spawn } from "node:child_process"
import { join } from "node:path"
import { describe, expect } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as TestClock from "effect/testing/TestClock"
import * as Chan from "../src/Chan.ts"
import * as Diagnostics from "../src/Diagnostics.ts"
import { InvalidArgumentError } from "../src/internal/copied.ts"
import * as Mutex from "../src/Mutex.ts"
import { it } from "./utils/leak.ts"
import { beforeEach } from "vitest"
import { expectDeadlocks } from "./utils/detector.ts"

// These tests make deadlocks on purpose.
beforeEach(expectDeadlocks)

/** A logger that keeps the messages logged, for the layer's reports. */
const capture = () => {
  const messages: Array<string> = []
  const logger = Logger.make<unknown, void>(({ message }) => {
    messages.push((Array.isArray(message) ? message : [message]).map(String).join(" "))
  })
  return { messages, layer: Logger.layer([logger]) }
}

/** Runs `program` while moving the TestClock in 10 ms steps, until it ends. */
const drive = <A, E>(program: Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(program)
    for (let i = 0; i < 1000 && fiber.pollUnsafe() === undefined; i++) yield* TestClock.adjust("10 millis")
    return yield* Fiber.await(fiber)
  })

const inversion = Effect.gen(function* () {
  const a = yield* Mutex.make({ name: "a" })
  const b = yield* Mutex.make({ name: "b" })
  const both = yield* Deferred.make<void>()
  let holding = 0
  const transfer = (first: Mutex.Mutex, second: Mutex.Mutex) =>
    Effect.gen(function* () {
      if (++holding === 2) yield* Deferred.succeed(both, undefined)
      yield* Deferred.await(both)
      yield* Mutex.withLock(second)(Effect.void)
    }).pipe(Mutex.withLock(first))
  const ab = yield* Effect.forkChild(transfer(a, b))
  const ba = yield* Effect.forkChild(transfer(b, a))
  return [yield* Fiber.await(ab), yield* Fiber.await(ba)] as const
})

const defectOf = (exit: Exit.Exit<unknown, unknown>): unknown =>
  Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined

describe("Diagnostics.layer", () => {
  it.effect("fails the fibers of a lock-order inversion with DeadlockError, after logging the report once", () =>
    Effect.gen(function* () {
      const log = capture()
      const exit = yield* drive(
        inversion.pipe(
          Effect.provide(Diagnostics.layer({ interval: "100 millis", onDeadlock: "fail", signal: false })),
          Effect.provide(log.layer)
        )
      )
      const [ab, ba] = Exit.isSuccess(exit) ? exit.value : expect.fail("the program itself failed")
      expect(defectOf(ab)).toBeInstanceOf(Diagnostics.DeadlockError)
      expect(defectOf(ba)).toBeInstanceOf(Diagnostics.DeadlockError)
      const reports = log.messages.filter((m) => m.includes("effect-go: deadlock!"))
      expect(reports).toHaveLength(1)
      expect(reports[0]).toContain("(a wait-for cycle)")
      expect(reports[0]).toContain("```mermaid\nflowchart LR")
    })
  )

  it.effect("with onDeadlock log, logs the report once and leaves the fibers blocked", () =>
    Effect.gen(function* () {
      const log = capture()
      const fiber = yield* Effect.forkChild(
        inversion.pipe(
          Effect.provide(Diagnostics.layer({ interval: "100 millis", signal: false })),
          Effect.provide(log.layer)
        )
      )
      for (let i = 0; i < 50; i++) yield* TestClock.adjust("10 millis")
      expect(fiber.pollUnsafe()).toBeUndefined()
      expect(log.messages.filter((m) => m.includes("effect-go: deadlock!"))).toHaveLength(1)
      yield* Fiber.interrupt(fiber)
    })
  )

  it.effect("the program is a region: a main fiber waiting on a channel nobody sends to is asleep", () =>
    Effect.gen(function* () {
      const log = capture()
      const exit = yield* drive(
        Effect.gen(function* () {
          const jobs = yield* Chan.make<number>(0, { name: "jobs" })
          return yield* Chan.recv(jobs)
        }).pipe(
          Effect.provide(
            Diagnostics.layer({ interval: "100 millis", onDeadlock: "fail", signal: false, name: "main" })
          ),
          Effect.provide(log.layer)
        )
      )
      const error = defectOf(exit) as Diagnostics.DeadlockError
      expect(error).toBeInstanceOf(Diagnostics.DeadlockError)
      expect(error.deadlock.kind).toBe("asleep")
      expect(error.deadlock.region).toBe("main")
      expect(error.message).toContain(`all fibers of region "main" are asleep`)
      expect(error.message).toContain(`recv on Chan "jobs"`)
    })
  )

  it.effect("a program whose fibers sleep on the Clock is never reported", () =>
    Effect.gen(function* () {
      const log = capture()
      const exit = yield* drive(
        Effect.gen(function* () {
          const ch = yield* Chan.make<number>(0, { name: "ticks" })
          yield* Effect.forkChild(Effect.andThen(Effect.sleep("3 seconds"), Chan.send(ch, 1)))
          return yield* Chan.recv(ch)
        }).pipe(
          Effect.provide(Diagnostics.layer({ interval: "100 millis", onDeadlock: "fail", signal: false })),
          Effect.provide(log.layer)
        )
      )
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(log.messages.filter((m) => m.includes("deadlock"))).toStrictEqual([])
    })
  )

  it.effect("bad options are a defect of the layer naming the option", () =>
    Effect.gen(function* () {
      const bad = [
        [{ interval: "soon" }, "interval"],
        [{ interval: 0 }, "interval"],
        [{ onDeadlock: "panic" }, "onDeadlock"],
        [{ signal: "QUIT" }, "signal"],
        [{ name: 3 }, "name"],
        ["fast", "options object"]
      ] as const
      for (const [options, what] of bad) {
        const exit = yield* Effect.exit(Effect.provide(Effect.void, Diagnostics.layer(options as never)))
        const defect = defectOf(exit) as Error
        expect(defect, JSON.stringify(options)).toBeInstanceOf(Error)
        expect(defect.message).toContain(what)
      }
      expect(defectOf(yield* Effect.exit(Effect.provide(Effect.void, Diagnostics.layer("x" as never))))).toBeInstanceOf(
        InvalidArgumentError
      )
    })
  )
})

/** Runs a fixture program with Node 24 (type stripping); returns its output and how it ended. */
const runFixture = (
  file: string,
  args: ReadonlyArray<string>,
  onOutput?: (text: string, kill: (signal: NodeJS.Signals) => void) => void
) =>
  Effect.callback<{ readonly out: string; readonly code: number | null; readonly signal: NodeJS.Signals | null }>(
    (resume) => {
      const child = spawn(process.execPath, ["--no-warnings", join(import.meta.dirname, "fixtures", file), ...args], {
        stdio: ["ignore", "pipe", "pipe"]
      })
      let out = ""
      const take = (chunk: Buffer) => {
        out += chunk.toString()
        onOutput?.(out, (signal) => child.kill(signal))
      }
      child.stdout.on("data", take)
      child.stderr.on("data", take)
      child.on("close", (code, signal) => resume(Effect.succeed({ out, code, signal })))
      return Effect.sync(() => child.kill("SIGKILL"))
    }
  )

describe("Diagnostics.layer in a process", () => {
  it.live("reports all fibers asleep when Node is about to exit with fibers parked, and exits with code 2", () =>
    Effect.gen(function* () {
      const { out, code } = yield* runFixture("asleep.ts", ["log"])
      expect(out).toContain("effect-go: deadlock! 1 fiber can never be woken (all fibers are asleep")
      expect(out).toContain(`"main": recv on Chan "jobs"`)
      expect(out).not.toContain("program ended")
      expect(code).toBe(2)
    })
  )

  it.live("with onDeadlock fail, the program ends with the DeadlockError instead of exiting silently", () =>
    Effect.gen(function* () {
      const { out, code } = yield* runFixture("asleep.ts", ["fail"])
      expect(out).toContain("program failed: DeadlockError: effect-go: deadlock! 1 fiber can never be woken")
      expect(code).toBe(1)
    })
  )

  it.live("prints the dump on SIGQUIT and goes on running", () =>
    Effect.gen(function* () {
      let sent = false
      let dumped = false
      const { out, signal } = yield* runFixture("dump-on-signal.ts", [], (text, kill) => {
        if (!sent && text.includes("ready")) {
          sent = true
          kill("SIGQUIT")
        } else if (sent && !dumped && text.includes(`recv, blocked`)) {
          dumped = true
          // Still alive after the dump: stop it ourselves.
          setTimeout(() => kill("SIGTERM"), 100)
        }
      })
      expect(out).toContain("effect-go: 1 fiber blocked on 1 primitive")
      expect(out).toMatch(/Chan "jobs" \(capacity 0, len 0\)\n {2}fiber #\d+ "worker": recv, blocked/)
      expect(signal).toBe("SIGTERM")
    })
  )
})
