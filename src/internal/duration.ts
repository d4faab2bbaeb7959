/**
 * Duration arguments: one decoder for every function that takes one
 * (`Timer`, `Ticker`, `Select.after`, `GoContext.withTimeout`), so that the
 * same input gets the same verdict and the same message everywhere.
 *
 * Accepted: milliseconds (a number), a bigint of nanoseconds, a `Duration`,
 * a string such as `"500 millis"`, a `[seconds, nanos]` pair, and a plain
 * object of Duration fields (`{ seconds: 1 }`). Rejected, with a reason:
 * - what is no duration at all (`"bogus"`, `true`, `undefined`), and what
 *   Effect's own decoder would read as a made-up value: an object with an
 *   unknown field (`{ ms: 5 }` would be 0), a field that is not a number, an
 *   instance of a class (a `Date` would be 0), a pair that is not two numbers;
 * - NaN anywhere (a NaN number, pair element or field, or fields adding up
 *   to NaN: Effect would read each as 0, a timeout that fires at once);
 * - a negative duration, except where the caller allows it (a context
 *   timeout: Go's `WithTimeout` with a negative duration is already expired);
 * - zero, where the caller does not allow it (a ticker interval: Go panics).
 *
 * Infinity — one rule everywhere: an infinite duration (`Infinity`,
 * `"Infinity"`, `Duration.infinity`) is accepted and means "never": a timer
 * that never fires (until reset), a ticker that never ticks (until reset), a
 * select timeout case that is never chosen, a context without a deadline of
 * its own. Go has no infinite `Duration`, but its largest (~292 years) is the
 * idiom for the same thing, and Effect's `Duration.infinity` means the same
 * (`Effect.sleep(Duration.infinity)` never ends). So `Select.after(timeout ??
 * Infinity)` is a select with an optional timeout. A negative infinity is
 * negative.
 *
 * @internal
 */
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { show, typeName } from "./copied.ts"

/**
 * A duration that is not one (a string such as "bogus", an object with
 * unknown fields), not a number or negative; or, for a ticker, zero (Go
 * panics on a non-positive ticker interval; timers accept zero). An infinite
 * duration is valid: it means "never". `reason` says what is wrong and what
 * is wanted.
 *
 * A programmer error: `Timer`, `Ticker`, `Select.after` and the context
 * timeouts die with it when the effect runs, with the same message for the
 * same input everywhere.
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidDurationError extends Data.TaggedError("InvalidDurationError")<{
  readonly duration: Duration.Input
  readonly reason: string
}> {
  override get message(): string {
    const hint = this.reason.startsWith("not a duration") ? `; ${WANTED}` : ""
    return `invalid duration ${showDuration(this.duration)}: ${this.reason}${hint}`
  }
}

const WANTED = 'want milliseconds (a number), a Duration, or a string such as "500 millis"'

/** A duration as given, for a message: `-1`, `"bogus"`, `[1, NaN]`, `{ ms: 5 }`. */
const showDuration = (input: unknown): string => {
  if (Duration.isDuration(input)) return `Duration(${String(input)})`
  if (Array.isArray(input)) return `[${input.map(show).join(", ")}]`
  if (isPlainObject(input)) {
    return `{ ${Object.entries(input)
      .map(([k, v]) => `${k}: ${show(v)}`)
      .join(", ")} }`
  }
  return show(input)
}

const isPlainObject = (u: unknown): u is Record<string, unknown> => {
  if (typeof u !== "object" || u === null) return false
  const proto = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

/** The fields of a `Duration.DurationObject`, with their length in milliseconds. */
const DURATION_FIELDS: ReadonlyMap<string, number> = new Map([
  ["weeks", 604_800_000],
  ["days", 86_400_000],
  ["hours", 3_600_000],
  ["minutes", 60_000],
  ["seconds", 1_000],
  ["milliseconds", 1],
  ["microseconds", 1e-3],
  ["nanoseconds", 1e-6]
])

/**
 * What is wrong with the shape of an object input, or undefined: Effect's
 * decoder would accept these and make up a value (see the module doc).
 */
const shapeProblem = (input: object): string | undefined => {
  if (Duration.isDuration(input)) return undefined
  if (Array.isArray(input)) {
    if (input.length === 2 && input.every((x) => typeof x === "number")) {
      return input.some(Number.isNaN) ? "not a number" : undefined
    }
    return "not a duration: a pair must be [seconds, nanos], two numbers"
  }
  if (!isPlainObject(input)) return "not a duration"
  let total = 0
  for (const [key, value] of Object.entries(input)) {
    const unit = DURATION_FIELDS.get(key)
    if (unit === undefined) return `not a duration: unknown field ${JSON.stringify(key)}`
    if (value === undefined) continue
    if (typeof value !== "number") return `not a duration: field ${key} must be a number, not ${typeName(value)}`
    if (Number.isNaN(value)) return `not a number: field ${key} is NaN`
    total += value * unit
  }
  // Fields of opposite infinite signs (Effect would read 0).
  return Number.isNaN(total) ? "not a number: the fields add up to Infinity - Infinity" : undefined
}

/**
 * Decodes `input` by the rules of the module doc, or says what is wrong
 * with it. Never throws, so that callers can report bad input inside their
 * Effect (or, for a select case, when the select runs).
 *
 * @param allowZero whether zero is valid (it is for timers and timeouts, not for ticker intervals)
 * @param allowNegative whether a negative duration is valid (a context timeout, already expired)
 */
export const parseDuration = (
  input: unknown,
  allowZero: boolean,
  allowNegative = false
): Duration.Duration | InvalidDurationError => {
  const reason = reasonAgainst(input, allowZero, allowNegative)
  return typeof reason === "string" ? new InvalidDurationError({ duration: input as Duration.Input, reason }) : reason
}

const reasonAgainst = (input: unknown, allowZero: boolean, allowNegative: boolean): Duration.Duration | string => {
  if (typeof input === "number" && Number.isNaN(input)) return "not a number"
  if (typeof input === "object" && input !== null) {
    const problem = shapeProblem(input)
    if (problem !== undefined) return problem
  }
  let duration: Duration.Duration
  try {
    duration = Duration.fromInputUnsafe(input as Duration.Input)
  } catch {
    return "not a duration"
  }
  const millis = Duration.toMillis(duration)
  if (Number.isNaN(millis)) return "not a number"
  if (millis < 0 && !allowNegative) return "must not be negative"
  if (millis === 0 && !allowZero) return "must be positive"
  return duration
}

/**
 * {@link parseDuration} as an Effect: a bad duration is a programmer error,
 * so the effect dies with {@link InvalidDurationError} when it runs (never
 * when it is built), and its error channel stays empty.
 */
export const decodeDuration = (
  input: unknown,
  allowZero: boolean,
  allowNegative = false
): Effect.Effect<Duration.Duration> =>
  Effect.suspend(() => {
    const decoded = parseDuration(input, allowZero, allowNegative)
    return Duration.isDuration(decoded) ? Exit.succeed(decoded) : Exit.die(decoded)
  })
