/**
 * Runs the threads row alone and prints its tables (bench/threads.ts):
 *
 *   node bench/tools/threads.ts [--quick] [--markdown]
 */
import { threadsMarkdown, threadsRow, threadsText } from "../threads.ts"

const quick = process.argv.includes("--quick")
const markdown = process.argv.includes("--markdown")
const started = performance.now()
const result = await threadsRow({ quick, log: (line) => console.error(line) })
console.log(markdown ? threadsMarkdown(result) : threadsText(result))
console.error(`threads row: ${((performance.now() - started) / 1000).toFixed(1)} s`)
process.exit(0)
