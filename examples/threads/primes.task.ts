/**
 * The job type of threads-cpu-stage: count the primes in `[from, to)`.
 * Imported by the example and by the threads' entry file
 * (primes.worker.ts), so it holds Schemas only: every thread loads it.
 */
import * as Schema from "effect/Schema"
import * as Threads from "../../src/Threads.ts"

export const CountPrimes = Threads.task("CountPrimes", {
  input: Schema.Struct({ from: Schema.Number, to: Schema.Number }),
  /** `thread`: the `threadId` of the thread that counted, to show where jobs ran. */
  output: Schema.Struct({ from: Schema.Number, to: Schema.Number, primes: Schema.Number, thread: Schema.Number })
})
