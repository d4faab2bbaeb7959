import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"

/** The defect an Exit died with (squashed), or undefined if it did not die. */
export const defectOf = (exit: Exit.Exit<unknown, unknown>): unknown =>
  Exit.isFailure(exit) && Cause.hasDies(exit.cause) ? Cause.squash(exit.cause) : undefined

/** True when the Exit is a failure made of interruptions only. */
export const isInterruptedOnly = (exit: Exit.Exit<unknown, unknown>): boolean =>
  Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)
