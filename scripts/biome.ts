/**
 * Runs Biome through its WebAssembly build: `lint` reports diagnostics and
 * exits 1 if there are any; `format` rewrites files in place. Both take the
 * whole project, or only the files named after the mode
 * (`node scripts/biome.ts format src/Chan.ts test/Chan.test.ts`).
 *
 * Why not the `@biomejs/biome` CLI: it fetches a native binary per platform
 * as an optional dependency, and the npm registry this project is built from
 * lacks some of those, so `npm ci` rejects the lock file. The wasm build is
 * the same linter with no native part.
 */
import { Biome, Distribution, spanInBytesToSpanInCodeUnits } from "@biomejs/js-api"
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join, relative } from "node:path"

const root = join(import.meta.dirname, "..")
const dirs = ["src", "test", "examples", "bench", "scripts", "consumer"]
const mode = process.argv[2] ?? "lint"
const named = process.argv.slice(3)

const files: Array<string> = named.map((name) => join(process.cwd(), name))
const walk = (dir: string): void => {
  let entries: Array<string>
  try {
    entries = readdirSync(dir)
  } catch {
    return
  }
  for (const name of entries) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) walk(path)
    else if (/\.(ts|js|mjs)$/.test(name)) files.push(path)
  }
}
if (named.length === 0) {
  for (const dir of dirs) walk(join(root, dir))
  for (const name of readdirSync(root)) if (/\.(ts|js|mjs)$/.test(name)) files.push(join(root, name))
}

const biome = await Biome.create({ distribution: Distribution.NODE })
const { projectKey } = biome.openProject(root)
const {
  $schema: _schema,
  vcs: _vcs,
  files: _files,
  ...configuration
} = JSON.parse(readFileSync(join(root, "biome.json"), "utf8"))
biome.applyConfiguration(projectKey, configuration)

let problems = 0
for (const file of files) {
  const filePath = relative(root, file)
  const content = readFileSync(file, "utf8")
  if (mode === "format") {
    const result = biome.formatContent(projectKey, content, { filePath })
    if (result.content !== content) writeFileSync(file, result.content)
    continue
  }
  const { diagnostics } = biome.lintContent(projectKey, content, { filePath })
  for (const d of diagnostics) {
    // Assists (import sorting) are editor actions, not lint findings.
    if (d.category?.startsWith("assist/")) continue
    problems++
    const span = d.location.span
    const at = span ? spanInBytesToSpanInCodeUnits(span, content)[0] : 0
    const before = content.slice(0, at).split("\n")
    console.log(
      `${filePath}:${before.length}:${before.at(-1)!.length + 1} ${d.severity} ${d.category ?? ""}: ${d.description}`
    )
  }
}
console.log(
  mode === "format" ? `formatted ${files.length} files` : `linted ${files.length} files: ${problems} problem(s)`
)
process.exit(problems > 0 ? 1 : 0)
