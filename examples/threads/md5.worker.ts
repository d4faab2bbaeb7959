/**
 * The entry file of bounded-parallelism-md5-threads' threads: each thread
 * serves Md5 jobs with node:crypto, one at a time.
 */
import * as Effect from "effect/Effect"
import { createHash } from "node:crypto"
import * as NodeThreads from "../../src/NodeThreads.ts"
import { Md5 } from "./md5.task.ts"

NodeThreads.serve(Md5, ({ path, data }) =>
  Effect.sync(() => ({ path, sum: createHash("md5").update(new Uint8Array(data)).digest("hex") }))
)
