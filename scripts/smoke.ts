/**
 * The package's consumer smoke test: `npm run smoke [-- --effect 4.1.5,4.0.6] [--keep]`.
 *
 * 1. Builds and packs the package, and checks what the tarball holds: the
 *    license and readme, a compiled file for every module, nothing compiled
 *    without its source, a source map for every `sourceMappingURL` and every
 *    source a map names (checked on the installed copy, with nothing marked
 *    `@internal` that the exports map reaches).
 * 2. For each Effect version (by default the floor of the peer range and the
 *    newest one tested), a fresh ESM project installs the tarball beside its
 *    own `effect`; `npm ls effect` must show one copy.
 * 3. Node consumer (`consumer/node`): the project's TypeScript (7) compiles
 *    a program that uses every module, with NodeNext resolution, strict and
 *    no skipLibCheck; TypeScript 5 type-checks it too; it runs on the system
 *    Node and on the project's Node 24.
 * 4. Browser consumer (`consumer/browser`): type-checked (TypeScript 7 and 5)
 *    with bundler resolution, the DOM library and no Node types, then
 *    bundled by esbuild for the browser: importing `Chan` (from "effect-go"
 *    or "effect-go/Chan") must pull in no other effect-go module; the
 *    bundles run on Node 24.
 *
 * Exits with status 1 at the first failure and keeps the projects for a look
 * (`--keep` keeps them after a success too). `SMOKE_SYSTEM_NODE` names the
 * system Node when the first `node` on PATH outside node_modules is not it.
 */
import { type SpawnSyncReturns, spawnSync } from "node:child_process"
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { delimiter, dirname, join, relative, resolve } from "node:path"
import { stripVTControlCharacters } from "node:util"
import * as esbuild from "esbuild"

/** The newest Effect release this package was checked against; raise it when a newer one passes. */
const NEWEST_TESTED_EFFECT = "4.1.5"
/** Most applications still compile with TypeScript 5: the last consumer type-checks with it too. */
const TYPESCRIPT_5 = "5.9.3"

const root = join(import.meta.dirname, "..")
/** The temporary directory holding the tarball and the consumer projects. */
let work: string | undefined
const started = performance.now()
const args = process.argv.slice(2)
const keep = args.includes("--keep")
const usage = "usage: npm run smoke -- [--effect VERSION[,VERSION...]] [--keep]"
for (const arg of args) {
  if (arg.startsWith("--") && arg !== "--keep" && arg !== "--effect") {
    console.error(`unknown option ${arg}\n${usage}`)
    process.exit(2)
  }
}

const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
const peerRange: string = pkg.peerDependencies.effect
const floor = /^(?:\^|>=)\s*(\d+\.\d+\.\d+)$/.exec(peerRange)?.[1]
if (floor === undefined) fail(`package.json: cannot read the lowest version of peerDependencies.effect "${peerRange}"`)
const versionsArg = args.indexOf("--effect") >= 0 ? args[args.indexOf("--effect") + 1] : undefined
const effectVersions = versionsArg?.split(",").filter((v) => v !== "") ?? [floor, NEWEST_TESTED_EFFECT]
if (effectVersions.length === 0) fail(`--effect needs a version\n${usage}`)

const tsc = join(root, "node_modules", ".bin", "tsc")
const node24 = join(root, "node_modules", ".bin", "node")
const systemNode = process.env.SMOKE_SYSTEM_NODE ?? findSystemNode()
const devEffect = JSON.parse(readFileSync(join(root, "node_modules", "effect", "package.json"), "utf8")).version
const effectVitest = JSON.parse(
  readFileSync(join(root, "node_modules", "@effect", "vitest", "package.json"), "utf8")
).version
const vitestVersion = JSON.parse(readFileSync(join(root, "node_modules", "vitest", "package.json"), "utf8")).version
const typesNode = JSON.parse(readFileSync(join(root, "node_modules", "@types", "node", "package.json"), "utf8")).version
const publicModules = readdirSync(join(root, "src"))
  .filter((f) => f.endsWith(".ts") && f !== "index.ts")
  .map((f) => f.slice(0, -3))

function fail(message: string): never {
  console.error(`::: smoke: FAILED: ${message}`)
  if (work !== undefined) console.error(`::: smoke: the projects are kept in ${work}`)
  process.exit(1)
}

/** The first `node` on PATH that is not a project's own (npm scripts put node_modules/.bin first). */
function findSystemNode(): string {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "" || dir.split(/[\\/]/).includes("node_modules")) continue
    const candidate = join(dir, process.platform === "win32" ? "node.exe" : "node")
    if (existsSync(candidate)) return candidate
  }
  return fail("no system node on PATH (set SMOKE_SYSTEM_NODE)")
}

/**
 * The environment for child commands, without the variables npm sets for a
 * running script: `npm_config_local_prefix` would make an `npm install` in a
 * consumer project install into this repository instead.
 */
const childEnv: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k]) =>
      k !== "INIT_CWD" &&
      (!k.startsWith("npm_") ||
        ["npm_config_cache", "npm_config_userconfig", "npm_config_globalconfig", "npm_config_registry"].includes(k))
  )
)

/** Runs a command to completion and returns its output (stdout and stderr, or stdout alone); fails the run on an error. */
const run = (
  command: string,
  argv: ReadonlyArray<string>,
  cwd: string,
  options: { readonly timeoutMs?: number; readonly stdoutOnly?: boolean } = {}
): string => {
  const r: SpawnSyncReturns<string> = spawnSync(command, argv, {
    cwd,
    env: childEnv,
    encoding: "utf8",
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 64 * 1024 * 1024
  })
  const output = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim()
  if (r.error !== undefined || r.status !== 0) {
    const why = r.error !== undefined ? r.error.message : `exit status ${r.status}`
    fail(`${command} ${argv.join(" ")} (in ${cwd}): ${why}\n${output}`)
  }
  return options.stdoutOnly === true ? r.stdout : output
}

const step = <A>(name: string, f: () => A): A => {
  const t = performance.now()
  const result = f()
  console.log(`::: smoke: ${name} (${((performance.now() - t) / 1000).toFixed(1)} s)`)
  return result
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`
const duKib = (path: string): number => Number(run("du", ["-sk", path], root).split(/\s/)[0])
const walk = (dir: string, base = dir): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name), base) : [relative(base, join(dir, e.name)).split("\\").join("/")]
  )

// 1. Pack ----------------------------------------------------------------------

step("build", () => run("npm", ["run", "build"], root))
work = mkdtempSync(join(tmpdir(), "effect-go-smoke-"))
const packed = step("npm pack", () => {
  const json = run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work!], root, {
    stdoutOnly: true
  })
  return JSON.parse(json.slice(json.indexOf("["))) as Array<{
    filename: string
    size: number
    unpackedSize: number
    entryCount: number
    files: Array<{ path: string }>
  }>
})[0]!
const tarball = join(work, packed.filename)

step("the smoke programs cover every module", () => {
  const programs = ["node/main.ts", "vitest/kit.test.ts"].map((f) => readFileSync(join(root, "consumer", f), "utf8"))
  const missing = publicModules.filter((m) => !programs.some((p) => p.includes(`from "effect-go/${m}"`)))
  if (missing.length > 0)
    fail(
      `no consumer program (consumer/node, consumer/vitest) imports ${missing.map((m) => `effect-go/${m}`).join(", ")}`
    )
})

step("tarball contents", () => {
  const files = new Set(packed.files.map((f) => f.path))
  for (const required of ["package.json", "README.md", "LICENSE", "dist/index.js", "dist/index.d.ts"]) {
    if (!files.has(required)) fail(`the tarball has no ${required}`)
  }
  for (const name of publicModules) {
    for (const ext of [".js", ".d.ts"]) {
      if (!files.has(`dist/${name}${ext}`)) fail(`the tarball has no dist/${name}${ext} (module src/${name}.ts)`)
    }
  }
  for (const file of files) {
    if (["package.json", "README.md", "LICENSE"].includes(file) || file.startsWith("src/")) continue
    const compiled = /^dist\/(.+?)\.(?:js|d\.ts)(?:\.map)?$/.exec(file)
    if (compiled === null) fail(`the tarball holds ${file}, which is neither a source, a compiled file nor a map`)
    if (!files.has(`src/${compiled[1]}.ts`)) fail(`the tarball holds ${file} without its source src/${compiled[1]}.ts`)
  }
})

/**
 * Source maps resolve inside the package, and nothing the exports map reaches
 * is marked `@internal`: no export of a public module's declarations, and no
 * declaration of an internal module that a public one re-exports. (Internal
 * modules' declarations ship because public ones import their types;
 * `effect-go/internal/*` is closed, which the node consumer checks.)
 */
const checkInstalledPackage = (dir: string): void => {
  const files = walk(dir)
  const present = new Set(files)
  const internalTagged = new Map<string, string>()
  const reexported: Array<{ file: string; name: string }> = []
  for (const file of files) {
    const text = readFileSync(join(dir, file), "utf8")
    if (/\.(?:js|d\.ts)$/.test(file)) {
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(text)?.[1]
      if (url !== undefined) {
        const map = relative(dir, resolve(dir, dirname(file), url))
          .split("\\")
          .join("/")
        if (!present.has(map)) fail(`${file} refers to the source map ${map}, which is not in the package`)
      }
    }
    if (file.endsWith(".map")) {
      const map = JSON.parse(text) as { sources: Array<string>; sourceRoot?: string }
      for (const source of map.sources) {
        const path = relative(dir, resolve(dir, dirname(file), map.sourceRoot ?? "", source))
          .split("\\")
          .join("/")
        if (!present.has(path)) fail(`${file} names the source ${path}, which is not in the package`)
      }
    }
    if (!file.endsWith(".d.ts")) continue
    const isPublic = /^dist\/[^/]+\.d\.ts$/.test(file)
    // A JSDoc block that documents an export (a module's doc comment documents its first import).
    for (const m of text.matchAll(
      /\/\*\*((?:(?!\*\/)[\s\S])*?)\*\/\s*export\s+(?:declare\s+)?(?:abstract\s+)?\S+\s+([\w$]+)/g
    )) {
      if (!/@internal\b/.test(m[1]!)) continue
      if (isPublic) fail(`${file} exports ${m[2]}, marked @internal: move it to an internal module`)
      internalTagged.set(m[2]!, file)
    }
    if (isPublic) {
      // Comments removed first: a re-exported name may carry its JSDoc inside the braces.
      for (const m of text.replace(/\/\*[\s\S]*?\*\//g, "").matchAll(/export\s*(?:type\s*)?\{([^}]*)\}/g)) {
        for (const spec of m[1]!.split(",")) {
          const name = spec
            .trim()
            .replace(/^type\s+/, "")
            .split(/\s+as\s+/)[0]!
          if (name !== "") reexported.push({ file, name })
        }
      }
    }
  }
  for (const { file, name } of reexported) {
    const where = internalTagged.get(name)
    if (where !== undefined) fail(`${file} re-exports ${name}, which ${where} marks @internal`)
  }
}

// 2-4. Consumers ----------------------------------------------------------------

interface Row {
  readonly effect: string
  readonly nodeModules: number
  readonly effectGo: number
  readonly effectSize: number
  readonly typescript: boolean
}
const rows: Array<Row> = []

for (const effectVersion of effectVersions) {
  const dir = join(work, `consumer-effect-${effectVersion}`)
  const label = `effect ${effectVersion}`
  // Once is enough (it is the slow compiler): with the last Effect version.
  const withTypeScript5 = effectVersion === effectVersions.at(-1)
  mkdirSync(dir)
  cpSync(join(root, "consumer"), dir, { recursive: true })
  writeFileSync(
    join(dir, "package.json"),
    `${JSON.stringify(
      {
        name: "effect-go-consumer",
        private: true,
        type: "module",
        dependencies: {
          "@types/node": typesNode,
          effect: effectVersion,
          // effect-go/NodeThreads's optional peer, at the same Effect release
          // (with its shared part pinned too: platform-node 4.0.6 accepts
          // platform-node-shared ^4.0.6, whose latest needs effect ^4.1.5).
          "@effect/platform-node": effectVersion,
          "@effect/platform-node-shared": effectVersion,
          "effect-go": `file:${tarball}`,
          ...(withTypeScript5 ? { typescript: TYPESCRIPT_5 } : {}),
          // effect-go/vitest's optional peers, as a test project has them.
          ...(withTypeScript5 ? { "@effect/vitest": effectVitest, vitest: vitestVersion } : {})
        }
      },
      null,
      2
    )}\n`
  )
  step(`${label}: npm install`, () => run("npm", ["install", "--no-audit", "--no-fund"], dir))

  step(`${label}: one copy of effect`, () => {
    const copies = run("npm", ["ls", "effect", "--all", "--parseable"], dir, { stdoutOnly: true })
      .split("\n")
      .filter(Boolean)
    const tree = run("npm", ["ls", "effect", "--all"], dir)
    console.log(tree.replace(/^/gm, "    "))
    if (copies.length !== 1) fail(`${copies.length} copies of effect installed:\n${copies.join("\n")}`)
    if (existsSync(join(dir, "node_modules", "effect-go", "node_modules"))) {
      fail("effect-go brought its own node_modules")
    }
  })

  step(`${label}: installed package`, () => checkInstalledPackage(join(dir, "node_modules", "effect-go")))

  step(`${label}: tsc (node consumer: NodeNext, strict, no skipLibCheck)`, () =>
    run(tsc, ["-p", join(dir, "node", "tsconfig.json")], dir)
  )
  if (withTypeScript5)
    step(`${label}: tsc ${TYPESCRIPT_5} (node and browser consumers)`, () => {
      const tsc5 = join(dir, "node_modules", ".bin", "tsc")
      run(tsc5, ["-p", join(dir, "node", "tsconfig.json"), "--noEmit"], dir)
      run(tsc5, ["-p", join(dir, "browser", "tsconfig.json")], dir)
    })
  const engines: string | undefined = JSON.parse(
    readFileSync(join(dir, "node_modules", "effect-go", "package.json"), "utf8")
  ).engines?.node
  for (const [name, nodeBin] of [
    ["system Node", systemNode],
    ["Node 24", node24]
  ] as const) {
    const version = run(nodeBin, ["--version"], dir)
    const wanted = /^>=\s*(\d+)(?:\.(\d+))?/.exec(engines ?? "")
    const [major, minor] = version.slice(1).split(".").map(Number)
    if (
      wanted !== null &&
      (major! < Number(wanted[1]) || (major === Number(wanted[1]) && minor! < Number(wanted[2] ?? 0)))
    ) {
      fail(`${name} ${version} does not satisfy the package's engines.node "${engines}"`)
    }
    const out = step(`${label}: run on ${name} ${version}`, () =>
      run(nodeBin, [join(dir, "node", "out", "main.js")], dir, { timeoutMs: 60_000 })
    )
    console.log(`    ${out.split("\n").at(-1)}`)
  }

  if (withTypeScript5) {
    step(
      `${label}: tsc (vitest consumer: effect-go/vitest against @effect/vitest ${effectVitest}, vitest ${vitestVersion})`,
      () => run(tsc, ["-p", join(dir, "vitest", "tsconfig.json")], dir)
    )
    // Every test passes only if the kit works: the `fails` ones pass when it fails them.
    const out = step(`${label}: vitest run (vitest consumer, Node 24)`, () =>
      run(node24, [join(dir, "node_modules", "vitest", "vitest.mjs"), "run", "--root", join(dir, "vitest")], dir, {
        timeoutMs: 120_000
      })
    )
    const tests = /Tests\s+(.*)/.exec(stripVTControlCharacters(out))?.[1]
    console.log(`    ${tests ?? out.split("\n").at(-1)}`)
  }

  step(`${label}: tsc (browser consumer: bundler resolution, DOM, no Node types, no skipLibCheck)`, () =>
    run(tsc, ["-p", join(dir, "browser", "tsconfig.json")], dir)
  )
  const bundles = step(`${label}: esbuild browser bundles`, () => {
    const lines: Array<string> = []
    for (const [entry, onlyChan] of [
      ["chan-root", true],
      ["chan-subpath", true],
      ["everything", false]
    ] as const) {
      const outfile = join(dir, "browser", "out", `${entry}.js`)
      let result: esbuild.BuildResult<{ metafile: true }>
      try {
        result = esbuild.buildSync({
          entryPoints: [join(dir, "browser", `${entry}.ts`)],
          absWorkingDir: dir,
          bundle: true,
          platform: "browser",
          format: "esm",
          target: "es2022",
          minify: true,
          metafile: true,
          outfile,
          logLevel: "silent"
        })
      } catch (e) {
        // A Node built-in or an unresolvable import in the browser build.
        return fail(`esbuild ${entry}.ts for the browser: ${e instanceof Error ? e.message : String(e)}`)
      }
      const output = result.metafile.outputs[relative(dir, outfile).split("\\").join("/")]
      if (output === undefined) fail(`esbuild wrote no ${outfile}`)
      const modules = Object.entries(output.inputs)
        .filter(([path, input]) => path.includes("node_modules/effect-go/") && input.bytesInOutput > 0)
        .map(([path]) =>
          path.slice(path.indexOf("node_modules/effect-go/dist/") + "node_modules/effect-go/dist/".length)
        )
      if (onlyChan) {
        const others = modules.filter((m) => !m.startsWith("internal/") && m !== "Chan.js" && m !== "index.js")
        if (others.length > 0) fail(`${entry}.ts imports only Chan, but the bundle holds ${others.join(", ")}`)
        if (!modules.includes("Chan.js")) fail(`${entry}.ts: Chan.js is not in the bundle`)
      }
      const ran = run(node24, [outfile], dir, { timeoutMs: 60_000 })
      if (!ran.includes("bundle ok")) fail(`${entry}.js printed ${JSON.stringify(ran)}`)
      lines.push(
        `${entry}: ${kib(output.bytes)} minified; effect-go: ${onlyChan ? modules.join(", ") : `${modules.length} files`}; ran: ${ran}`
      )
    }
    return lines
  })
  for (const line of bundles) console.log(`    ${line}`)

  rows.push({
    effect: effectVersion,
    nodeModules: duKib(join(dir, "node_modules")),
    effectGo: duKib(join(dir, "node_modules", "effect-go")),
    effectSize: duKib(join(dir, "node_modules", "effect")),
    typescript: withTypeScript5
  })
}

console.log("::: smoke: summary")
console.log(
  `    tarball ${packed.filename}: ${kib(packed.size)} packed, ${kib(packed.unpackedSize)} unpacked, ${packed.entryCount} files`
)
console.log(
  `    dev dependency effect ${devEffect}; peer range ${peerRange}; consumers tested: ${effectVersions.join(", ")}`
)
for (const row of rows) {
  console.log(
    `    effect ${row.effect}: consumer node_modules ${(row.nodeModules / 1024).toFixed(1)} MiB ` +
      `(effect ${(row.effectSize / 1024).toFixed(1)} MiB, effect-go ${(row.effectGo / 1024).toFixed(1)} MiB` +
      `${row.typescript ? `, and TypeScript ${TYPESCRIPT_5} for the check` : ""})`
  )
}
console.log(`::: smoke: passed in ${((performance.now() - started) / 1000).toFixed(1)} s`)
if (!keep) rmSync(work, { recursive: true, force: true })
else console.log(`::: smoke: the projects are kept in ${work}`)
