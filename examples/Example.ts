/**
 * The shape of an example: a complete program, what it shows and where it
 * comes from, and the output it must print (checked by test/examples.test.ts).
 */
import { NodeRuntime } from "@effect/platform-node"
import type * as Effect from "effect/Effect"

export interface Example {
  /** Short kebab-case name: `npm start -- <name>` runs just this one. */
  readonly name: string
  /** The seed document and section it mirrors, e.g. "001 · Pipelines". */
  readonly seed: string
  /** One line: what it shows. */
  readonly title: string
  /** The effect-go modules it uses (README's seed → example table). */
  readonly uses: ReadonlyArray<string>
  /** The program. It prints with `Console.log`, so tests can read its output. */
  readonly program: Effect.Effect<void, unknown>
  /**
   * Lines (or patterns) the output must contain, in this order; other lines
   * may come between them.
   */
  readonly expected: ReadonlyArray<string | RegExp>
}

export const make = (example: Example): Example => example

/** Runs one example as a program of its own (`node examples/<file>.ts`). */
export const runMain = (example: Example): void => NodeRuntime.runMain(example.program)
