/**
 * The entry file of the threads row's threads: the row's loop, served as
 * the Work task. A job answers how long (µs) this thread sat idle between
 * the end of its previous job and the start of this one: the round trip
 * through the main thread that the thread waits out.
 */
import * as Effect from "effect/Effect"
import * as NodeThreads from "../../src/NodeThreads.ts"
import { Work } from "./task.ts"
import { timedWork } from "./work.ts"

NodeThreads.serve(Work, (iterations) => Effect.sync(() => timedWork(iterations)))
