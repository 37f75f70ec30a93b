/** A test's view of an HTTP answer: its status, its body as JSON (or as text when it is not JSON), its headers. */
export interface Reply {
  readonly status: number
  // Tests read into the body freely; a JSON answer has no static type here.
  readonly json: any
  readonly headers: Headers
}

/** Reads a response into a `Reply`. */
export const replyOf = async (res: Response): Promise<Reply> => {
  const text = await res.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = text
  }
  return { status: res.status, json, headers: res.headers }
}
