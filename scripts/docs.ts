/**
 * The API reference and its examples: `npm run docs` writes docs/api/,
 * `npm run docs -- --check` (CI) fails if docs/api/ is out of date.
 *
 * 1. The reference: Effect's docgen turns the JSDoc of every public module
 *    (src/*.ts) into one Markdown page per module under docs/api/modules/,
 *    grouped by `@category`. It fails on an export without a `@since` tag.
 *    docs/api/ is committed so that it reads on GitHub and from the npm
 *    page; the check regenerates it in a scratch directory and compares.
 * 2. The examples: every ```ts block under an `@example` tag in src/*.ts (in
 *    every JSDoc, also each overload signature's, which docgen does not see)
 *    and every ```ts block of docs/go-habits.md is type-checked by the
 *    project's TypeScript against the public API: "effect-go" and
 *    "effect-go/<Module>" resolve to src/, "effect" to the dev dependency, with
 *    the project's strict settings (unused declarations allowed). A failure
 *    prints the file and line, the export whose doc holds the example, and
 *    TypeScript's error.
 *
 * docgen parses with the TypeScript it bundles (5.5, through ts-morph); its
 * own example runner is off (it would see one JSDoc per export, and it runs
 * the examples). So it never loads its `typescript` peer dependency, which
 * package.json's `overrides` points at the project's TypeScript 7: without
 * that, npm would refuse the peer conflict or install an unused TypeScript 5.
 */
import { spawnSync } from "node:child_process"
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { basename, join, relative } from "node:path"

const root = join(import.meta.dirname, "..")
const apiDir = "docs/api"
const scratch = join(root, "node_modules", ".cache", "effect-go-docs")
const args = process.argv.slice(2)
const check = args.includes("--check")
for (const arg of args) {
  if (arg !== "--check") {
    console.error(`unknown option ${arg}\nusage: npm run docs [-- --check]`)
    process.exit(2)
  }
}

const modules = readdirSync(join(root, "src"))
  .filter((f) => f.endsWith(".ts") && f !== "index.ts")
  .map((f) => f.slice(0, -3))
  .sort()

// 1. The reference ---------------------------------------------------------------

/** Runs docgen into `out` (relative to the repository); returns whether it succeeded. */
const docgen = (out: string): boolean => {
  rmSync(join(root, out), { recursive: true, force: true })
  const r = spawnSync(
    process.execPath,
    [
      join(root, "node_modules", "@effect", "docgen", "bin.cjs"),
      "--src",
      "src",
      "--out",
      out,
      "--exclude",
      "src/internal/**/*.ts",
      "--no-run-examples",
      "--parse-tsconfig-file",
      "tsconfig.json"
    ],
    { cwd: root, encoding: "utf8" }
  )
  if (r.status !== 0) {
    const output = `${r.stdout}${r.stderr}`.trim()
    console.error(`docgen failed:\n${output}`)
    if (/Missing .* documentation/.test(output)) {
      console.error(
        "hint: every export needs a JSDoc with @since; a re-exported name carries it inside the braces:\n" +
          "  export {\n    /**\n     * ...\n     * @since 0.1.0\n     * @category errors\n     */\n    ChanClosedError\n  }\n" +
          '  and so does each `export * as X from "./X.ts"` of src/index.ts (a JSDoc above it).'
      )
    }
    return false
  }
  // docgen keeps an index.md it finds; this one lists the modules.
  writeFileSync(
    join(root, out, "index.md"),
    [
      "---",
      "title: Home",
      "nav_order: 1",
      "---",
      "",
      "# effect-go API reference",
      "",
      "Generated from the JSDoc in `src/` by `npm run docs`; do not edit by hand.",
      "",
      'Import a module from the package root (`import { Chan } from "effect-go"`) or as a',
      'namespace from its subpath (`import * as Chan from "effect-go/Chan"`).',
      "",
      ...modules.map((m) => `- [${m}](modules/${m}.ts.md)`),
      ""
    ].join("\n")
  )
  return true
}

const listFiles = (dir: string, base = dir): Array<string> =>
  existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? listFiles(join(dir, e.name), base) : [relative(base, join(dir, e.name))]
      )
    : []

let ok = true
if (check) {
  const out = relative(root, join(scratch, "api"))
  if (docgen(out)) {
    const fresh = listFiles(join(root, out))
    const committed = listFiles(join(root, apiDir))
    const stale = [...new Set([...fresh, ...committed])]
      .filter((f) => {
        const a = join(root, out, f)
        const b = join(root, apiDir, f)
        return !existsSync(a) || !existsSync(b) || readFileSync(a, "utf8") !== readFileSync(b, "utf8")
      })
      .sort()
    if (stale.length > 0) {
      console.error(`${apiDir} is out of date (run npm run docs and commit it): ${stale.join(", ")}`)
      ok = false
    } else {
      console.log(`${apiDir}: up to date (${fresh.length} files)`)
    }
  } else {
    ok = false
  }
} else {
  // Written beside it first, so that a failing run leaves the committed reference as it was.
  const out = relative(root, join(scratch, "api"))
  if (docgen(out)) {
    rmSync(join(root, apiDir), { recursive: true, force: true })
    cpSync(join(root, out), join(root, apiDir), { recursive: true })
    console.log(`${apiDir}: written (${listFiles(join(root, apiDir)).length} files)`)
  } else {
    ok = false
  }
}

// 2. The examples ----------------------------------------------------------------

interface Example {
  /** Where the example's first line is, relative to the repository. */
  readonly file: string
  readonly line: number
  /** The export (or page section) whose documentation holds it. */
  readonly owner: string
  readonly code: string
}

const lineAt = (text: string, index: number): number => text.slice(0, index).split("\n").length

/** The export a JSDoc comment documents: the declaration after it, or for a member the enclosing export. */
const ownerOf = (module: string, source: string, start: number, end: number): string => {
  const after = source.slice(end)
  const indented = source.lastIndexOf("\n", start) + 1 !== start
  const topLevel =
    /^\s*export\s+(?:declare\s+)?(?:abstract\s+)?(?:const|let|function\*?|class|interface|type|namespace|enum)\s+([\w$]+)/
  const reexport = /^\s*export\s*(?:\*\s*as\s+([\w$]+)|(?:type\s*)?\{([^}]*)\})/
  if (!indented) {
    const declared = topLevel.exec(after) ?? reexport.exec(after)
    if (declared !== null) return `${module}.${(declared[1] ?? declared[2] ?? "").trim()}`
    return /^\s*import\b/.test(after) || source.slice(0, start).trim() === "" ? `${module} (module doc)` : module
  }
  const enclosing = [...source.slice(0, start).matchAll(new RegExp(topLevel.source.replace("^\\s*", "^"), "gm"))].at(-1)
  const name = enclosing === undefined ? module : `${module}.${enclosing[1]}`
  const member = /^\s*(?:readonly\s+)?([\w$]+)\??\s*[:(<]/.exec(after)
  return member !== null ? `${name}.${member[1]}` : `${name} (signature at line ${lineAt(source, end) + 1})`
}

const fromSource = (path: string): Array<Example> => {
  const source = readFileSync(join(root, path), "utf8")
  const module = basename(path, ".ts") === "index" ? "effect-go" : basename(path, ".ts")
  const examples: Array<Example> = []
  for (const comment of source.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    if (!comment[0].includes("@example")) continue
    const firstLine = lineAt(source, comment.index)
    const lines = comment[0].split("\n").map((l) => l.replace(/^\s*\/?\*+\/?\s?/, "").replace(/\s*\*\/$/, ""))
    let inExample = false
    let fence: { line: number; code: Array<string> } | undefined
    lines.forEach((text, i) => {
      if (fence !== undefined) {
        if (text.trim().startsWith("```")) {
          examples.push({
            file: path,
            line: fence.line,
            owner: ownerOf(module, source, comment.index, comment.index + comment[0].length),
            code: `${fence.code.join("\n")}\n`
          })
          fence = undefined
        } else {
          fence.code.push(text)
        }
      } else if (text.startsWith("@")) {
        inExample = text.startsWith("@example")
      } else if (inExample && /^```(?:ts|typescript)?\s*$/.test(text.trim())) {
        fence = { line: firstLine + i + 1, code: [] }
      }
    })
  }
  return examples
}

const fromMarkdown = (path: string): Array<Example> => {
  const text = readFileSync(join(root, path), "utf8")
  const examples: Array<Example> = []
  let heading = path
  let fence: { line: number; code: Array<string> } | undefined
  text.split("\n").forEach((line, i) => {
    if (fence !== undefined) {
      if (line.startsWith("```")) {
        examples.push({ file: path, line: fence.line, owner: heading, code: `${fence.code.join("\n")}\n` })
        fence = undefined
      } else {
        fence.code.push(line)
      }
    } else if (/^```(?:ts|typescript)\s*$/.test(line)) {
      fence = { line: i + 2, code: [] }
    } else if (line.startsWith("#")) {
      heading = `${path} › ${line.replace(/^#+\s*/, "")}`
    }
  })
  return examples
}

const examples = [
  ...["index", ...modules].flatMap((m) => fromSource(`src/${m}.ts`)),
  ...["docs/go-habits.md"].filter((p) => existsSync(join(root, p))).flatMap(fromMarkdown)
]

const examplesDir = join(scratch, "examples")
rmSync(examplesDir, { recursive: true, force: true })
mkdirSync(examplesDir, { recursive: true })
const byFile = new Map<string, Example>()
examples.forEach((example, i) => {
  const name = `${String(i).padStart(3, "0")}-${example.owner.replace(/[^\w.-]+/g, "_").slice(0, 60)}.ts`
  writeFileSync(join(examplesDir, name), example.code)
  byFile.set(name, example)
})
const toRoot = relative(examplesDir, root).split("\\").join("/")
writeFileSync(
  join(examplesDir, "tsconfig.json"),
  JSON.stringify(
    {
      extends: `${toRoot}/tsconfig.json`,
      compilerOptions: {
        noEmit: true,
        // An example may declare what it does not use.
        noUnusedLocals: false,
        noUnusedParameters: false,
        // Every example is a module of its own, with or without imports.
        moduleDetection: "force",
        paths: Object.fromEntries([
          ["effect-go", [`${toRoot}/src/index.ts`]],
          ...modules.map((m) => [`effect-go/${m}`, [`${toRoot}/src/${m}.ts`]])
        ])
      },
      include: [],
      files: [...byFile.keys()]
    },
    null,
    2
  )
)

const tsc = spawnSync(
  join(root, "node_modules", ".bin", "tsc"),
  ["-p", join(examplesDir, "tsconfig.json"), "--pretty", "false"],
  { cwd: root, encoding: "utf8" }
)
const failures = new Map<Example, Array<string>>()
const elsewhere: Array<string> = []
let current: Array<string> | undefined
for (const line of `${tsc.stdout}${tsc.stderr}`.split("\n")) {
  const m = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/.exec(line)
  if (m === null) {
    if (current !== undefined && line.trim() !== "") current.push(`      ${line.trim()}`)
    continue
  }
  const example = byFile.get(basename(m[1]!))
  if (example === undefined) {
    elsewhere.push(line)
    current = elsewhere
    continue
  }
  const messages = failures.get(example) ?? []
  failures.set(example, messages)
  messages.push(`    ${example.file}:${example.line + Number(m[2]) - 1}:${m[3]} ${m[4]}: ${m[5]}`)
  current = messages
}

if (failures.size > 0 || elsewhere.length > 0 || tsc.status !== 0) {
  ok = false
  console.error(`examples: ${failures.size} of ${examples.length} fail to compile`)
  for (const [example, messages] of failures) {
    console.error(`  ${example.owner} (${example.file}:${example.line})`)
    for (const message of messages) console.error(message)
  }
  if (elsewhere.length > 0)
    console.error(`  errors outside the examples (see npm run typecheck):\n    ${elsewhere.join("\n    ")}`)
  if (failures.size === 0 && elsewhere.length === 0) console.error(`${tsc.stdout}${tsc.stderr}`.trim())
} else {
  console.log(`examples: all ${examples.length} compile`)
}

process.exit(ok ? 0 : 1)
