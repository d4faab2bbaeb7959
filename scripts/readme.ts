/** Rewrites README's generated sections (the examples table). */
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { examples } from "../examples/index.ts"
import { withExamplesTable } from "../examples/table.ts"

const path = join(import.meta.dirname, "..", "README.md")
writeFileSync(path, withExamplesTable(readFileSync(path, "utf8"), examples))
console.log(`README: examples table with ${examples.length} rows`)
