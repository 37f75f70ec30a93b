/**
 * A fleet of local axons for the dendrite fan-out benchmark, in its own thread: either real axons (full
 * verification) or echo stubs (reply with the request body, no verification: the dendrite's own cost).
 * Records when each request reached it (epoch ms, comparable across threads).
 */
import { Effect, Exit, Option, Scope } from "effect"
import * as AxonLive from "../src/adapters/axon/axon.ts"
import { RankingRequestSynapse } from "../src/domain/wire/synapses.ts"
import { axonRoute } from "../src/services/axon.ts"

declare const self: Worker

export type FleetMessage =
  | { readonly type: "start"; readonly mode: "axon" | "echo"; readonly hotkeys: ReadonlyArray<string> }
  | { readonly type: "arrivals" }
  | { readonly type: "stop" }

const HOST = "127.0.0.2"
const epochMs = () => performance.timeOrigin + performance.now()
let arrivals: number[] = []
let stop: () => Promise<void> = async () => {}

const startAxons = async (hotkeys: ReadonlyArray<string>) => {
  const scope = Effect.runSync(Scope.make())
  const route = axonRoute(RankingRequestSynapse, {
    // The blacklist runs first thing after the headers parse: the request's arrival.
    blacklist: () => Effect.sync(() => (arrivals.push(epochMs()), Option.none())),
    forward: (_, body) => Effect.succeed({ ...body, ranks: body.completions.map((c) => ({ cid: c.cid, score: 1 })) })
  })
  const ports: number[] = []
  for (const hotkey of hotkeys) {
    const axon = await Effect.runPromise(
      AxonLive.make({ ...AxonLive.defaultAxonConfig, hotkey, ip: HOST, port: 0 }, [route]).pipe(Scope.extend(scope))
    )
    ports.push(axon.bound.port)
  }
  stop = () => Effect.runPromise(Scope.close(scope, Exit.void))
  return ports
}

const startEcho = (count: number) => {
  const servers = Array.from({ length: count }, () =>
    Bun.serve({
      hostname: HOST,
      port: 0,
      fetch: async (req) => {
        arrivals.push(epochMs())
        return new Response(await req.text(), { headers: { "content-type": "application/json" } })
      }
    })
  )
  stop = async () => {
    for (const s of servers) s.stop(true)
  }
  return servers.map((s) => s.port as number)
}

self.onmessage = async (event: MessageEvent<FleetMessage>) => {
  const m = event.data
  if (m.type === "start") self.postMessage({ ports: m.mode === "axon" ? await startAxons(m.hotkeys) : startEcho(m.hotkeys.length) })
  else if (m.type === "arrivals") {
    self.postMessage({ arrivals })
    arrivals = []
  } else {
    await stop()
    self.postMessage({ stopped: true })
  }
}
