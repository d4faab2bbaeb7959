/**
 * The test infrastructure for Redis and for multi-process tests
 * (test/utils/redis.ts, test/utils/processes.ts): a private server that
 * Effect's `Redis` service reaches, loses its data on restart, can be killed
 * and started again on its port, and leaves nothing behind; child processes
 * whose JSON lines, exit status and stderr come back to the test.
 */
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redis from "effect/persistence/Redis"
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { afterAll, beforeAll } from "vitest"
import { it } from "./utils/leak.ts"
import { spawnNode } from "./utils/processes.ts"
import { describeRedis, redisLayer, sendCommand, sendCommands, startRedis, useRedis } from "./utils/redis.ts"

/**
 * Child programs (type annotations on purpose: Node strips them), written to
 * a temporary directory by `writePrograms` before the tests, removed after.
 */
const programs = join(tmpdir(), `effect-go-infra-${process.pid}-${Date.now()}`)
const sources = new Map<string, string>()

const program = (name: string, source: string): string => {
  sources.set(name, source)
  return join(programs, name)
}

const writePrograms = (): void => {
  beforeAll(() => {
    mkdirSync(programs)
    for (const [name, source] of sources) writeFileSync(join(programs, name), source)
  })
  afterAll(() => rmSync(programs, { recursive: true, force: true }))
}

/** Sends PING to $REDIS_URL over a raw socket and prints the reply with its arguments. */
const pinger = program(
  "pinger.ts",
  `import { createConnection } from "node:net"
const url: URL = new URL(process.env.REDIS_URL ?? "")
const socket = createConnection({ host: url.hostname, port: Number(url.port) })
socket.on("connect", () => socket.write("PING\\r\\n"))
socket.on("data", (data: Buffer) => {
  console.log(JSON.stringify({ pong: data.toString().trim(), args: process.argv.slice(2) }))
  socket.end()
})
`
)

/** Echoes each JSON line of stdin back, tagged; ends when stdin closes. */
const echo = program(
  "echo.ts",
  `import { createInterface } from "node:readline"
console.log("not json")
console.log("5")
console.log(JSON.stringify({ hello: true }))
for await (const line of createInterface({ input: process.stdin })) {
  const value: unknown = JSON.parse(line)
  console.log(JSON.stringify({ echo: value }))
}
`
)

/** Complains on stderr and exits with 3. */
const failing = program(
  "failing.ts",
  `console.log(JSON.stringify({ started: true }))
process.stderr.write("boom: the child failed on purpose\\n")
process.exit(3)
`
)

/** Starts a server and exits without stopping it: the exit hook must kill it. */
const leaver = program(
  "leaver.ts",
  `import { startRedis } from ${JSON.stringify(pathToFileURL(join(import.meta.dirname, "utils", "redis.ts")).href)}
const server = await startRedis()
console.log(JSON.stringify({ pid: server.pid, port: server.port, dir: server.dir }))
process.exit(0)
`
)

/** Whether `pid` runs (a zombie, dead but not yet reaped by its new parent, does not). */
const isAlive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, "utf8"))
  } catch {
    // no such process, or no /proc
  }
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describeRedis("redis test infrastructure", () => {
  const redis = useRedis()
  writePrograms()

  it.live("the server answers PING through Effect's Redis service", () =>
    Effect.gen(function* () {
      const client = yield* Redis.Redis
      expect(yield* client.send("PING")).toBe("PONG")
      expect(redis().url).toBe(`redis://127.0.0.1:${redis().port}`)
    }).pipe(Effect.provide(redisLayer(redis().url)))
  )

  it.live("restart loses every key: there is no persistence", () =>
    Effect.gen(function* () {
      const server = redis()
      yield* Effect.gen(function* () {
        const client = yield* Redis.Redis
        yield* client.send("SET", "infra:restart", "value")
        expect(yield* client.send("GET", "infra:restart")).toBe("value")
      }).pipe(Effect.provide(redisLayer(server.url)))
      const port = server.port
      yield* Effect.promise(() => server.restart())
      expect(server.port).toBe(port)
      expect(yield* Effect.promise(() => server.keys())).toEqual([])
      const after = yield* Effect.gen(function* () {
        const client = yield* Redis.Redis
        return yield* client.send("GET", "infra:restart")
      }).pipe(Effect.provide(redisLayer(server.url)))
      expect(after).toBeNull()
    })
  )

  it.live("keys lists what is left behind, by pattern; flush empties the server", () =>
    Effect.promise(async () => {
      const server = redis()
      const sets = ["left:b", "left:a", "other:c", ...Array.from({ length: 2500 }, (_, i) => `many:${i}`)]
      // More keys than one SCAN call returns (COUNT 1000): the cursor must be followed.
      await sendCommands(
        server.port,
        sets.map((key) => ["SET", key, "1"])
      )
      expect(await server.keys("left:*")).toEqual(["left:a", "left:b"])
      expect((await server.keys("many:*")).length).toBe(2500)
      expect((await server.keys()).length).toBe(2503)
      await server.flush()
      expect(await server.keys()).toEqual([])
    })
  )

  it.live("kill is a crash: commands fail until start brings the server back, empty, on the same port", () =>
    Effect.promise(async () => {
      const server = redis()
      await server.command("SET", "infra:kill", "1")
      const pid = server.pid!
      await server.kill()
      expect(server.running).toBe(false)
      expect(isAlive(pid)).toBe(false)
      await expect(sendCommand(server.port, "PING")).rejects.toThrow()
      await server.start()
      expect(server.running).toBe(true)
      expect(await server.command("PING")).toBe("PONG")
      expect(await server.keys()).toEqual([])
    })
  )

  it.live("stop then start: the same port, a new process", () =>
    Effect.promise(async () => {
      const server = redis()
      const pid = server.pid
      await server.stop()
      expect(server.running).toBe(false)
      await expect(sendCommand(server.port, "PING")).rejects.toThrow()
      await server.start()
      expect(server.pid).not.toBe(pid)
      expect(await server.command("PING")).toBe("PONG")
    })
  )

  it.live("every startRedis is its own server, and close leaves no process behind", () =>
    Effect.promise(async () => {
      const other = await startRedis()
      try {
        expect(other.port).not.toBe(redis().port)
        await other.command("SET", "infra:mine", "1")
        expect(await redis().keys("infra:mine")).toEqual([])
        expect(await other.keys("infra:mine")).toEqual(["infra:mine"])
      } finally {
        const pid = other.pid!
        await other.close()
        expect(isAlive(pid)).toBe(false)
      }
      await expect(sendCommand(other.port, "PING")).rejects.toThrow()
    })
  )

  it.live("start on a port another process took meanwhile fails, even when that process answers PONG", () =>
    Effect.promise(async () => {
      const server = await startRedis()
      const impostor = createServer((socket) => socket.on("data", () => socket.write("+PONG\r\n$-1\r\n")))
      try {
        await server.stop()
        await new Promise<void>((resolve) => impostor.listen(server.port, "127.0.0.1", resolve))
        await expect(server.start()).rejects.toThrow("another process has the port")
        expect(server.running).toBe(false)
      } finally {
        await new Promise((resolve) => impostor.close(resolve))
        await server.close()
      }
    })
  )

  it.live("a server whose process exits without stopping it is killed on exit", () =>
    Effect.promise(async () => {
      const child = spawnNode(leaver)
      const { pid, port, dir } = await child.waitForLine<{ pid: number; port: number; dir: string }>(
        (line) => "pid" in line
      )
      expect((await child.exited).code).toBe(0)
      // The signal is sent before the exit; its delivery may take a moment.
      for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 10))
      expect(isAlive(pid)).toBe(false)
      await expect(sendCommand(port, "PING")).rejects.toThrow()
      expect(existsSync(dir)).toBe(false)
    })
  )

  describe("child processes", () => {
    it.live("a TypeScript child gets its arguments and environment and prints a JSON line read back", () =>
      Effect.promise(async () => {
        const child = spawnNode(pinger, ["a", "b"], { env: { REDIS_URL: redis().url } })
        const line = await child.waitForLine((line) => "pong" in line)
        expect(line).toEqual({ pong: "+PONG", args: ["a", "b"] })
        expect(await child.exited).toEqual({ code: 0, signal: null })
        expect(child.lines).toEqual([line])
      })
    )

    it.live(
      "send writes JSON lines to stdin; each line is returned to one waitForLine only; other lines are skipped",
      () =>
        Effect.promise(async () => {
          const child = spawnNode(echo)
          child.send({ n: 1 })
          child.send({ n: 2 })
          const isEcho = (line: any) => "echo" in line
          expect(await child.waitForLine(isEcho)).toEqual({ echo: { n: 1 } })
          expect(await child.waitForLine(isEcho)).toEqual({ echo: { n: 2 } })
          // A predicate that throws on other lines ({ hello: true } has no echo) just does not match them.
          child.send({ n: 3 })
          expect(await child.waitForLine((line) => line.echo.n === 3)).toEqual({ echo: { n: 3 } })
          child.end()
          expect((await child.exited).code).toBe(0)
          expect(child.output()).toContain("not json")
          expect(child.lines).toEqual([{ hello: true }, { echo: { n: 1 } }, { echo: { n: 2 } }, { echo: { n: 3 } }])
        })
    )

    it.live("a child that exits before the line waited for fails the wait with its status and stderr", () =>
      Effect.promise(async () => {
        const child = spawnNode(failing)
        const error: Error = await child
          .waitForLine((line) => "never" in line)
          .then(
            () => new Error("resolved"),
            (e: Error) => e
          )
        expect(error.message).toContain("exited with code 3")
        expect(error.message).toContain("boom: the child failed on purpose")
        expect(error.message).toContain('{"started":true}')
      })
    )

    it.live("waitForLine times out with the output so far; kill ends the child with the signal", () =>
      Effect.promise(async () => {
        const child = spawnNode(echo)
        const error: Error = await child
          .waitForLine((line) => "never" in line, 200)
          .then(
            () => new Error("resolved"),
            (e: Error) => e
          )
        expect(error.message).toContain("within 200 ms")
        expect(error.message).toContain("still running")
        child.kill("SIGKILL")
        expect(await child.exited).toEqual({ code: null, signal: "SIGKILL" })
      })
    )
  })
})
