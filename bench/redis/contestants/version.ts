/** The installed version of a package (its package.json), for the tables. */
import { readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

export const packageVersion = (name: string): string => {
  // The entry point is resolved (not `name/package.json`, which an exports map may close), then the
  // package.json found walking up from it.
  let dir = dirname(fileURLToPath(import.meta.resolve(name)))
  for (;;) {
    try {
      const json = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string }
      if (json.name === name) return (json.version ?? "?").replace(/^v/, "")
    } catch {
      // no package.json here
    }
    const parent = dirname(dir)
    if (parent === dir) return "?"
    dir = parent
  }
}
