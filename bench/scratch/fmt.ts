/** Formats only the files given (same Biome setup as scripts/biome.ts): npx node bench/scratch/fmt.ts FILE... */
import { Biome, Distribution } from "@biomejs/js-api"
import { readFileSync, writeFileSync } from "node:fs"
import { join, relative, resolve } from "node:path"

const root = join(import.meta.dirname, "..", "..")
const biome = await Biome.create({ distribution: Distribution.NODE })
const { projectKey } = biome.openProject(root)
const { $schema: _s, vcs: _v, files: _f, ...configuration } = JSON.parse(readFileSync(join(root, "biome.json"), "utf8"))
biome.applyConfiguration(projectKey, configuration)
for (const arg of process.argv.slice(2)) {
  const file = resolve(arg)
  const content = readFileSync(file, "utf8")
  const result = biome.formatContent(projectKey, content, { filePath: relative(root, file) })
  if (result.content !== content) {
    writeFileSync(file, result.content)
    console.log(`formatted ${relative(root, file)}`)
  }
}
