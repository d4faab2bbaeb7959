/**
 * The job type of bounded-parallelism-md5-threads: the MD5 sum of one
 * file's bytes. Imported by the example and by the threads' entry file
 * (md5.worker.ts), so it holds Schemas only: every thread loads it.
 */
import * as Schema from "effect/Schema"
import * as Transferable from "effect/workers/Transferable"
import * as Threads from "../../src/Threads.ts"

export const Md5 = Threads.task("Md5", {
  input: Schema.Struct({
    path: Schema.String,
    // Moved to the thread, not copied: the sender's buffer is empty afterwards.
    data: Transferable.schema(Schema.instanceOf(ArrayBuffer), (buffer) => [buffer])
  }),
  output: Schema.Struct({ path: Schema.String, sum: Schema.String })
})
