/**
 * Guards against copied primitives, and against arguments that are not a
 * primitive at all.
 *
 * Go's `go vet` (copylocks) and runtime ("sync.Cond is copied") catch a lock
 * or WaitGroup passed by value. TypeScript has no value types, but a spread
 * (`{ ...wg }`) or `Object.assign` makes the same bug: a half-copy with its
 * own counter sharing the original's waiter list. Structural typing lets the
 * copy type-check, so every primitive checks at run time that it was given
 * the object it created, and dies with {@link CopiedPrimitiveError} if not.
 *
 * Something that is no copy at all (`undefined`, a number, another kind of
 * primitive, passed through `any` or a bad cast) is a different mistake and
 * gets a different defect, {@link InvalidArgumentError}, saying what was
 * given and what was wanted.
 *
 * @internal
 */
import * as Data from "effect/Data"
import { WaiterList } from "./waiters.ts"
import { isEffect } from "./function.ts"

/**
 * A primitive was used through a copy (spread, `Object.assign`,
 * `structuredClone`) instead of the object `make` returned: a defect.
 *
 * @since 0.1.0
 */
export class CopiedPrimitiveError extends Data.TaggedError("CopiedPrimitiveError")<{
  readonly primitive: string
}> {
  override get message(): string {
    return `${this.primitive} is copied: pass the ${this.primitive} itself (effect-go primitives are references; a spread or Object.assign copy shares half of its state)`
  }
}

/**
 * An argument of the wrong kind: not a primitive at all where one is wanted
 * (`undefined`, a number, a Chan where a Mutex is wanted), or not an Effect,
 * a function, an iterable where one is wanted. A defect: such a call is a
 * programmer error that a type cast or `any` let through, and no caller can
 * handle it. `expected` says what was wanted, `got` what was given.
 *
 * @since 0.1.0
 */
export class InvalidArgumentError extends Data.TaggedError("InvalidArgumentError")<{
  /** The call that got the argument, e.g. "Cond.make"; undefined when not known. */
  readonly op: string | undefined
  /** What was wanted, e.g. "a Mutex". */
  readonly expected: string
  /** What was given, described, e.g. "undefined", "the string \"3\"", "a Chan". */
  readonly got: string
}> {
  override get message(): string {
    return `${this.op === undefined ? "" : `${this.op}: `}expected ${this.expected}, got ${this.got}`
  }
}

/** Makes an {@link InvalidArgumentError} describing the value `got`. */
export const invalidArgument = (op: string | undefined, expected: string, got: unknown): InvalidArgumentError =>
  new InvalidArgumentError({ op, expected, got: describe(got) })

/**
 * The defect for a `telemetry` option that is neither a boolean nor
 * undefined (every primitive's `make` takes one), or undefined when it is
 * valid.
 */
export const badTelemetryOption = (
  op: string,
  options: { readonly telemetry?: unknown } | undefined
): InvalidArgumentError | undefined => {
  const telemetry = options?.telemetry
  return telemetry === undefined || typeof telemetry === "boolean"
    ? undefined
    : invalidArgument(op, "a boolean (the `telemetry` option)", telemetry)
}

/** `name` with its indefinite article: "a Mutex", "an ErrGroup", "an RWMutex". */
export const withArticle = (name: string): string => (/^(?:[AEIaeio]|RW)/.test(name) ? `an ${name}` : `a ${name}`)

const TYPE_ID_PREFIX = "~effect-go/"

/**
 * The kind of effect-go primitive `u` is or was copied from ("Chan",
 * "Mutex", ...), from what a spread copies: the own TypeId key
 * (`~effect-go/Mutex`) or an own waiter list, which names its primitive.
 */
const kindOf = (u: object): string | undefined => {
  for (const key of Object.keys(u)) {
    if (key.startsWith(TYPE_ID_PREFIX)) return key.slice(TYPE_ID_PREFIX.length)
    const value = (u as Record<string, unknown>)[key]
    if (value instanceof WaiterList) return value.primitive
  }
  return undefined
}

/** A string, quoted and cut short if long. */
const quote = (s: string): string => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s)

/**
 * Describes a value for an error message: its type and, for scalars, the
 * value itself ("the string \"3\"", "the number NaN", "undefined", "a Chan",
 * "a plain object {a, b}").
 */
export const describe = (u: unknown): string => {
  switch (typeof u) {
    case "undefined":
      return "undefined"
    case "string":
      return `the string ${quote(u)}`
    case "number":
      return `the number ${Object.is(u, -0) ? "-0" : String(u)}`
    case "bigint":
      return `the bigint ${u}n`
    case "boolean":
      return `the boolean ${u}`
    case "symbol":
      return `the symbol ${String(u.description)}`
    case "function":
      return u.name === "" ? "a function" : `the function ${u.name}`
  }
  if (u === null) return "null"
  if (Array.isArray(u)) return `an array of length ${u.length}`
  if (isEffect(u)) return "an Effect"
  const kind = kindOf(u as object)
  if (kind !== undefined) return withArticle(kind)
  const proto = Object.getPrototypeOf(u)
  const ctor: unknown = proto === null ? undefined : proto.constructor?.name
  if (typeof ctor === "string" && ctor !== "" && ctor !== "Object") return `an instance of ${ctor}`
  const keys = Object.keys(u as object)
  return keys.length === 0
    ? "an empty object"
    : `an object with keys {${keys.slice(0, 5).join(", ")}${keys.length > 5 ? ", …" : ""}}`
}

/**
 * A value as it appears in an operation's text, e.g. `acquire(-1)`,
 * `make("3")`, `limit true`: numbers, bigints and booleans as they are
 * written (`-0` too), strings quoted, anything else described.
 */
export const show = (u: unknown): string => {
  switch (typeof u) {
    case "number":
      return Object.is(u, -0) ? "-0" : String(u)
    case "string":
      return quote(u)
    case "bigint":
      return `${u}n`
    case "boolean":
      return String(u)
    default:
      return describe(u)
  }
}

/** Whether `u` can be iterated (`for...of`, `Array.from`). */
export const isIterable = (u: unknown): u is Iterable<unknown> =>
  u !== null && u !== undefined && typeof (u as any)[Symbol.iterator] === "function"

/**
 * The type of a value, for "must be a number, not ...": "a string",
 * "undefined", "null", "an array", "an object".
 */
export const typeName = (u: unknown): string =>
  u === undefined
    ? "undefined"
    : u === null
      ? "null"
      : Array.isArray(u)
        ? "an array"
        : typeof u === "object"
          ? isEffect(u)
            ? "an Effect"
            : "an object"
          : withArticle(typeof u)

/**
 * Is `u` a copy of a `primitive`: an object that is not one but carries one's
 * own TypeId key or its waiter list (what a spread or `Object.assign` copies)?
 */
const isCopyOf = (u: unknown, primitive: string): boolean =>
  typeof u === "object" && u !== null && !Array.isArray(u) && kindOf(u) === primitive

/**
 * Returns `self` as its implementation class, or throws (a defect inside an
 * Effect) when it is not an instance: {@link CopiedPrimitiveError} for a copy
 * of one, {@link InvalidArgumentError} for anything else. Call it only while
 * the effect runs (in `suspend`, `sync`, `withFiber`), never while building
 * it.
 */
export const unwrap = <T>(self: unknown, Impl: abstract new (...args: Array<any>) => T, primitive: string): T => {
  if (self instanceof Impl) return self
  throw refusal(self, primitive)
}

/**
 * The defect {@link unwrap} throws for `self`, which is not a `primitive`:
 * {@link CopiedPrimitiveError} for a copy of one, else
 * {@link InvalidArgumentError}. For code that must report it later (a
 * select case reports a bad channel when the select runs).
 */
export const refusal = (self: unknown, primitive: string): CopiedPrimitiveError | InvalidArgumentError =>
  isCopyOf(self, primitive)
    ? new CopiedPrimitiveError({ primitive })
    : invalidArgument(undefined, withArticle(primitive), self)
