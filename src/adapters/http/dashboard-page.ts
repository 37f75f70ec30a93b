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

const file = (name: string) => join(import.meta.dir, "dashboard-client", name)

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

const bundle = Effect.tryPromise({
  try: () => Bun.build({ entrypoints: [file("main.ts")], target: "browser", format: "iife", minify: true }),
  catch: (e) => fail(`Bun.build failed: ${e instanceof Error ? e.message : String(e)}`)
}).pipe(
  Effect.filterOrFail(
    (out) => out.success && out.outputs.length === 1,
    (out) => fail(`Bun.build failed: ${out.logs.map(String).join("; ") || `${out.outputs.length} outputs`}`)
  ),
  Effect.flatMap((out) => Effect.promise(() => out.outputs[0]!.text()))
)

const read = (name: string) =>
  Effect.tryPromise({ try: () => Bun.file(file(name)).text(), catch: (e) => fail(`cannot read ${name}: ${e instanceof Error ? e.message : String(e)}`) })

/** Reads and bundles the page's files into one document with its CSP. */
export const buildDashboardPage: Effect.Effect<DashboardPage, DashboardPageError> = Effect.gen(function* () {
  const [html, css, js] = yield* Effect.all([read("dashboard.html"), read("dashboard.css"), bundle], { concurrency: "unbounded" })
  const withStyle = yield* inline(html, STYLE_TAG, "style", css)
  const page = yield* inline(withStyle, SCRIPT_TAG, "script", js)
  return { html: page, csp: dashboardCsp(js, css) }
}).pipe(Effect.withSpan("dashboardPage.build"))

/** The page, built on first use and then kept for the life of the process. */
export const dashboardPage: Effect.Effect<DashboardPage, DashboardPageError> = Effect.runSync(Effect.cached(buildDashboardPage))
