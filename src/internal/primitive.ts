/**
 * What every primitive's implementation class is, as a value: `Pipeable` and
 * `Inspectable` like Effect's own data types (`Queue`, `Deferred`).
 *
 * @internal
 */
import * as Inspectable from "effect/Inspectable"
import { type Pipeable, pipeArguments } from "effect/Pipeable"
import type { HeldRecord } from "./registry.ts"
import { made, type Tracked } from "./telemetry.ts"

/**
 * The base of every primitive's implementation class. `toJSON` shows the
 * primitive's kind (`_id`), its name and its observable state — never its
 * internals (waiter lists, fibers): `console.log(chan)` prints
 * `{ _id: "Chan", name: "jobs", capacity: 16, len: 3, closed: false, … }`,
 * and `String(chan)` the same, formatted.
 */
export abstract class PrimitiveBase extends Inspectable.Class implements Pipeable {
  /** Its record in the registry of primitives fibers blocked on (see registry.ts), once a fiber parked on it. */
  heldRecord: HeldRecord | undefined = undefined
  /** Its `telemetry` option: false, never recorded; true, recorded even outside a Telemetry layer; undefined, as the layer in force. */
  telemetry: boolean | undefined = undefined
  constructor() {
    super()
    // Under a Telemetry layer, its gauges (read from its diagnosis) are set up.
    made(this as unknown as Tracked & PrimitiveBase)
  }
  pipe() {
    // biome-ignore lint/complexity/noArguments: Effect's pipeArguments takes them as they are
    return pipeArguments(this, arguments)
  }
}
