/** The entry file of the smoke program's threads (compiled to out/thread.js). */
import { Effect } from "effect"
import * as NodeThreads from "effect-go/NodeThreads"
import { Square } from "./task.js"

NodeThreads.serve(Square, (n) => Effect.succeed(n * n))
