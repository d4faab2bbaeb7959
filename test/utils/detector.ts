/**
 * The deadlock detector runs under the whole test suite: every 20 ms each
 * test worker looks for deadlocks (Diagnostics.findDeadlocks), and a test
 * during which one was found fails in its `afterEach` with the report,
 * unless it declared that it makes deadlocks on purpose
 * ({@link expectDeadlocks}). So the detector is checked for false positives
 * against every test and every example of the tour.
 */
import * as Effect from "effect/Effect"
import { afterEach } from "vitest"
import * as Diagnostics from "../../src/Diagnostics.ts"

let allowed = false
const found = new Map<string, string>()

/** The current test makes deadlocks on purpose (a deadlock test, a deadlock example): do not fail it for them. */
export const expectDeadlocks = (): void => {
  allowed = true
}

const check = (): void => {
  if (allowed) return
  for (const deadlock of Effect.runSync(Diagnostics.findDeadlocks)) {
    const text = Diagnostics.formatDeadlock(deadlock)
    found.set(text.split("\n")[0]! + deadlock.fibers.map((f) => f.fiber.id).join(","), text)
  }
}

const timer = setInterval(check, 20)
timer.unref()

afterEach(() => {
  check()
  const reports = [...found.values()]
  found.clear()
  allowed = false
  if (reports.length > 0) {
    throw new Error(
      `the deadlock detector found ${reports.length} deadlock(s) during this test:\n\n${reports.join("\n\n")}`
    )
  }
})
