/**
 * Every module in one browser bundle: none of them may need a Node built-in
 * (the bundler is told the platform is the browser and fails on one).
 */
import * as EffectGo from "effect-go"

console.log(`bundle ok: ${Object.keys(EffectGo).length} exports`)
