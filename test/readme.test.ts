import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { readFileSync, existsSync } from "node:fs"
import { join } from "node:path"
import { examples } from "../examples/index.ts"
import { withExamplesTable } from "../examples/table.ts"
import { it } from "./utils/leak.ts"

const root = join(import.meta.dirname, "..")
const readme = readFileSync(join(root, "README.md"), "utf8")

describe("README", () => {
  it.effect("its examples table matches the examples (run `npm run readme` to update)", () =>
    Effect.sync(() => {
      expect(readme).toBe(withExamplesTable(readme, examples))
    })
  )

  it.effect("every example file it links to exists", () =>
    Effect.sync(() => {
      for (const e of examples) expect(existsSync(join(root, "examples", `${e.name}.ts`)), e.name).toBe(true)
    })
  )

  it.effect("every module in src/index.ts has a row in the feature table", () =>
    Effect.sync(() => {
      const index = readFileSync(join(root, "src", "index.ts"), "utf8")
      const modules = [...index.matchAll(/export \* as (\w+) from/g)].map((m) => m[1]!)
      expect(modules).toContain("Chan") // the pattern still finds the modules
      const table = readme.slice(readme.indexOf("<!-- feature-table -->"), readme.indexOf("<!-- /feature-table -->"))
      for (const name of modules) expect(table, name).toContain(`${name}.`)
    })
  )
})
