/** Imports the Chan module through its subpath: the same bundle as the root import. */
import { Effect, Option } from "effect"
import * as Chan from "effect-go/Chan"

const program = Effect.gen(function* () {
  const ch = yield* Chan.make<string>(1)
  yield* Chan.send(ch, "subpath")
  return Option.getOrElse(yield* Chan.recv(ch), () => "closed")
})

Effect.runPromise(program).then((v) => console.log(`bundle ok: ${v}`))
