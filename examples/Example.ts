/**
 * The shape of an example: a complete program, what it shows and where it
 * comes from, and the output it must print (checked by test/examples.test.ts).
 */
import { NodeRuntime } from "@effect/platform-node"
import type * as Effect from "effect/Effect"

export interface Example {
  /** Short kebab-case name: `npm start -- <name>` runs just this one. */
  readonly name: string
  /**
   * The Go document and section it re-expresses, e.g. "Go Concurrency ·
   * Pipeline Pattern": the part before the first " · " is the `name` of one
   * of {@link documents}.
   */
  readonly section: string
  /** One line: what it shows. */
  readonly title: string
  /** The effect-go modules it uses (a column of README's examples table). */
  readonly uses: ReadonlyArray<string>
  /** The program. It prints with `Console.log`, so tests can read its output. */
  readonly program: Effect.Effect<void, unknown>
  /**
   * Lines (or patterns) the output must contain, in this order; other lines
   * may come between them.
   */
  readonly expected: ReadonlyArray<string | RegExp>
  /**
   * It strands fibers on purpose for a while (a leak it then shows or cleans
   * up), so the deadlock detector's reports during it are expected. Examples
   * that use `Diagnostics` are taken to do so.
   */
  readonly deadlocksOnPurpose?: boolean
}

/** A Go document the examples come from. */
export interface Document {
  /** The short name an example's `section` starts with. */
  readonly name: string
  /** The document's own title. */
  readonly title: string
  /** What it covers, in a line. */
  readonly about: string
}

/** The documents the examples come from, in tour order. */
export const documents: ReadonlyArray<Document> = [
  {
    name: "Coordination Guide",
    title: "Concurrency Coordination: Advanced Developer Guide",
    about: "WaitGroup, Once, Cond, errgroup with a context, common mistakes, best practices"
  },
  {
    name: "Go Concurrency",
    title: "Go Concurrency",
    about: "goroutine lifecycle, channels, pipelines, select, errgroup, context, mutexes, atomics, data races"
  },
  {
    name: "WaitGroup Deep Dive",
    title: "sync.WaitGroup Deep Dive",
    about: "worker pools, pipelines, batches, WaitGroup with a context, dynamic and hierarchical groups, monitoring"
  },
  {
    name: "Correctness & Trade-offs",
    title: "Concurrency correctness, patterns, and trade-offs",
    about: "goroutines, channels and select; races, mutex or channel; fan-out and worker pools; context and timeouts"
  },
  {
    name: "sync.WaitGroup",
    title: "sync.WaitGroup",
    about: "usage patterns, common bugs, WaitGroup or channels, a real-world leak, interview traps, exercises"
  },
  {
    name: "Cheat sheet",
    title: "Go → effect-go cheat sheet (docs/cheatsheet.md)",
    about: "the ten Go concurrency patterns that come up most, in effect-go"
  }
]

/** The name of the document an example comes from (the start of its `section`). */
export const documentOf = (example: Example): string => example.section.split(" · ", 1)[0]!

export const make = (example: Example): Example => example

/** Whether the deadlock detector may report during this example (see {@link Example.deadlocksOnPurpose}). */
export const deadlocksOnPurpose = (example: Example): boolean =>
  example.deadlocksOnPurpose === true || example.uses.includes("Diagnostics")

/** Runs one example as a program of its own (`node examples/<file>.ts`). */
export const runMain = (example: Example): void => NodeRuntime.runMain(example.program)
