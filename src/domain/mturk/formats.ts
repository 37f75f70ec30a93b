/**
 * Amazon Mechanical Turk wire formats: the HTMLQuestion a miner posts as a HIT, the QuestionFormAnswers
 * XML a worker's assignment comes back as, the crowd-form slider answers inside it, and their aggregate.
 */
import { Data, Either } from "effect"
import type { Completion } from "../wire/protocol.ts"

/** The schema an HTMLQuestion declares. */
export const htmlQuestionNamespace =
  "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2011-11-11/HTMLQuestion.xsd"

/** AWS's crowd HTML elements (crowd-form, crowd-slider). */
export const crowdElementsScript = "https://assets.crowd.aws/crowd-html-elements.js"

/** The QuestionIdentifier under which a crowd-form submits its fields as JSON. */
export const taskAnswersIdentifier = "taskAnswers"

/** Slider range shown to workers. */
export const sliderMin = 1
export const sliderMax = 10

/** An assignment's answer XML could not be read. */
export class MalformedAnswerXml extends Data.TaggedError("MalformedAnswerXml")<{ readonly message: string }> {}

/** An assignment's slider answers do not fit the HIT's completions. */
export class InvalidSliderAnswers extends Data.TaggedError("InvalidSliderAnswers")<{ readonly message: string }> {}

// ---------------------------------------------------------------------------------------------------
// Escaping

const escapes: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }

/** Escapes & < > " ' for HTML/XML text and attribute values. Escaping > also keeps "]]>" out of CDATA. */
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (ch) => escapes[ch] as string)

// Characters XML 1.0 forbids even inside CDATA; MTurk would refuse the whole question.
// eslint-disable-next-line no-control-regex
const xmlForbidden = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g

/** Text for display: forbidden characters and lone surrogates become U+FFFD, then escaped, newlines as <br>. */
const displayText = (s: string): string =>
  escapeHtml(s.toWellFormed().replace(xmlForbidden, "\uFFFD")).replace(/\r\n|\r|\n/g, "<br>\n")

const attribute = (s: string): string => escapeHtml(s.toWellFormed().replace(xmlForbidden, "\uFFFD"))

const namedEntities: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }

const decodeEntity = (body: string): string | undefined => {
  const named = namedEntities[body]
  if (named !== undefined) return named
  const numeric = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(body)
  if (numeric === null) return undefined
  const code = numeric[1] !== undefined ? parseInt(numeric[1], 16) : Number(numeric[2])
  if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return undefined
  return String.fromCodePoint(code)
}

/** Decodes XML character references (&amp; &lt; &gt; &quot; &apos; &#NN; &#xNN;); a bad or bare & is an error. */
export const unescapeXml = (s: string): Either.Either<string, MalformedAnswerXml> => {
  let out = ""
  let last = 0
  for (let amp = s.indexOf("&"); amp !== -1; amp = s.indexOf("&", last)) {
    const semi = s.indexOf(";", amp)
    const decoded = semi === -1 ? undefined : decodeEntity(s.slice(amp + 1, semi))
    if (decoded === undefined)
      return Either.left(new MalformedAnswerXml({ message: `bad character reference ${JSON.stringify(s.slice(amp, Math.min(amp + 12, semi === -1 ? s.length : semi + 1)))}` }))
    out += s.slice(last, amp) + decoded
    last = semi + 1
  }
  return Either.right(out + s.slice(last))
}

// ---------------------------------------------------------------------------------------------------
// The question

/** The HTMLQuestion XML for a HIT asking workers to score each completion from 1 to 10. */
export const buildHtmlQuestion = (input: {
  readonly prompt: string
  readonly completions: ReadonlyArray<Completion>
  readonly frameHeight?: number
}): string => {
  const frameHeight = input.frameHeight ?? 0
  if (!(Number.isSafeInteger(frameHeight) && frameHeight >= 0))
    throw new RangeError(`buildHtmlQuestion: frameHeight must be a non-negative integer, got ${frameHeight}`)
  const responses = input.completions.map(
    (c, i) => `<h3>Response #${i + 1}</h3>
<p>${displayText(c.text)}</p>
<crowd-slider name="${attribute(c.cid)}" min="${sliderMin}" max="${sliderMax}" step="1" required pin></crowd-slider>`
  )
  const html = `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<script src="${crowdElementsScript}"></script>
</head>
<body>
<crowd-form>
<p><strong>Read the prompt and every response, then score each response from ${sliderMin} (lowest quality) to ${sliderMax} (highest quality).</strong></p>
<h3>Prompt</h3>
<p>${displayText(input.prompt)}</p>
${responses.join("\n")}
</crowd-form>
</body>
</html>`
  return `<HTMLQuestion xmlns="${htmlQuestionNamespace}">
<HTMLContent><![CDATA[
${html}
]]></HTMLContent>
<FrameHeight>${frameHeight}</FrameHeight>
</HTMLQuestion>`
}

// ---------------------------------------------------------------------------------------------------
// A small XML reader, enough for QuestionFormAnswers: elements, attributes, text, CDATA, comments,
// processing instructions. No DOCTYPE (so no entity definitions to expand).

interface XmlElement {
  readonly name: string
  readonly children: ReadonlyArray<XmlElement | string>
}

class XmlFailure {
  constructor(readonly message: string, readonly at: number) {}
}

const maxDepth = 32
const namePattern = /[A-Za-z_:][-A-Za-z0-9_:.]*/y
const spacePattern = /[ \t\r\n]*/y

const parseXml = (src: string): XmlElement => {
  let i = 0
  const fail = (message: string, at = i): never => {
    throw new XmlFailure(message, at)
  }
  const skipSpace = () => {
    spacePattern.lastIndex = i
    spacePattern.exec(src)
    i = spacePattern.lastIndex
  }
  const readName = (): string => {
    namePattern.lastIndex = i
    const m = namePattern.exec(src)
    if (m === null) return fail("expected a name")
    i = namePattern.lastIndex
    return m[0]
  }
  const skipPast = (end: string, what: string) => {
    const at = src.indexOf(end, i)
    if (at === -1) fail(`unterminated ${what}`)
    i = at + end.length
  }
  const decode = (raw: string, at: number): string =>
    Either.getOrElse(unescapeXml(raw), (e) => fail(e.message, at))
  /** Skips comments and processing instructions; true if it skipped one. */
  const skipMisc = (): boolean => {
    if (src.startsWith("<!DOCTYPE", i)) fail("a DOCTYPE is not allowed")
    if (src.startsWith("<!--", i)) skipPast("-->", "comment")
    else if (src.startsWith("<?", i)) skipPast("?>", "processing instruction")
    else return false
    return true
  }
  const skipProlog = () => {
    do skipSpace()
    while (skipMisc())
  }
  const readElement = (depth: number): XmlElement => {
    if (depth > maxDepth) fail(`elements nested deeper than ${maxDepth}`)
    if (src[i] !== "<") fail("expected an element")
    i++
    const name = readName()
    for (;;) {
      const before = i
      skipSpace()
      if (src.startsWith("/>", i)) return (i += 2), { name, children: [] }
      if (src[i] === ">") break
      if (i === before) fail(`malformed start tag <${name}>`)
      readName()
      skipSpace()
      if (src[i] !== "=") fail(`attribute in <${name}> has no value`)
      i++
      skipSpace()
      const quote = src[i]
      if (quote !== '"' && quote !== "'") fail(`attribute value in <${name}> is not quoted`)
      const end = src.indexOf(quote as string, i + 1)
      if (end === -1) fail(`unterminated attribute value in <${name}>`)
      if (src.slice(i + 1, end).includes("<")) fail(`"<" in an attribute value of <${name}>`)
      decode(src.slice(i + 1, end), i + 1)
      i = end + 1
    }
    i++
    const children: Array<XmlElement | string> = []
    for (;;) {
      if (i >= src.length) fail(`<${name}> is never closed`)
      if (src.startsWith("</", i)) {
        i += 2
        const at = i
        const closing = readName()
        if (closing !== name) fail(`</${closing}> closes <${name}>`, at)
        skipSpace()
        if (src[i] !== ">") fail(`malformed end tag </${closing}>`)
        i++
        return { name, children }
      }
      if (src.startsWith("<![CDATA[", i)) {
        const end = src.indexOf("]]>", i + 9)
        if (end === -1) fail("unterminated CDATA section")
        children.push(src.slice(i + 9, end))
        i = end + 3
      } else if (skipMisc()) {
        // comment or processing instruction: nothing to keep
      } else if (src[i] === "<") {
        children.push(readElement(depth + 1))
      } else {
        const end = src.indexOf("<", i)
        const stop = end === -1 ? src.length : end
        children.push(decode(src.slice(i, stop), i))
        i = stop
      }
    }
  }

  if (src.charCodeAt(0) === 0xfeff) i = 1 // byte-order mark
  skipProlog()
  if (i >= src.length) fail("no root element")
  const root = readElement(0)
  skipProlog()
  if (i < src.length) fail("content after the root element")
  return root
}

const position = (src: string, at: number): string => {
  const before = src.slice(0, at).split("\n")
  return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`
}

const localName = (name: string): string => name.slice(name.indexOf(":") + 1)

// ---------------------------------------------------------------------------------------------------
// QuestionFormAnswers

/** One answered field of an assignment. */
export interface FormAnswer {
  readonly questionIdentifier: string
  readonly freeText: string
}

const textOf = (el: XmlElement): string | undefined => {
  let text = ""
  for (const c of el.children) {
    if (typeof c !== "string") return undefined
    text += c
  }
  return text
}

const isBlank = (c: XmlElement | string): boolean => typeof c === "string" && c.trim() === ""

const readAnswer = (answer: XmlElement, index: number): FormAnswer | string => {
  let questionIdentifier: string | undefined
  let freeText: string | undefined
  for (const child of answer.children) {
    if (typeof child === "string") {
      if (!isBlank(child)) return `Answer ${index + 1} has stray text`
      continue
    }
    const name = localName(child.name)
    const text = textOf(child)
    if (name !== "QuestionIdentifier" && name !== "FreeText") return `Answer ${index + 1} has an unsupported <${child.name}> (only FreeText answers are read)`
    if (text === undefined) return `<${child.name}> in Answer ${index + 1} holds an element`
    if (name === "QuestionIdentifier") {
      if (questionIdentifier !== undefined) return `Answer ${index + 1} has two QuestionIdentifiers`
      questionIdentifier = text.trim()
    } else {
      if (freeText !== undefined) return `Answer ${index + 1} has two FreeTexts`
      freeText = text
    }
  }
  if (questionIdentifier === undefined) return `Answer ${index + 1} has no QuestionIdentifier`
  if (freeText === undefined) return `Answer ${index + 1} (${JSON.stringify(questionIdentifier)}) has no FreeText`
  return { questionIdentifier, freeText }
}

/** Reads an assignment's `Answer` XML (QuestionFormAnswers) into its FreeText answers. Never throws. */
export const parseQuestionFormAnswers = (xml: string): Either.Either<ReadonlyArray<FormAnswer>, MalformedAnswerXml> => {
  let root: XmlElement
  try {
    root = parseXml(xml)
  } catch (e) {
    if (e instanceof XmlFailure) return Either.left(new MalformedAnswerXml({ message: `QuestionFormAnswers: ${e.message} at ${position(xml, e.at)}` }))
    throw e
  }
  const bad = (message: string) => Either.left(new MalformedAnswerXml({ message: `QuestionFormAnswers: ${message}` }))
  if (localName(root.name) !== "QuestionFormAnswers") return bad(`root element is <${root.name}>, expected <QuestionFormAnswers>`)
  const answers: Array<FormAnswer> = []
  for (const child of root.children) {
    if (typeof child === "string") {
      if (!isBlank(child)) return bad("stray text between answers")
      continue
    }
    if (localName(child.name) !== "Answer") return bad(`unexpected <${child.name}>, expected <Answer>`)
    const answer = readAnswer(child, answers.length)
    if (typeof answer === "string") return bad(answer)
    answers.push(answer)
  }
  return Either.right(answers)
}

// ---------------------------------------------------------------------------------------------------
// Slider answers and their aggregate

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

const names = (cids: ReadonlyArray<string>): string => cids.map((c) => JSON.stringify(c)).join(", ")

/**
 * One assignment's slider value per cid, from the crowd-form `taskAnswers` JSON (`[{"<cid>": 1..10, …}]`).
 * Every expected cid must be there with a number in [1, 10], and nothing else.
 */
export const sliderScores = (
  answers: ReadonlyArray<FormAnswer>,
  expectedCids: ReadonlyArray<string>
): Either.Either<Record<string, number>, InvalidSliderAnswers> => {
  const bad = (message: string) => Either.left(new InvalidSliderAnswers({ message }))
  const task = answers.filter((a) => a.questionIdentifier === taskAnswersIdentifier)
  if (task.length !== 1) return bad(`expected one ${taskAnswersIdentifier} answer, found ${task.length}`)
  const parsed = Either.try(() => JSON.parse((task[0] as FormAnswer).freeText) as unknown)
  if (Either.isLeft(parsed)) return bad(`${taskAnswersIdentifier} is not JSON`)
  const value = parsed.right
  if (!Array.isArray(value) || value.length !== 1 || !isObject(value[0]))
    return bad(`${taskAnswersIdentifier} must be an array holding one object`)
  const given = value[0]
  const expected = new Set(expectedCids)
  const problems: Array<string> = []
  const unknown = Object.keys(given).filter((k) => !expected.has(k))
  if (unknown.length > 0) problems.push(`unknown cids ${names(unknown)}`)
  const missing = expectedCids.filter((c) => !Object.hasOwn(given, c))
  if (missing.length > 0) problems.push(`missing cids ${names(missing)}`)
  const scores: Array<readonly [string, number]> = []
  for (const cid of expectedCids) {
    if (!Object.hasOwn(given, cid)) continue
    const v = given[cid]
    if (typeof v === "number" && v >= sliderMin && v <= sliderMax) scores.push([cid, v])
    else problems.push(`cid ${JSON.stringify(cid)} has ${JSON.stringify(v)}, not a number in [${sliderMin}, ${sliderMax}]`)
  }
  return problems.length > 0 ? bad(problems.join("; ")) : Either.right(Object.fromEntries(scores))
}

/** Parses one assignment's answer XML straight to its slider values. */
export const assignmentScores = (
  answerXml: string,
  expectedCids: ReadonlyArray<string>
): Either.Either<Record<string, number>, MalformedAnswerXml | InvalidSliderAnswers> =>
  Either.flatMap(parseQuestionFormAnswers(answerXml), (answers) => sliderScores(answers, expectedCids))

/**
 * Per cid, the mean slider value over the assignments that scored it, scaled from [1, 10] to [0, 1]
 * by (v − 1) / 9. Cids no assignment scored are omitted.
 */
export const aggregateAssignments = (
  perAssignment: ReadonlyArray<Readonly<Record<string, number>>>,
  cids: ReadonlyArray<string>
): Record<string, number> => {
  const out: Array<readonly [string, number]> = []
  for (const cid of cids) {
    let sum = 0
    let count = 0
    for (const a of perAssignment) {
      const v = Object.hasOwn(a, cid) ? a[cid] : undefined
      if (v !== undefined && Number.isFinite(v)) {
        sum += v
        count++
      }
    }
    if (count > 0) out.push([cid, Math.min(1, Math.max(0, (sum / count - sliderMin) / (sliderMax - sliderMin)))])
  }
  return Object.fromEntries(out)
}
