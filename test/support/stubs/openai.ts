/**
 * A local stand-in for an OpenAI-compatible Chat Completions API (OpenAI, TogetherAI), speaking the wire
 * format the `openai` SDK expects (see shared/reference/cloud-apis.md):
 *   POST {baseURL}/chat/completions, Authorization: Bearer <key>, body = the parameters
 *   → 200 {id, object: "chat.completion", created, model, choices: [{index, message, finish_reason}], usage}
 *   errors → {"error": {message, type, param, code}} with the HTTP status.
 * A test programs replies (errors, delays, garbage) and reads every request it received.
 */

/** The request body fields the stub reads (the rest is kept in `raw`). */
export interface ChatBody {
  readonly model: string
  readonly messages: ReadonlyArray<{ readonly role: string; readonly content: string }>
  readonly temperature?: number
  readonly response_format?: { readonly type: string }
  readonly raw: Record<string, unknown>
}

/** One request as the stub received it. */
export interface ChatRecordedRequest {
  readonly method: string
  readonly path: string
  readonly authorization: string | null
  readonly body: unknown
}

/** What the stub answers; `delayMs` waits first. `hang` never answers (until the stub stops). */
export type ChatReply = (
  | { readonly kind: "content"; readonly content: string | null; readonly finishReason?: string }
  | { readonly kind: "status"; readonly status: number; readonly message?: string; readonly headers?: Record<string, string> }
  | { readonly kind: "raw"; readonly status?: number; readonly contentType: string; readonly body: string }
  | { readonly kind: "hang" }
) & { readonly delayMs?: number }

/** Decides the reply to one well-formed request; `index` counts requests from 0. */
export type ChatBehaviour = (body: ChatBody, index: number) => ChatReply | Promise<ChatReply>

/** A running stub. */
export interface OpenAIStub {
  /** Give this to the SDK as `baseURL` (ends in /v1). */
  readonly baseURL: string
  /** Every request received, in order. */
  readonly requests: ChatRecordedRequest[]
  /** Replaces the behaviour for well-formed requests. */
  setBehaviour(behaviour: ChatBehaviour): void
  /** Queues replies used, in order, before the behaviour (one per request). */
  enqueue(...replies: ChatReply[]): void
  /** Stops the server and releases hanging requests. */
  stop(): Promise<void>
}

/** A chat.completion object as the API returns it. */
export const chatCompletion = (model: string, content: string | null, finishReason = "stop") => ({
  id: `chatcmpl-${crypto.randomUUID()}`,
  object: "chat.completion",
  created: Math.floor(Date.now() / 1000),
  model,
  choices: [{ index: 0, message: { role: "assistant", content, refusal: null }, logprobs: null, finish_reason: finishReason }],
  usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 }
})

const errorType = (status: number): string =>
  status === 429 ? "rate_limit_exceeded" : status === 401 ? "invalid_request_error" : status >= 500 ? "server_error" : "invalid_request_error"

const errorResponse = (status: number, message: string, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify({ error: { message, type: errorType(status), param: null, code: null } }), {
    status,
    headers: { "content-type": "application/json", ...headers }
  })

const asChatBody = (body: unknown): ChatBody | undefined => {
  if (typeof body !== "object" || body === null) return undefined
  const raw = body as Record<string, unknown>
  if (typeof raw.model !== "string" || !Array.isArray(raw.messages)) return undefined
  const messages = raw.messages.filter(
    (m): m is { role: string; content: string } => typeof m?.role === "string" && typeof m?.content === "string"
  )
  if (messages.length !== raw.messages.length) return undefined
  return {
    model: raw.model,
    messages,
    ...(typeof raw.temperature === "number" ? { temperature: raw.temperature } : {}),
    ...(typeof raw.response_format === "object" && raw.response_format !== null
      ? { response_format: raw.response_format as { type: string } }
      : {}),
    raw
  }
}

/** Starts the stub on 127.0.0.1 (random port). `apiKey`, when given, is required as a Bearer token. */
export const startOpenAIStub = (options: { apiKey?: string; behaviour?: ChatBehaviour } = {}): OpenAIStub => {
  const requests: ChatRecordedRequest[] = []
  const queue: ChatReply[] = []
  let behaviour: ChatBehaviour = options.behaviour ?? (() => ({ kind: "content", content: '{"scores": []}' }))
  let index = 0
  const hanging = new Set<() => void>()

  const reply = async (model: string, r: ChatReply): Promise<Response> => {
    if (r.delayMs !== undefined) await Bun.sleep(r.delayMs)
    switch (r.kind) {
      case "content":
        return Response.json(chatCompletion(model, r.content, r.finishReason))
      case "status":
        return errorResponse(r.status, r.message ?? `stub status ${r.status}`, r.headers)
      case "raw":
        return new Response(r.body, { status: r.status ?? 200, headers: { "content-type": r.contentType } })
      case "hang":
        return new Promise<Response>((resolve) => {
          hanging.add(() => resolve(errorResponse(503, "stub stopped")))
        })
    }
  }

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    fetch: async (req) => {
      const path = new URL(req.url).pathname
      const text = await req.text()
      let body: unknown = text
      try {
        body = JSON.parse(text)
      } catch {}
      requests.push({ method: req.method, path, authorization: req.headers.get("authorization"), body })
      if (options.apiKey !== undefined && req.headers.get("authorization") !== `Bearer ${options.apiKey}`)
        return errorResponse(401, "Incorrect API key provided.")
      if (req.method !== "POST" || path !== "/v1/chat/completions") return errorResponse(404, `no route ${path}`)
      const chat = asChatBody(body)
      if (chat === undefined) return errorResponse(400, "body must have model and messages")
      const n = index++
      return reply(chat.model, queue.shift() ?? (await behaviour(chat, n)))
    }
  })

  return {
    baseURL: `http://127.0.0.1:${server.port}/v1`,
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
