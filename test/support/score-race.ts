/**
 * Child process for the exactly-once test: opens the store at argv[2], waits until argv[5] (epoch ms),
 * then scores request argv[3] with an EMA vector naming argv[4] as the winner, and prints
 * `{"outcome": "scored" | "<error tag>"}`.
 */
import { Effect, Redacted } from "effect"
import { storeConfigFromUrl } from "../../src/adapters/store/sql-client.ts"
import * as ValidatorStoreSql from "../../src/adapters/store/validator-store.ts"
import { allStores } from "./validator-stores.ts"

const [url, requestId, label, startAt] = process.argv.slice(2)
if (url === undefined || requestId === undefined || label === undefined || startAt === undefined)
  throw new Error("usage: score-race.ts <store url> <request id> <label> <start epoch ms>")

const program = Effect.gen(function* () {
  const store = yield* allStores
  yield* Effect.sleep(Math.max(0, Number(startAt) - Date.now()))
  return yield* store
    .recordScoring({
      requestId,
      result: { request_id: requestId, cid_to_consensus: { a: 0.5 }, hotkey_to_score: { [label]: 1 } },
      scores: [{ uid: 0, hotkey: label, score: 1 }],
      accuracyOutcomes: [{ hotkey: "miner-a", outcome: "correct" }],
      deliverTo: [{ hotkey: "miner-a", ip: "127.0.0.2", port: 9000 }],
      scoredAt: 2_000
    })
    .pipe(
      Effect.as("scored"),
      Effect.catchAll((e) => Effect.succeed(e._tag))
    )
}).pipe(Effect.provide(ValidatorStoreSql.layer(storeConfigFromUrl(Redacted.make(url)))))

console.log(JSON.stringify({ outcome: await Effect.runPromise(program) }))
