/**
 * A value read from configuration, checked: a bad one fails the `Config`
 * itself, so that a layer built from it fails with a `ConfigError` saying
 * what was wrong, as it does for any other bad configuration value.
 */
import * as Config from "effect/Config"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"

/** `config`, failing with `check`'s error (its message, then `what` in parentheses) when there is one. */
export const checkedConfig = <A>(
  config: Config.Config<A>,
  check: (value: A) => { readonly message: string } | undefined,
  what: string
): Config.Config<A> =>
  Config.flatMap(config, (value) => {
    const bad = check(value)
    return bad === undefined
      ? Config.succeed(value)
      : Config.fail(new Schema.SchemaError(new SchemaIssue.InvalidValue({ message: `${bad.message} (${what})` })))
  })
