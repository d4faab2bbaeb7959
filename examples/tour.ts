/**
 * The examples tour: `npm start` runs every example with a heading;
 * `npm start -- <name> [<name> ...]` runs only those.
 */
import { NodeRuntime } from "@effect/platform-node"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { examples } from "./index.ts"

const wanted = process.argv.slice(2)
const unknown = wanted.filter((name) => !examples.some((e) => e.name === name))

const tour = Effect.gen(function* () {
  if (unknown.length > 0) {
    yield* Console.error(`unknown example(s): ${unknown.join(", ")}`)
    yield* Console.error(`available: ${examples.map((e) => e.name).join(", ")}`)
    return yield* Effect.fail(new Error("unknown example"))
  }
  const selected = wanted.length === 0 ? examples : examples.filter((e) => wanted.includes(e.name))
  const started = Date.now()
  for (const example of selected) {
    yield* Console.log(`\n━━ ${example.name} — ${example.title}\n   (seed ${example.seed}; uses ${example.uses.join(", ")})\n`)
    yield* example.program
  }
  yield* Console.log(`\n${selected.length} example(s) in ${((Date.now() - started) / 1000).toFixed(1)} s`)
})

NodeRuntime.runMain(tour)
