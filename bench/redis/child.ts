/**
 * One process of the Redis lock benchmark: loads a contestant
 * (`node child.ts <contestant module>`, Redis at $REDIS_URL) and obeys the
 * JSON lines of stdin, answering with JSON lines on stdout. Times are
 * `now()` (µs on the machine-wide monotonic clock, comparable across
 * processes).
 *
 * - on start → `{ ev: "hello", name, notes }`
 * - `{ op: "lock", kind: "mutex" | "semaphore", name, permits? }` → `{ ev: "ready" }`
 *   (`{ ev: "unsupported" }` when the contestant has no semaphore)
 * - `{ op: "hold", id }`: takes the lock → `{ ev: "held", id }`, keeps it until
 *   `{ op: "release", id }`, whose arrival ends the body at `t0` →
 *   `{ ev: "released", id, t0 }` once released
 * - `{ op: "wait", id }` → `{ ev: "waiting", id }`, then takes the lock: the
 *   body starts at `t1` and releases at once → `{ ev: "acquired", id, t1 }`
 * - `{ op: "pairs", n }`: n acquire+release in a row, nothing contending →
 *   `{ ev: "pairs", n, us }`
 * - `{ op: "run", ms, workers, sectionMs }`: `workers` loops taking the lock
 *   and holding it `sectionMs`, until `ms` have passed →
 *   `{ ev: "ran", spans: [[start, end], ...], waits: [...], failures }`
 * - `{ op: "exit" }`: closes the contestant and exits.
 */
import { createInterface } from "node:readline"
import { pathToFileURL } from "node:url"
import { type Contestant, type Lock, now } from "./contestant.ts"

const emit = (value: object): void => {
  process.stdout.write(`${JSON.stringify(value)}\n`)
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

const modulePath = process.argv[2]
const url = process.env.REDIS_URL
if (modulePath === undefined || url === undefined) {
  console.error("usage: REDIS_URL=redis://... node child.ts <contestant module>")
  process.exit(2)
}
const contestant = ((await import(pathToFileURL(modulePath).href)) as { default: Contestant }).default
const peer = await contestant.connect(url)
emit({ ev: "hello", name: contestant.name, notes: contestant.notes })

let lock: Lock | undefined
const gates = new Map<number, () => void>()

const current = (): Lock => {
  if (lock === undefined) throw new Error("no lock: send { op: 'lock' } first")
  return lock
}

const handle = async (message: any): Promise<void> => {
  switch (message.op) {
    case "lock": {
      if (message.kind === "semaphore") {
        if (peer.semaphore === undefined) return emit({ ev: "unsupported" })
        lock = await peer.semaphore(message.name, message.permits)
      } else {
        lock = await peer.mutex(message.name)
      }
      return emit({ ev: "ready" })
    }
    case "hold": {
      const id: number = message.id
      let t0 = 0
      await current().withLock(async () => {
        const released = new Promise<void>((resolve) => gates.set(id, resolve))
        emit({ ev: "held", id })
        await released
        t0 = now()
      })
      return emit({ ev: "released", id, t0 })
    }
    case "release": {
      const open = gates.get(message.id)
      gates.delete(message.id)
      open?.()
      return
    }
    case "wait": {
      let t1 = 0
      emit({ ev: "waiting", id: message.id })
      await current().withLock(async () => {
        t1 = now()
      })
      return emit({ ev: "acquired", id: message.id, t1 })
    }
    case "pairs": {
      const target = current()
      const start = now()
      for (let i = 0; i < message.n; i++) await target.withLock(async () => {})
      return emit({ ev: "pairs", n: message.n, us: now() - start })
    }
    case "run": {
      const target = current()
      const spans: Array<[number, number]> = []
      const waits: Array<number> = []
      let failures = 0
      let firstFailure: string | undefined
      const end = now() + message.ms * 1e3
      const worker = async () => {
        while (now() < end) {
          const asked = now()
          try {
            await target.withLock(async () => {
              const start = now()
              waits.push(start - asked)
              await sleep(message.sectionMs)
              spans.push([start, now()])
            })
          } catch (error) {
            failures++
            firstFailure ??= String(error)
          }
        }
      }
      await Promise.all(Array.from({ length: message.workers }, worker))
      return emit({ ev: "ran", spans, waits, failures, firstFailure })
    }
    case "exit": {
      await peer.close()
      process.exit(0)
    }
  }
}

// Messages are handled concurrently: a `release` must reach a `hold` that is still running.
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === "") continue
  const message = JSON.parse(line)
  handle(message).catch((error: unknown) => {
    emit({ ev: "error", op: message.op, id: message.id, error: String(error) })
  })
}
await peer.close()
