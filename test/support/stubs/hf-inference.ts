/**
 * A local stand-in for a Hugging Face Inference endpoint (text-classification), speaking its wire format
 * as `@huggingface/inference` expects it (see shared/reference/cloud-apis.md):
 *   POST <endpoint> {"inputs": {"text", "text_pair"}, "parameters": {"function_to_apply": "none"}}
 *   → 200 application/json [[{"label": "LABEL_0", "score": <logit>}]]
 * A test programs replies (errors, delays, garbage) and reads every request it received.
 */

/** One request as the stub received it. */
export interface HfRecordedRequest {
  readonly method: string
  readonly path: string
  readonly authorization: string | null
  readonly contentType: string | null
  readonly body: unknown
}

/** What the stub answers; `delayMs` waits first. `hang` never answers (until the stub stops). */
export type HfReply = (
  | { readonly kind: "logit"; readonly logit: number }
  | { readonly kind: "labels"; readonly labels: ReadonlyArray<{ label: string; score: number }> }
  | { readonly kind: "status"; readonly status: number; readonly json?: unknown }
  | { readonly kind: "raw"; readonly status?: number; readonly contentType: string; readonly body: string }
  | { readonly kind: "hang" }
) & { readonly delayMs?: number }

/** The pair of one well-formed request. */
export interface HfPair {
  readonly text: string
  readonly textPair: string
}

/** Decides the reply to one well-formed request; `index` counts requests from 0. */
export type HfBehaviour = (pair: HfPair, index: number) => HfReply | Promise<HfReply>

/** A running stub. */
export interface HfInferenceStub {
  /** The endpoint URL to give `InferenceClient` as `endpointUrl`. */
  readonly endpointUrl: string
  /** Every request received, in order (malformed ones included). */
  readonly requests: HfRecordedRequest[]
  /** Replaces the behaviour for well-formed requests. */
  setBehaviour(behaviour: HfBehaviour): void
  /** Queues replies used, in order, before the behaviour (one per request). */
  enqueue(...replies: HfReply[]): void
  /** Stops the server and releases hanging requests. */
  stop(): Promise<void>
}

/** A deterministic toy reward: longer completions that share words with the prompt score higher. */
export const toyLogit = ({ text, textPair }: HfPair): number => {
  const words = new Set(text.toLowerCase().split(/\s+/).filter(Boolean))
  const shared = textPair
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => words.has(w)).length
  return shared - 2 + Math.log1p(textPair.length) / 4
}

const json = (status: number, value: unknown): Response =>
  new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json" } })

const isPairBody = (body: unknown): body is { inputs: { text: string; text_pair: string }; parameters: unknown } => {
  if (typeof body !== "object" || body === null) return false
  const { inputs, parameters } = body as Record<string, unknown>
  if (typeof inputs !== "object" || inputs === null) return false
  const { text, text_pair } = inputs as Record<string, unknown>
  return typeof text === "string" && typeof text_pair === "string" && parameters !== undefined
}

/** Starts the stub on 127.0.0.1 (random port). `token`, when given, is required as a Bearer token. */
export const startHfInferenceStub = (options: { token?: string; behaviour?: HfBehaviour } = {}): HfInferenceStub => {
  const requests: HfRecordedRequest[] = []
  const queue: HfReply[] = []
  let behaviour: HfBehaviour = options.behaviour ?? ((pair) => ({ kind: "logit", logit: toyLogit(pair) }))
  let index = 0
  const hanging = new Set<() => void>()

  const reply = async (r: HfReply): Promise<Response> => {
    if (r.delayMs !== undefined) await Bun.sleep(r.delayMs)
    switch (r.kind) {
      case "logit":
        return json(200, [[{ label: "LABEL_0", score: r.logit }]])
      case "labels":
        return json(200, [r.labels])
      case "status":
        return json(r.status, r.json ?? { error: `stub status ${r.status}` })
      case "raw":
        return new Response(r.body, { status: r.status ?? 200, headers: { "content-type": r.contentType } })
      case "hang":
        return new Promise<Response>((resolve) => {
          const release = () => resolve(json(503, { error: "stub stopped" }))
          hanging.add(release)
        })
    }
  }

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    fetch: async (req) => {
      const text = await req.text()
      let body: unknown = text
      try {
        body = JSON.parse(text)
      } catch {}
      requests.push({
        method: req.method,
        path: new URL(req.url).pathname,
        authorization: req.headers.get("authorization"),
        contentType: req.headers.get("content-type"),
        body
      })
      if (options.token !== undefined && req.headers.get("authorization") !== `Bearer ${options.token}`)
        return json(401, { error: "Invalid credentials in Authorization header" })
      if (req.method !== "POST" || !isPairBody(body))
        return json(400, { error: "expected POST {inputs: {text, text_pair}, parameters}" })
      const n = index++
      const queued = queue.shift()
      return reply(queued ?? (await behaviour({ text: body.inputs.text, textPair: body.inputs.text_pair }, n)))
    }
  })

  return {
    endpointUrl: `http://127.0.0.1:${server.port}/models/reward-model`,
    requests,
    setBehaviour: (b) => {
      behaviour = b
    },
    enqueue: (...replies) => {
      queue.push(...replies)
    },
    stop: async () => {
      for (const release of hanging) release()
      hanging.clear()
      await server.stop(true)
    }
  }
}
