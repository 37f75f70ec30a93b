/**
 * The dashboard page, built once from its files in `dashboard-client/`: `dashboard.html`, with
 * `dashboard.css` inlined and the typed client script (`main.ts` and its imports) bundled by `Bun.build`
 * and inlined. One self-contained document (no CDN, no external request): the Content-Security-Policy
 * allows only these exact inline blocks, by hash, and fetches to this origin.
 */
import { createHash } from "node:crypto"
import { join } from "node:path"
import { Data, Effect } from "effect"

/** The built page: its HTML and the Content-Security-Policy that goes with it. */
export interface DashboardPage {
  readonly html: string
  readonly csp: string
}

/** The page's files could not be read or bundled (a broken checkout or a type-erasing syntax error). */
export class DashboardPageError extends Data.TaggedError("DashboardPageError")<{ readonly message: string }> {}

/** The folder holding the page's files. */
export const dashboardClientDir = join(import.meta.dir, "dashboard-client")

// The tags in dashboard.html that the inline blocks replace (they also make the file a page a browser
// can open straight from the folder).
const STYLE_TAG = '<link rel="stylesheet" href="./dashboard.css">'
const SCRIPT_TAG = '<script src="./main.ts"></script>'

const hash = (text: string) => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`

/** The Content-Security-Policy for a page whose only inline blocks are `script` and `style`. */
export const dashboardCsp = (script: string, style: string): string =>
  [
    "default-src 'none'",
    `script-src ${hash(script)}`,
    `style-src ${hash(style)}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'"
  ].join("; ")

const fail = (message: string) => new DashboardPageError({ message: `dashboard page: ${message}` })

/** `html` with `tag` replaced by an inline `<element>` holding `content`. */
const inline = (html: string, tag: string, element: "script" | "style", content: string): Effect.Effect<string, DashboardPageError> => {
  const at = html.indexOf(tag)
  if (at < 0 || html.indexOf(tag, at + 1) >= 0) return Effect.fail(fail(`dashboard.html must hold ${tag} exactly once`))
  // A closing tag inside the content would end the block early in the HTML parser.
  if (new RegExp(`</${element}`, "i").test(content)) return Effect.fail(fail(`the inline ${element} contains </${element}`))
  return Effect.succeed(`${html.slice(0, at)}<${element}>${content}</${element}>${html.slice(at + tag.length)}`)
}

/** Bun.build's messages (`file:line: text`), from the AggregateError it throws. */
const buildMessages = (e: unknown): string => {
  const list = e instanceof AggregateError ? (e.errors as ReadonlyArray<{ message?: string; position?: { file?: string; line?: number } | null }>) : []
  const described = list.map((m) => (m.position?.file ? `${m.position.file}:${m.position.line ?? 0}: ${m.message}` : String(m.message)))
  return described.length > 0 ? described.join("; ") : e instanceof Error ? e.message : String(e)
}

const bundle = (entry: string) => Effect.tryPromise({
  try: () => Bun.build({ entrypoints: [entry], target: "browser", format: "iife", minify: true }),
  catch: (e) => fail(`Bun.build failed: ${buildMessages(e)}`)
}).pipe(
  Effect.filterOrFail(
    (out) => out.success && out.outputs.length === 1,
    (out) => fail(`Bun.build failed: ${out.logs.map(String).join("; ") || `${out.outputs.length} outputs`}`)
  ),
  Effect.flatMap((out) => Effect.promise(() => out.outputs[0]!.text()))
)

const read = (path: string) =>
  Effect.tryPromise({ try: () => Bun.file(path).text(), catch: (e) => fail(`cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`) })

/** Reads and bundles the page's files in `dir` (`dashboard.html`, `dashboard.css`, `main.ts`) into one document with its CSP. */
export const buildDashboardPage = (dir: string = dashboardClientDir): Effect.Effect<DashboardPage, DashboardPageError> =>
  Effect.gen(function* () {
    const html = yield* read(join(dir, "dashboard.html"))
    const css = yield* read(join(dir, "dashboard.css"))
    const js = yield* bundle(join(dir, "main.ts"))
    const withStyle = yield* inline(html, STYLE_TAG, "style", css)
    const page = yield* inline(withStyle, SCRIPT_TAG, "script", js)
    return { html: page, csp: dashboardCsp(js, css) }
  }).pipe(Effect.withSpan("dashboardPage.build"))

/** The page, built once and kept for the life of the process (the validator builds it at start-up). */
export const dashboardPage: Effect.Effect<DashboardPage, DashboardPageError> = Effect.runSync(Effect.cached(buildDashboardPage()))
