/** The smoke program's thread task: both the program and its thread's entry import it. */
import { Schema } from "effect"
import { Threads } from "effect-go"

export const Square = Threads.task("Square", { input: Schema.Number, output: Schema.Number })
