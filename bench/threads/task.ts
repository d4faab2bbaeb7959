/**
 * The job type of the threads row: `iterations` of the row's loop in; out,
 * how long the thread sat idle before the job (µs, see work.ts). Plain
 * numbers, so that the codec's cost is the least a job can have and the
 * row measures the hop itself.
 */
import * as Schema from "effect/Schema"
import * as Threads from "../../src/Threads.ts"

export const Work = Threads.task("BenchWork", { input: Schema.Number, output: Schema.Number })
