/**
 * Real Node child processes for multi-process tests (several processes
 * sharing one Redis, a process killed while it holds a lock...).
 *
 * `spawnNode(file, args, { env })` runs a TypeScript file under the Node
 * running the tests (type stripping). The child talks in JSON lines: each
 * line it prints on stdout is parsed into `lines`; `send(value)` writes one
 * JSON line to its stdin. Its stderr is kept and shown in every failure.
 * Every child still running when the test process exits is killed.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

/** How a child ended. */
export interface ExitStatus {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

export interface NodeProcess {
  readonly pid: number | undefined
  /** Every JSON object line printed so far, in order (other lines are in `output()` only). */
  readonly lines: ReadonlyArray<any>
  /**
   * The first line matching `predicate` that no earlier `waitForLine` returned
   * (already printed or still to come). Rejects, with the child's output and
   * stderr, when the child exits first or `timeoutMs` (default 10 s) passes.
   */
  waitForLine<A = any>(predicate: (line: any) => boolean, timeoutMs?: number): Promise<A>
  /** Writes `value` as one JSON line to the child's stdin. */
  send(value: unknown): void
  /** Closes the child's stdin. */
  end(): void
  /** Resolves when the child has exited. */
  readonly exited: Promise<ExitStatus>
  /** Whether the child has exited. */
  readonly done: boolean
  /** Sends `signal` (default SIGTERM). */
  kill(signal?: NodeJS.Signals): void
  /** stdout (every line) so far. */
  output(): string
  /** stderr so far. */
  stderr(): string
}

const live = new Set<ChildProcess>()
let exitHookInstalled = false

/**
 * Kills `child` with SIGKILL if this process exits while it runs (a test
 * failing in a hook, a timeout): no child is left behind. It is forgotten
 * once it has exited, or could not be run.
 */
export const killOnExit = (child: ChildProcess): void => {
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.on("exit", () => {
      for (const running of live) running.kill("SIGKILL")
    })
  }
  live.add(child)
  const forget = () => live.delete(child)
  child.once("exit", forget)
  child.once("error", forget)
}

// Node ≥ 23.6 strips types by default; older ones need the flag.
const stripTypes: ReadonlyArray<string> = (process.features as { typescript?: unknown }).typescript
  ? []
  : ["--experimental-strip-types"]

/** A predicate that throws on a line (it expected another shape) does not match it. */
const matches = (predicate: (line: any) => boolean, line: unknown): boolean => {
  try {
    return predicate(line)
  } catch {
    return false
  }
}

const tail = (text: string, lines = 30): string => text.trimEnd().split("\n").slice(-lines).join("\n")

/** Runs `file` (a `.ts` file: a path or a file URL) in a new Node process. */
export const spawnNode = (
  file: string | URL,
  args: ReadonlyArray<string> = [],
  options: { readonly env?: Record<string, string | undefined>; readonly cwd?: string } = {}
): NodeProcess => {
  const path = typeof file === "string" ? file : fileURLToPath(file)
  const child = spawn(process.execPath, [...stripTypes, "--no-warnings", path, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, ...options.env },
    ...(options.cwd === undefined ? {} : { cwd: options.cwd })
  })
  killOnExit(child)

  const lines: Array<any> = []
  const taken = new Set<number>()
  let stdout = ""
  let stderr = ""
  let partial = ""
  let status: ExitStatus | undefined
  const listeners = new Set<() => void>()
  const notify = () => {
    for (const listener of [...listeners]) listener()
  }

  child.stdout!.setEncoding("utf8")
  child.stdout!.on("data", (chunk: string) => {
    stdout += chunk
    partial += chunk
    let eol = partial.indexOf("\n")
    while (eol >= 0) {
      const line = partial.slice(0, eol).trim()
      partial = partial.slice(eol + 1)
      if (line.startsWith("{")) {
        try {
          lines.push(JSON.parse(line))
        } catch {
          // not JSON after all: kept in stdout for failure messages
        }
      }
      eol = partial.indexOf("\n")
    }
    notify()
  })
  child.stderr!.setEncoding("utf8")
  child.stderr!.on("data", (chunk: string) => {
    stderr += chunk
  })
  // A child that exits early makes writes to its stdin fail: reported by `exited`, not thrown.
  child.stdin!.on("error", () => {})

  const exited = new Promise<ExitStatus>((resolve) => {
    child.once("error", (error) => {
      stderr += `\n[could not run ${process.execPath}: ${error.message}]`
      status = { code: null, signal: null }
      notify()
      resolve(status)
    })
    // "close": stdout and stderr are drained, so `lines` is complete.
    child.once("close", (code, signal) => {
      status = { code, signal }
      notify()
      resolve(status)
    })
  })

  const describe = (what: string): string => {
    const out = tail(stdout)
    const err = tail(stderr)
    const end = status === undefined ? "still running" : `exited with code ${status.code}, signal ${status.signal}`
    return [
      `${path}: ${what} (${end})`,
      `stdout:${out === "" ? " (nothing)" : `\n${out}`}`,
      `stderr:${err === "" ? " (nothing)" : `\n${err}`}`
    ].join("\n")
  }

  const waitForLine = <A>(predicate: (line: any) => boolean, timeoutMs = 10_000): Promise<A> =>
    new Promise<A>((resolve, reject) => {
      const check = (): boolean => {
        for (let i = 0; i < lines.length; i++) {
          if (!taken.has(i) && matches(predicate, lines[i])) {
            taken.add(i)
            resolve(lines[i] as A)
            return true
          }
        }
        if (status !== undefined) {
          reject(new Error(describe(`exited before printing the line waited for (${predicate.toString()})`)))
          return true
        }
        return false
      }
      if (check()) return
      const timer = setTimeout(() => {
        listeners.delete(listener)
        reject(new Error(describe(`no line matching ${predicate.toString()} within ${timeoutMs} ms`)))
      }, timeoutMs)
      const listener = () => {
        if (check()) {
          clearTimeout(timer)
          listeners.delete(listener)
        }
      }
      listeners.add(listener)
    })

  return {
    pid: child.pid,
    lines,
    waitForLine,
    send: (value) => {
      child.stdin!.write(`${JSON.stringify(value)}\n`)
    },
    end: () => {
      child.stdin!.end()
    },
    exited,
    get done() {
      return status !== undefined
    },
    kill: (signal = "SIGTERM") => {
      if (status === undefined) child.kill(signal)
    },
    output: () => stdout,
    stderr: () => stderr
  }
}
