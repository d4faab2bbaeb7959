/**
 * Duration arguments: one decoder for every primitive that takes one.
 *
 * @internal
 */
import * as Duration from "effect/Duration"

/**
 * Decodes `input`, or says what is wrong with it: not a duration at all
 * (`"bogus"`, `NaN`), negative, or zero where zero is not allowed. Never
 * throws, so that callers can report bad input inside their Effect.
 */
export const parseDuration = (input: Duration.Input, allowZero: boolean): Duration.Duration | string => {
  if (typeof input === "number" && Number.isNaN(input)) return "not a number"
  let duration: Duration.Duration
  try {
    duration = Duration.fromInputUnsafe(input)
  } catch {
    return "not a duration"
  }
  const millis = Duration.toMillis(duration)
  if (Number.isNaN(millis)) return "not a number"
  if (millis < 0) return "must not be negative"
  if (!allowZero && millis === 0) return "must be positive"
  return duration
}
