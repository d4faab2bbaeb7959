/**
 * The benchmark chart: for every row of a report's ratio table (default
 * scheduler), effect-go's time per operation as a ratio to the best Effect
 * way, to the best JavaScript peer and to Go (P=1), drawn as bars on a
 * logarithmic axis around 1× (left of 1×: effect-go is faster). An SVG
 * file, which the README shows above its table.
 *
 *   node bench/chart.ts [bench/RESULTS.md] [bench/chart.svg]
 *
 * `npm run bench` writes it after a full run, from the report it wrote.
 */
import { readFileSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

interface ChartRow {
  readonly title: string
  /** effect-go ÷ best Effect, ÷ best JS peer, ÷ Go (P=1); NaN when the row has none. */
  readonly ratios: readonly [number, number, number]
}

const SERIES = [
  { label: "÷ best Effect", color: "#4e79a7" },
  { label: "÷ best JS peer", color: "#f28e2b" },
  { label: "÷ Go (P=1)", color: "#76b7b2" }
] as const

const ratioOf = (cell: string | undefined): number => {
  const m = /([\d.]+)×/.exec(cell ?? "")
  return m === null ? Number.NaN : Number(m[1])
}

/** The default-scheduler rows of the report's "Ratios" table. */
export const chartRows = (report: string): Array<ChartRow> => {
  const section = report.slice(report.indexOf("## Ratios"))
  const lines = section.split("\n").filter((l) => l.startsWith("| "))
  const header = lines[0]!.split("|").map((c) => c.trim())
  const col = (name: string): number => header.indexOf(name)
  const [title, sched, effect, peer, go] = [
    col("row"),
    col("sched."),
    col("÷ Effect"),
    col("÷ peer"),
    col("÷ Go (P=1)")
  ]
  return lines
    .slice(2)
    .map((l) => l.split("|").map((c) => c.trim()))
    .filter((cells) => cells[sched] === "default")
    .map((cells) => ({
      title: cells[title]!,
      ratios: [ratioOf(cells[effect]), ratioOf(cells[peer]), ratioOf(cells[go])] as const
    }))
}

const escapeXml = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

/** The chart as SVG text. */
export const chartSvg = (rows: ReadonlyArray<ChartRow>, caption: string): string => {
  const labelWidth = 330
  const plotWidth = 520
  const barHeight = 9
  const rowHeight = SERIES.length * barHeight + 12
  const top = 54
  const height = top + rows.length * rowHeight + 40
  const width = labelWidth + plotWidth + 30
  // Logarithmic axis from 1/8× to 64×, 1× marked.
  const [lo, hi] = [Math.log2(1 / 8), Math.log2(64)]
  const x = (ratio: number): number =>
    labelWidth + ((Math.min(Math.max(Math.log2(ratio), lo), hi) - lo) / (hi - lo)) * plotWidth
  const out: Array<string> = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="18" font-size="13" font-weight="bold">${escapeXml(caption)}</text>`
  ]
  SERIES.forEach((s, i) => {
    out.push(`<rect x="${10 + i * 130}" y="28" width="10" height="10" fill="${s.color}"/>`)
    out.push(`<text x="${24 + i * 130}" y="37">${escapeXml(s.label)}</text>`)
  })
  for (const tick of [1 / 8, 1 / 4, 1 / 2, 1, 2, 4, 8, 16, 32, 64]) {
    const tx = x(tick)
    out.push(
      `<line x1="${tx}" y1="${top - 4}" x2="${tx}" y2="${height - 30}" stroke="${tick === 1 ? "#000" : "#ddd"}" stroke-width="${tick === 1 ? 1.5 : 1}"/>`
    )
    out.push(`<text x="${tx}" y="${height - 16}" text-anchor="middle">${tick < 1 ? `1/${1 / tick}` : tick}×</text>`)
  }
  rows.forEach((row, r) => {
    const y0 = top + r * rowHeight
    out.push(`<text x="${labelWidth - 8}" y="${y0 + rowHeight / 2}" text-anchor="end">${escapeXml(row.title)}</text>`)
    row.ratios.forEach((ratio, i) => {
      if (!Number.isFinite(ratio)) return
      const y = y0 + i * barHeight
      const [a, b] = [x(1), x(ratio)]
      out.push(
        `<rect x="${Math.min(a, b)}" y="${y}" width="${Math.max(1, Math.abs(b - a))}" height="${barHeight - 1}" fill="${SERIES[i]!.color}"><title>${escapeXml(`${row.title} ${SERIES[i]!.label}: ${ratio}×`)}</title></rect>`
      )
    })
  })
  out.push(
    `<text x="${labelWidth}" y="${height - 2}" fill="#555">effect-go's time per operation ÷ theirs: left of 1×, effect-go is faster</text>`,
    "</svg>"
  )
  return `${out.join("\n")}\n`
}

/** Reads a report and writes its chart. */
export const writeChart = (reportPath: string, svgPath: string): void => {
  const report = readFileSync(reportPath, "utf8")
  const date = /- Date: (\S+)/.exec(report)?.[1]?.slice(0, 10) ?? ""
  writeFileSync(svgPath, chartSvg(chartRows(report), `effect-go ÷ the best of each, default scheduler (${date})`))
}

if (import.meta.main) {
  const here = dirname(fileURLToPath(import.meta.url))
  const [report = join(here, "RESULTS.md"), svg = join(here, "chart.svg")] = process.argv.slice(2)
  writeChart(report, svg)
  console.log(`written: ${svg}`)
}
