/** A test's view of an HTTP answer: its status, its body as JSON (or as text when it is not JSON), its headers. */
export interface Reply {
  readonly status: number
  // Tests read into the body freely; a JSON answer has no static type here.
  readonly json: any
  readonly headers: Headers
}

/** Reads a response's body as text, and as JSON where it parses (undefined where it does not). */
export const bodyOf = async (res: Response): Promise<{ readonly text: string; readonly json: unknown }> => {
  const text = await res.text()
  try {
    return { text, json: JSON.parse(text) }
  } catch {
    return { text, json: undefined }
  }
}

/** Reads a response into a `Reply`. */
export const replyOf = async (res: Response): Promise<Reply> => {
  const { text, json } = await bodyOf(res)
  return { status: res.status, json: json === undefined ? text : json, headers: res.headers }
}
