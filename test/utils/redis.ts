/**
 * Redis for the tests: a private `redis-server` per test file, on a free
 * 127.0.0.1 port, with no persistence (a restart loses everything, like a
 * crash), in its own temporary directory.
 *
 * - `describeRedis(name, body)` is `describe` for tests that need Redis: when
 *   `redis-server` is not installed the block is skipped with one printed
 *   line, unless `EFFECT_GO_REQUIRE_REDIS=1` (set by CI), where it fails.
 * - `useRedis()` inside such a block starts a server before its tests and
 *   stops it after them: `const redis = useRedis()`, then `redis().url`.
 * - `redisLayer(url)` provides Effect's `Redis` service (node-redis).
 * - `startRedis()` is the server itself (the benchmarks use it too).
 *
 * Every server started here is killed when the process exits.
 */
import * as NodeRedis from "@effect/platform-node/NodeRedis"
import { afterAll, beforeAll, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type { Redis } from "effect/persistence/Redis"
import type * as Scope from "effect/Scope"
import { type ChildProcess, spawn } from "node:child_process"
import { accessSync, constants, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createConnection, createServer } from "node:net"
import { tmpdir } from "node:os"
import { delimiter, join } from "node:path"
import { killOnExit } from "./processes.ts"

// -----------------------------------------------------------------------------
// Finding redis-server
// -----------------------------------------------------------------------------

const findOnPath = (name: string): string | undefined => {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue
    const candidate = join(dir, name)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not in this directory
    }
  }
  return undefined
}

const redisServerPath: string | undefined = findOnPath("redis-server")

/** Whether `redis-server` is on PATH. */
export const redisServerInstalled: boolean = redisServerPath !== undefined

// -----------------------------------------------------------------------------
// A minimal RESP client (no dependency, so that it works against a server in
// any state and from any process)
// -----------------------------------------------------------------------------

/** An error reply from Redis (`-ERR ...`). */
export class RedisReplyError extends Error {
  override readonly name = "RedisReplyError"
}

/** A Redis reply: simple/bulk string, integer, nil, error, or an array of replies. */
export type Reply = string | number | null | RedisReplyError | ReadonlyArray<Reply>

const encode = (args: ReadonlyArray<string>): string => {
  let out = `*${args.length}\r\n`
  for (const arg of args) out += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`
  return out
}

/** Parses one reply at `at`, or `undefined` when `buf` does not hold all of it yet. */
const parse = (buf: Buffer, at: number): { readonly value: Reply; readonly next: number } | undefined => {
  const eol = buf.indexOf("\r\n", at)
  if (eol < 0) return undefined
  const line = buf.toString("utf8", at + 1, eol)
  const next = eol + 2
  switch (buf[at]) {
    case 0x2b: // +
      return { value: line, next }
    case 0x2d: // -
      return { value: new RedisReplyError(line), next }
    case 0x3a: // :
      return { value: Number(line), next }
    case 0x24: {
      // $
      const length = Number(line)
      if (length < 0) return { value: null, next }
      if (buf.length < next + length + 2) return undefined
      return { value: buf.toString("utf8", next, next + length), next: next + length + 2 }
    }
    case 0x2a: {
      // *
      const length = Number(line)
      if (length < 0) return { value: null, next }
      const items: Array<Reply> = []
      let pos = next
      for (let i = 0; i < length; i++) {
        const item = parse(buf, pos)
        if (item === undefined) return undefined
        items.push(item.value)
        pos = item.next
      }
      return { value: items, next: pos }
    }
    default:
      throw new Error(`unexpected RESP reply type ${JSON.stringify(String.fromCharCode(buf[at]!))}`)
  }
}

/**
 * Sends `commands` pipelined on one new connection to 127.0.0.1:`port` and
 * resolves with their replies (error replies included, as `RedisReplyError`).
 * Rejects when the connection fails or `timeoutMs` passes.
 */
export const sendCommands = (
  port: number,
  commands: ReadonlyArray<ReadonlyArray<string>>,
  timeoutMs = 5_000
): Promise<Array<Reply>> =>
  new Promise((resolve, reject) => {
    const socket = createConnection({ host: "127.0.0.1", port })
    const replies: Array<Reply> = []
    let buf = Buffer.alloc(0)
    let at = 0
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`Redis on port ${port} did not answer within ${timeoutMs} ms`))
    }, timeoutMs)
    socket.on("connect", () => socket.write(commands.map(encode).join("")))
    socket.on("data", (chunk) => {
      buf = Buffer.concat([buf, chunk])
      try {
        for (let reply = parse(buf, at); reply !== undefined; reply = parse(buf, at)) {
          replies.push(reply.value)
          at = reply.next
          if (replies.length === commands.length) {
            clearTimeout(timer)
            socket.destroy()
            resolve(replies)
            return
          }
        }
      } catch (error) {
        clearTimeout(timer)
        socket.destroy()
        reject(error)
      }
    })
    socket.on("error", (error) => {
      clearTimeout(timer)
      reject(error)
    })
    socket.on("close", () => {
      clearTimeout(timer)
      reject(new Error(`Redis on port ${port} closed the connection before answering`))
    })
  })

/** Sends one command; an error reply rejects. */
export const sendCommand = async (port: number, ...args: ReadonlyArray<string>): Promise<Reply> => {
  const [reply] = await sendCommands(port, [args])
  if (reply instanceof RedisReplyError) throw reply
  return reply ?? null
}

// -----------------------------------------------------------------------------
// The server
// -----------------------------------------------------------------------------

/** A private `redis-server`. */
export interface RedisServer {
  readonly port: number
  /** `redis://127.0.0.1:PORT` */
  readonly url: string
  /** The temporary directory holding its log (`redis.log`). */
  readonly dir: string
  /** Whether the process is running. */
  readonly running: boolean
  /** The process id while it runs. */
  readonly pid: number | undefined
  /** Starts it again on the same port, after `stop` or `kill` (no-op when it runs). */
  start(): Promise<void>
  /** SIGTERM, then SIGKILL if it has not exited after 2 s; resolves once it has exited. */
  stop(): Promise<void>
  /** SIGKILL (a crash); resolves once it has exited. */
  kill(): Promise<void>
  /** `stop` then `start` on the same port: every key is lost (there is no persistence). */
  restart(): Promise<void>
  /** Every key matching `pattern` (SCAN), sorted. */
  keys(pattern?: string): Promise<Array<string>>
  /** FLUSHALL. */
  flush(): Promise<void>
  /** Sends one command on a new connection; an error reply rejects. */
  command(...args: ReadonlyArray<string>): Promise<Reply>
  /** The server's log so far. */
  log(): string
  /** `stop`, then removes its directory. */
  close(): Promise<void>
}

export interface StartRedisOptions {
  /** More `redis-server` arguments, such as `["--maxmemory", "10mb"]`. */
  readonly args?: ReadonlyArray<string>
  /** How long to wait for the first PONG; default 10 s. */
  readonly startTimeoutMs?: number
}

const dirs = new Set<string>()
let exitHookInstalled = false

// Whatever ends the process (a test failing in a hook, a timeout), no
// redis-server directory is left behind (the servers themselves are killed
// on exit: see `killOnExit`).
const installExitHook = (): void => {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on("exit", () => {
    for (const dir of dirs) {
      try {
        rmSync(dir, { recursive: true, force: true })
      } catch {
        // best effort at exit
      }
    }
  })
}

/** The port was taken between choosing it and binding it. */
class PortInUse extends Error {}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

class Server implements RedisServer {
  readonly port: number
  readonly dir: string
  readonly url: string
  private readonly options: StartRedisOptions
  private child: ChildProcess | undefined
  private exited: Promise<void> = Promise.resolve()
  private stderr = ""

  constructor(port: number, dir: string, options: StartRedisOptions) {
    this.port = port
    this.dir = dir
    this.options = options
    this.url = `redis://127.0.0.1:${port}`
  }

  get running(): boolean {
    return this.child !== undefined
  }

  get pid(): number | undefined {
    return this.child?.pid
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, "redis.log"), "utf8")
    } catch {
      return ""
    }
  }

  private describeFailure(what: string): string {
    const log = `${this.stderr}${this.log()}`.trim().split("\n").slice(-15).join("\n")
    return `redis-server on port ${this.port} ${what}${log === "" ? "" : `; its last output:\n${log}`}`
  }

  async start(): Promise<void> {
    if (this.child !== undefined) return
    // Truncated so that a failure shows this start's output only.
    writeFileSync(join(this.dir, "redis.log"), "")
    this.stderr = ""
    const child = spawn(
      redisServerPath ?? "redis-server",
      [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
        "--dir",
        this.dir,
        "--logfile",
        join(this.dir, "redis.log"),
        ...(this.options.args ?? [])
      ],
      { stdio: ["ignore", "ignore", "pipe"] }
    )
    this.child = child
    killOnExit(child)
    let done = false
    this.exited = new Promise<void>((resolve) => {
      child.once("exit", () => {
        done = true
        if (this.child === child) this.child = undefined
        resolve()
      })
    })
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString()
    })
    let spawnFailure: Error | undefined
    child.once("error", (error) => {
      // The binary could not be run: there is no process, and no exit event to wait for.
      spawnFailure = error
      if (this.child === child) this.child = undefined
    })
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 10_000)
    for (;;) {
      await sleep(0)
      if (spawnFailure !== undefined) {
        this.exited = Promise.resolve()
        throw new Error(this.describeFailure(`could not be started: ${spawnFailure.message}`))
      }
      if (done) {
        if (/address already in use/i.test(this.log() + this.stderr)) {
          throw new PortInUse(this.describeFailure("could not listen: another process has the port"))
        }
        throw new Error(this.describeFailure("exited while starting"))
      }
      try {
        // The answer must come from this process: after a restart, another server may have taken the port.
        const [pong, info] = await sendCommands(this.port, [["PING"], ["INFO", "server"]], 1_000)
        if (pong === "PONG" && typeof info === "string" && info.includes(`process_id:${child.pid}\r\n`)) return
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await this.kill()
        throw new Error(this.describeFailure(`did not answer PING within ${this.options.startTimeoutMs ?? 10_000} ms`))
      }
      await sleep(10)
    }
  }

  async stop(): Promise<void> {
    const child = this.child
    if (child === undefined) return
    child.kill("SIGTERM")
    const timer = setTimeout(() => child.kill("SIGKILL"), 2_000)
    await this.exited
    clearTimeout(timer)
  }

  async kill(): Promise<void> {
    this.child?.kill("SIGKILL")
    await this.exited
  }

  async restart(): Promise<void> {
    await this.stop()
    await this.start()
  }

  async keys(pattern = "*"): Promise<Array<string>> {
    const found = new Set<string>()
    let cursor = "0"
    do {
      const reply = await sendCommand(this.port, "SCAN", cursor, "MATCH", pattern, "COUNT", "1000")
      const [next, keys] = reply as [string, Array<string>]
      for (const key of keys) found.add(key)
      cursor = next
    } while (cursor !== "0")
    return [...found].sort()
  }

  async flush(): Promise<void> {
    await sendCommand(this.port, "FLUSHALL")
  }

  command(...args: ReadonlyArray<string>): Promise<Reply> {
    return sendCommand(this.port, ...args)
  }

  async close(): Promise<void> {
    await this.stop()
    rmSync(this.dir, { recursive: true, force: true })
    dirs.delete(this.dir)
  }
}

/**
 * Starts a private `redis-server` on a free 127.0.0.1 port (no RDB, no AOF,
 * its own temporary directory and log) and resolves once it answers PING.
 */
export const startRedis = async (options: StartRedisOptions = {}): Promise<RedisServer> => {
  if (redisServerPath === undefined) throw new Error("redis-server is not installed (apt-get install redis-server)")
  const dir = mkdtempSync(join(tmpdir(), "effect-go-redis-"))
  dirs.add(dir)
  installExitHook()
  for (let attempt = 1; ; attempt++) {
    const server = new Server(await freePort(), dir, options)
    try {
      await server.start()
      return server
    } catch (error) {
      // Another process took the port between our probe and redis-server's bind.
      if (error instanceof PortInUse && attempt < 5) continue
      rmSync(dir, { recursive: true, force: true })
      dirs.delete(dir)
      throw error
    }
  }
}

// -----------------------------------------------------------------------------
// Vitest
// -----------------------------------------------------------------------------

const notInstalled = "redis-server is not installed: skipping the Redis tests (apt-get install redis-server)"

const markerPrefix = "effect-go-redis-skipped-"

/**
 * Prints the skip notice once per test run: test files run in separate
 * workers, so the first one leaves a marker named after the runner's pid.
 * Markers of runs that have ended are removed.
 */
const noticeOnce = (): void => {
  try {
    for (const name of readdirSync(tmpdir())) {
      if (!name.startsWith(markerPrefix)) continue
      const pid = Number(name.slice(markerPrefix.length))
      if (pid === process.ppid) continue
      try {
        process.kill(pid, 0)
      } catch {
        rmSync(join(tmpdir(), name), { force: true })
      }
    }
    writeFileSync(join(tmpdir(), `${markerPrefix}${process.ppid}`), "", { flag: "wx" })
  } catch {
    return
  }
  process.stderr.write(`${notInstalled}\n`)
}

/**
 * `describe` for tests that need a Redis server. When `redis-server` is not
 * on PATH, the block is skipped and one line says so; with
 * `EFFECT_GO_REQUIRE_REDIS=1` (CI) the block is one failing test instead.
 */
export const describeRedis = (name: string, body: () => void): void => {
  if (redisServerInstalled) {
    describe(name, body)
  } else if (process.env.EFFECT_GO_REQUIRE_REDIS === "1") {
    describe(name, () => {
      it("needs redis-server", () => {
        throw new Error(
          "redis-server is not installed, and EFFECT_GO_REQUIRE_REDIS=1 forbids skipping the Redis tests (apt-get install redis-server)"
        )
      })
    })
  } else {
    noticeOnce()
    describe.skip(name, body)
  }
}

/**
 * Starts a server before the tests of the enclosing `describeRedis` block and
 * stops it after them. Returns an accessor for use inside the tests.
 */
export const useRedis = (options: StartRedisOptions = {}): (() => RedisServer) => {
  let server: RedisServer | undefined
  beforeAll(async () => {
    server = await startRedis(options)
  })
  afterAll(async () => {
    await server?.close()
    server = undefined
  })
  return () => {
    if (server === undefined)
      throw new Error("useRedis: no server yet (use the accessor inside a test, not while declaring)")
    return server
  }
}

/** Effect's `Redis` service (and `NodeRedis`) on `url`, through node-redis. */
export const redisLayer = (url: string, options?: Omit<NonNullable<Parameters<typeof NodeRedis.layer>[0]>, "url">) =>
  NodeRedis.layer({ ...options, url })

/**
 * Runs `body` in a scope of its own with Effect's `Redis` service on
 * `server` (a {@link useRedis} accessor).
 */
export const withRedisOn =
  (server: () => RedisServer) =>
  <A, E>(body: Effect.Effect<A, E, Redis | Scope.Scope>) =>
    Effect.scoped(body).pipe(Effect.provide(redisLayer(server().url)))

let names = 0
/** A name no test of this process used before: the server's keys outlive a test. */
export const freshName = (what: string): string => `${what}-${++names}-${Date.now()}`
