/**
 * README's examples table (the documents, then Go document section → example
 * → what it shows → effect-go modules), generated from the examples' own metadata so that it
 * cannot drift (test/readme.test.ts checks README against it; `npm run
 * readme` rewrites it).
 */
import { documents, type Example } from "./Example.ts"

export const START = "<!-- examples-table -->"
export const END = "<!-- /examples-table -->"

const cell = (text: string): string => text.replaceAll("|", "\\|")

export const examplesTable = (examples: ReadonlyArray<Example>): string =>
  [
    "The documents, by the short name the table gives them:",
    "",
    ...documents.map((d) => `- **${d.name}**${d.title === d.name ? "" : ` (“${d.title}”)`}: ${d.about}`),
    "",
    "| Go document · section | example (`npm start -- <name>`) | what it shows | effect-go modules |",
    "| --- | --- | --- | --- |",
    ...examples.map(
      (e) => `| ${cell(e.section)} | [\`${e.name}\`](examples/${e.name}.ts) | ${cell(e.title)} | ${e.uses.join(", ")} |`
    )
  ].join("\n")

/** README with the table between its markers replaced. */
export const withExamplesTable = (readme: string, examples: ReadonlyArray<Example>): string => {
  const start = readme.indexOf(START)
  const end = readme.indexOf(END)
  if (start < 0 || end < start) throw new Error(`README has no ${START} … ${END} section`)
  return `${readme.slice(0, start + START.length)}\n${examplesTable(examples)}\n${readme.slice(end)}`
}
