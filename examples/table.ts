/**
 * README's "seed section → example → primitives" table, generated from the
 * examples' own metadata so that it cannot drift (test/readme.test.ts checks
 * README against it; `npm run readme` rewrites it).
 */
import type { Example } from "./Example.ts"

export const START = "<!-- examples-table -->"
export const END = "<!-- /examples-table -->"

export const examplesTable = (examples: ReadonlyArray<Example>): string =>
  [
    "| seed section | example (`npm start -- <name>`) | what it shows | effect-go modules |",
    "| --- | --- | --- | --- |",
    ...examples.map(
      (e) =>
        `| ${e.seed} | [\`${e.name}\`](examples/${e.name}.ts) | ${e.title.replaceAll("|", "\\|")} | ${e.uses.join(", ")} |`
    )
  ].join("\n")

/** README with the table between its markers replaced. */
export const withExamplesTable = (readme: string, examples: ReadonlyArray<Example>): string => {
  const start = readme.indexOf(START)
  const end = readme.indexOf(END)
  if (start < 0 || end < start) throw new Error(`README has no ${START} … ${END} section`)
  return `${readme.slice(0, start + START.length)}\n${examplesTable(examples)}\n${readme.slice(end)}`
}
