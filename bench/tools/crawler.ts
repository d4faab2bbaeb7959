/**
 * Runs only the crawler row (bench/crawler.ts) and prints its table.
 *
 *   node bench/tools/crawler.ts [--quick]
 *
 * For a CPU profile of one version alone: `--only effect-go`,
 * `--only Effect` or `--only "Effect, Stream stage"` runs that version's
 * rounds only (no table).
 */
import { crawlerMarkdown, crawlerRow, partCosts, partsMarkdown, swapMarkdown, swapRow } from "../crawler.ts"

const args = process.argv.slice(2)
const quick = args.includes("--quick")
const onlyAt = args.indexOf("--only")
const only = onlyAt === -1 ? undefined : args[onlyAt + 1]
if (only !== undefined && only !== "effect-go" && only !== "Effect" && only !== "Effect, Stream stage") {
  console.error(`--only takes effect-go, Effect or "Effect, Stream stage", not ${only}`)
  process.exit(2)
}
const result = await crawlerRow({ quick, log: console.log, only })
if (only === undefined) {
  console.log(crawlerMarkdown(result))
  console.log(`\n${partsMarkdown(await partCosts({ quick }))}`)
  console.log(`\n${swapMarkdown(await swapRow({ quick }))}`)
} else console.log(`ran ${only} alone`)
