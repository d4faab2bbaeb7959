/**
 * The examples tour: `npm start` runs every example in turn, grouped by the
 * Go document it comes from; `npm start -- <name> [<name> ...]` runs only
 * those; `npm start -- --list` lists them. A name it does not know prints the
 * list instead of running anything.
 */
import { NodeRuntime } from "@effect/platform-node"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Diagnostics from "../src/Diagnostics.ts"
import { documentOf, documents, type Example } from "./Example.ts"
import { examples } from "./index.ts"

const intro = `effect-go examples tour

Each example is a scenario from one of five Go concurrency documents (or the
cheat sheet), written with effect-go: Go's channels, select, WaitGroup, Mutex,
errgroup, context and the rest, on Effect. The tour runs them all, grouped by
document. Each example starts with a heading:

  ━━ <name> — what it shows
     Go: <document> · <section it follows>
     effect-go: <modules it uses>

and what follows is the program's own output (test/examples.test.ts checks it).
Each example runs under the deadlock detector (Diagnostics.layer).
The code of an example is examples/<name>.ts. \`npm start -- <name>\` runs one
example, \`npm start -- --list\` lists them.`

const documentHeading = (name: string): string => {
  const doc = documents.find((d) => d.name === name)
  if (doc === undefined) return `\n══ ${name}`
  return `\n══ ${name}${doc.title === name ? "" : `: "${doc.title}"`}\n   ${doc.about}`
}

const exampleHeading = (example: Example): string =>
  `\n━━ ${example.name} — ${example.title}\n   Go: ${example.section}\n   effect-go: ${example.uses.join(", ")}\n`

/** Every example, by document: its name and what it shows. */
const listing = (): string => {
  const width = Math.max(...examples.map((e) => e.name.length))
  const lines: Array<string> = []
  let document: string | undefined
  for (const example of examples) {
    if (documentOf(example) !== document) {
      document = documentOf(example)
      lines.push(documentHeading(document))
    }
    lines.push(`  ${example.name.padEnd(width)}  ${example.title}`)
  }
  return lines.join("\n").trimStart()
}

const run = (selected: ReadonlyArray<Example>, whole: boolean) =>
  Effect.gen(function* () {
    if (whole) yield* Console.log(intro)
    const started = Date.now()
    let document: string | undefined
    for (const example of selected) {
      if (whole && documentOf(example) !== document) {
        document = documentOf(example)
        yield* Console.log(documentHeading(document))
      }
      yield* Console.log(exampleHeading(example))
      // Every example runs under the deadlock detector, a region of its own:
      // one left hanging would be reported, not wait forever.
      yield* example.program.pipe(Effect.provide(Diagnostics.layer({ name: example.name, interval: "2 seconds" })))
    }
    yield* Console.log(`\n${selected.length} example(s) in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  })

const wanted = process.argv.slice(2)
if (wanted.some((arg) => arg === "--list" || arg === "--help" || arg === "-h")) {
  console.log(`Usage: npm start [-- <name> ...]    (npm start -- --list: this list)\n\n${listing()}`)
} else {
  const unknown = wanted.filter((name) => !examples.some((e) => e.name === name))
  if (unknown.length > 0) {
    console.error(`No example named ${unknown.map((name) => `"${name}"`).join(", ")}. The examples:\n\n${listing()}`)
    process.exitCode = 2
  } else {
    const selected = wanted.length === 0 ? examples : examples.filter((e) => wanted.includes(e.name))
    NodeRuntime.runMain(run(selected, wanted.length === 0))
  }
}
