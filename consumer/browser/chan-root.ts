/**
 * Imports `Chan` from the package root. With `"sideEffects": false` a
 * bundler keeps only the modules `Chan` needs: `npm run smoke` fails if any
 * other effect-go module reaches the bundle.
 */
import { Effect, Option } from "effect"
import { Chan } from "effect-go"

const program = Effect.gen(function* () {
  const ch = yield* Chan.make<string>(1)
  yield* Chan.send(ch, "root")
  return Option.getOrElse(yield* Chan.recv(ch), () => "closed")
})

Effect.runPromise(program).then((v) => console.log(`bundle ok: ${v}`))
