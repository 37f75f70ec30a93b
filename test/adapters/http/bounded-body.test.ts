/**
 * The one bounded body reader, where it matters most: a miner answering the validator's dendrite with a
 * 200 MiB reply (generated as it streams, never held by the test) is refused after the 2 MiB cap, the
 * rest is never read off the connection, and the validator's memory stays bounded. Also the reader on
 * its own: declared and undeclared lengths, truncated bodies.
 */
import { afterAll, describe, expect, test } from "bun:test"
import { Effect, ManagedRuntime } from "effect"
import { readResponseBody } from "../../../src/adapters/http/bounded-body.ts"
import * as DendriteLive from "../../../src/adapters/dendrite/dendrite.ts"
import { keypairFromUri } from "../../../src/adapters/wallet/sr25519.ts"
import { RankingRequestSynapse } from "../../../src/domain/wire/synapses.ts"
import { Dendrite } from "../../../src/services/dendrite.ts"
import { rankingRequest } from "../../pipeline/miner/miner-fixture.ts"

const validator = keypairFromUri("//Alice")
const miner = keypairFromUri("//Bob")
const MiB = 1024 * 1024
const CHUNK = 64 * 1024

/** A reply of `total` bytes of one JSON string, produced chunk by chunk as the client pulls; counts what was produced. */
const hugeReply = (total: number) => {
  const counter = { produced: 0 }
  const filler = new Uint8Array(CHUNK).fill(0x61)
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (counter.produced === 0) {
        controller.enqueue(new TextEncoder().encode('{"prompt": "'))
        counter.produced += 12
        return
      }
      if (counter.produced >= total) {
        controller.enqueue(new TextEncoder().encode('"}'))
        controller.close()
        return
      }
      controller.enqueue(filler)
      counter.produced += CHUNK
    }
  })
  return { stream, counter }
}

const counters: Array<{ produced: number }> = []
const server = Bun.serve({
  hostname: "127.0.0.3",
  port: 0,
  fetch: async (req) => {
    await req.arrayBuffer()
    const reply = hugeReply(200 * MiB)
    counters.push(reply.counter)
    return new Response(reply.stream, { headers: { "content-type": "application/json" } })
  }
})
afterAll(() => server.stop(true))

const runtime = ManagedRuntime.make(DendriteLive.layer({ hotkey: validator }))
afterAll(() => runtime.dispose())

const request = rankingRequest({ id: "req-huge", prompt: "p", texts: ["x", "y"] })

/** A miner whose 200 reply is hostile JSON, chosen by the request's prompt. */
const hostileReplies: Record<string, Uint8Array> = {
  deep: new TextEncoder().encode(`{"ranks": ${"[".repeat(100_000)}${"]".repeat(100_000)}}`),
  utf8: new Uint8Array([...new TextEncoder().encode('{"ranks": [{"cid": "a'), 0xff, ...new TextEncoder().encode('", "score": 1}]}')]),
  overflow: new TextEncoder().encode('{"ranks": [{"cid": "a", "score": 1e999}]}')
}
const hostileMiner = Bun.serve({
  hostname: "127.0.0.3",
  port: 0,
  fetch: async (req) => new Response(hostileReplies[((await req.json()) as { prompt: string }).prompt], { headers: { "content-type": "application/json" } })
})
afterAll(() => hostileMiner.stop(true))

describe("a miner's hostile reply", () => {
  test("deep nesting, bad UTF-8 and overflowing numbers are 422s naming the field, before any recursive work", async () => {
    const answers: Record<string, string> = {}
    for (const prompt of Object.keys(hostileReplies)) {
      const r = await runtime.runPromise(
        Effect.flatMap(Dendrite, (d) => d.call({ ip: "127.0.0.3", port: hostileMiner.port!, hotkey: miner.ss58Address }, RankingRequestSynapse, { ...request, prompt }))
      )
      expect(r.statusCode).toBe(422)
      answers[prompt] = r.statusMessage
    }
    expect(answers).toEqual({
      deep: "Failed to parse response: ranks[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0] nests deeper than 16 levels",
      utf8: "Failed to parse response: ranks[0].cid is not valid UTF-8",
      overflow: "Failed to parse response: ranks[0].score is a number out of range (it overflows a 64-bit float)"
    })
  })
})

describe("a miner's oversized reply", () => {
  test("a 200 MiB streamed reply is refused at the 2 MiB cap, the rest is never read, memory stays bounded", async () => {
    Bun.gc(true)
    const before = process.memoryUsage().rss
    const r = await runtime.runPromise(
      Effect.flatMap(Dendrite, (d) => d.call({ ip: "127.0.0.3", port: server.port!, hotkey: miner.ss58Address }, RankingRequestSynapse, request, { timeout: 60 }))
    )
    expect(r.statusCode).toBe(422)
    expect(r.statusMessage).toBe(`Failed to parse response: reply is larger than ${DendriteLive.DEFAULT_MAX_REPLY_BYTES} bytes`)
    // What the server managed to produce is what the dendrite pulled plus the socket's buffers: far from 200 MiB.
    expect(counters.at(-1)!.produced).toBeLessThan(32 * MiB)
    Bun.gc(true)
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * MiB)
  })

  test("the reader stops at the first network read past the limit and says how much it read", async () => {
    const res = await fetch(`http://127.0.0.3:${server.port}/`, { method: "POST", body: "{}" })
    const read = await readResponseBody(res, 1 * MiB)
    expect(read._tag).toBe("TooLarge")
    if (read._tag !== "TooLarge") return
    expect(read.bytesRead).toBeGreaterThan(1 * MiB)
    // One read off the socket past the limit (its size is the transport's, a few hundred KiB at most).
    expect(read.bytesRead).toBeLessThan(2 * MiB)
    expect(read.error.message).toBe(`body is larger than ${1 * MiB} bytes`)
  })

  test("a declared Content-Length over the limit is refused before anything is read", async () => {
    const reply = hugeReply(200 * MiB)
    const read = await readResponseBody(new Response(reply.stream, { headers: { "content-length": String(200 * MiB + 14) } }), 1 * MiB)
    expect(reply.counter.produced).toBeLessThan(1 * MiB)
    expect(read).toMatchObject({ _tag: "TooLarge", bytesRead: 0 })
    if (read._tag === "TooLarge") expect(read.error.message).toBe(`body is ${200 * MiB + 14} bytes; the limit is ${1 * MiB} bytes`)
  })

  test("a body within the limit is returned whole; a truncated one is Unreadable", async () => {
    const ok = await readResponseBody(new Response('{"a": 1}'), 100)
    expect(ok._tag === "Body" && new TextDecoder().decode(ok.bytes)).toBe('{"a": 1}')
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('{"a": '))
        controller.error(new Error("connection reset"))
      }
    })
    const read = await readResponseBody(new Response(broken), 100)
    expect(read).toMatchObject({ _tag: "Unreadable" })
  })
})
