/**
 * A JSON-RPC server (websocket and HTTP POST) in front of an in-process chopsticks chain, on Bun.serve.
 * Used instead of chopsticks' own `setupWithServer` because that one's `close()` leaves open websockets
 * answering from the closed chain (so a "stopped" chain never looks stopped to its clients), and its
 * import patches Node's http agent globally (global-agent). Stopping this server closes every socket.
 */
import type { Blockchain, Handler, SubscriptionManager } from "@acala-network/chopsticks-core"

/** A running server. */
export interface ChopsticksServer {
  readonly port: number
  /** Stops listening and closes every open connection. */
  readonly stop: () => void
}

interface Request {
  readonly id?: number | string | null
  readonly method: string
  readonly params?: ReadonlyArray<unknown>
}

interface SocketData {
  readonly subscriptions: Map<string, (id: string) => void>
}

const isRequest = (x: unknown): x is Request =>
  typeof x === "object" && x !== null && typeof (x as { method?: unknown }).method === "string"

/** Serves `chain` on `host:port` (port 0 picks a free one). */
export const serveChopsticks = (
  chain: Blockchain,
  handlers: Readonly<Record<string, Handler>>,
  host: string,
  port: number
): ChopsticksServer => {
  const context = { chain }

  const answer = async (req: Request, subscriptions: SubscriptionManager) => {
    const handler = handlers[req.method]
    try {
      if (handler === undefined) throw Object.assign(new Error(`Method not found: ${req.method}`), { code: -32601 })
      const result: unknown = await handler(context as never, (req.params ?? []) as never, subscriptions)
      return { jsonrpc: "2.0", id: req.id ?? null, result: result ?? null }
    } catch (e) {
      const error = e as { code?: number; message?: string }
      return { jsonrpc: "2.0", id: req.id ?? null, error: { code: error.code ?? -32603, message: error.message ?? String(e) } }
    }
  }

  const handle = async (body: string, subscriptions: SubscriptionManager): Promise<unknown> => {
    let parsed: unknown
    try {
      parsed = JSON.parse(body)
    } catch {
      return { jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } }
    }
    if (Array.isArray(parsed)) return Promise.all(parsed.filter(isRequest).map((r) => answer(r, subscriptions)))
    if (!isRequest(parsed)) return { jsonrpc: "2.0", id: null, error: { code: -32600, message: "Invalid JSON Request" } }
    return answer(parsed, subscriptions)
  }

  const noSubscriptions: SubscriptionManager = {
    subscribe: () => {
      throw new Error("Subscription is not supported over HTTP")
    },
    unsubscribe: () => {
      throw new Error("Subscription is not supported over HTTP")
    }
  }

  const server = Bun.serve<SocketData, never>({
    hostname: host,
    port,
    async fetch(req, srv) {
      if (srv.upgrade(req, { data: { subscriptions: new Map() } })) return undefined
      if (req.method !== "POST") return new Response("Only POST method is supported", { status: 405 })
      return Response.json(await handle(await req.text(), noSubscriptions))
    },
    websocket: {
      maxPayloadLength: 100 * 1024 * 1024,
      async message(ws, message) {
        const send = (data: unknown) => {
          if (ws.readyState === 1) ws.send(JSON.stringify(data))
        }
        const subscriptions: SubscriptionManager = {
          subscribe: (method, subid, onCancel = () => undefined) => {
            ws.data.subscriptions.set(subid, onCancel)
            return (data: unknown) => {
              if (ws.data.subscriptions.has(subid)) {
                send({ jsonrpc: "2.0", method, params: { result: data, subscription: subid } })
              }
            }
          },
          unsubscribe: (subid) => {
            const cancel = ws.data.subscriptions.get(subid)
            if (cancel) {
              ws.data.subscriptions.delete(subid)
              cancel(subid)
            }
          }
        }
        send(await handle(typeof message === "string" ? message : new TextDecoder().decode(message), subscriptions))
      },
      close(ws) {
        for (const [subid, cancel] of ws.data.subscriptions) cancel(subid)
        ws.data.subscriptions.clear()
      }
    }
  })

  return {
    port: server.port ?? port,
    stop: () => void server.stop(true)
  }
}
