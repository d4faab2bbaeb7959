/**
 * The floor of the threads row: a bare `worker_threads` Worker running the
 * row's loop, answering each number it is sent as worker.ts does (no
 * Effect, no Schema). It says "ready" once loaded.
 */
import { parentPort } from "node:worker_threads"
import { timedWork } from "./work.ts"

const port = parentPort!
port.on("message", (iterations: number) => port.postMessage(timedWork(iterations)))
port.postMessage("ready")
