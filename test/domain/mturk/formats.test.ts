import { describe, expect, test } from "bun:test"
import { Either } from "effect"
import fc from "fast-check"
import {
  aggregateAssignments,
  assignmentScores,
  buildHtmlQuestion,
  escapeHtml,
  type FormAnswer,
  htmlQuestionNamespace,
  parseQuestionFormAnswers,
  sliderScores,
  unescapeXml
} from "../../../src/domain/mturk/formats.ts"

const tricky = fc.constantFrom("<script>alert(1)</script>", "]]>", "&", "&amp;", '"', "'", "\n", "\r\n", "<", ">", "\u0000", "\uD800", "é", "😀")
const text = fc.oneof(fc.string({ unit: "binary" }), fc.array(fc.oneof(tricky, fc.string()), { maxLength: 8 }).map((p) => p.join("")))
const count = (haystack: string, needle: string) => haystack.split(needle).length - 1
const htmlOf = (question: string) => question.slice(question.indexOf("<![CDATA[") + 9, question.lastIndexOf("]]>"))
const answerXml = (freeText: string, qid = "taskAnswers") =>
  `<?xml version="1.0" encoding="ASCII"?><QuestionFormAnswers xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd"><Answer><QuestionIdentifier>${qid}</QuestionIdentifier><FreeText>${freeText}</FreeText></Answer></QuestionFormAnswers>`
const left = <E>(e: Either.Either<unknown, E>): E => Either.getOrThrowWith(Either.flip(e), () => new Error("expected a Left"))

describe("escaping", () => {
  test("examples", () => {
    expect(escapeHtml(`<a href="x">Tom & Jerry's</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;")
    expect(Either.getOrThrow(unescapeXml("&lt;&#60;&#x3C;&#x1F600;&apos;&quot;&amp;amp;"))).toBe("<<<😀'\"&amp;")
    for (const bad of ["a & b", "&nope;", "&#0;", "&#xD800;", "&#x110000;", "&amp"]) expect(Either.isLeft(unescapeXml(bad))).toBe(true)
  })

  test("unescape(escape(s)) = s, and escaped text holds no < > \" '", () => {
    fc.assert(
      fc.property(text, (s) => {
        const e = escapeHtml(s)
        expect(Either.getOrThrow(unescapeXml(e))).toBe(s)
        expect(/[<>"']/.test(e)).toBe(false)
      })
    )
  })
})

describe("buildHtmlQuestion", () => {
  const completions = [
    { cid: "c-1", text: "First line\nsecond line" },
    { cid: "c-2", text: "Plain" }
  ]

  test("the HTMLQuestion wraps a crowd-form with one slider per completion", () => {
    const q = buildHtmlQuestion({ prompt: "Explain <b>tags</b> & stuff", completions })
    expect(q.startsWith(`<HTMLQuestion xmlns="${htmlQuestionNamespace}">`)).toBe(true)
    expect(q).toContain("<FrameHeight>0</FrameHeight>")
    expect(q).toContain('<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>')
    expect(q).toContain("1 (lowest quality) to 10 (highest quality)")
    expect(q).toContain("<p>Explain &lt;b&gt;tags&lt;/b&gt; &amp; stuff</p>")
    expect(q).toContain("<h3>Response #1</h3>\n<p>First line<br>\nsecond line</p>")
    expect(q).toContain("<h3>Response #2</h3>")
    expect(q).toContain('<crowd-slider name="c-1" min="1" max="10" step="1" required pin></crowd-slider>')
    expect(q).toContain('<crowd-slider name="c-2" min="1" max="10" step="1" required pin></crowd-slider>')
    expect(count(q, "<crowd-slider")).toBe(2)
    expect(buildHtmlQuestion({ prompt: "p", completions, frameHeight: 600 })).toContain("<FrameHeight>600</FrameHeight>")
    expect(() => buildHtmlQuestion({ prompt: "p", completions, frameHeight: -1 })).toThrow(RangeError)
  })

  test("the XML wrapper itself reads back: the CDATA holds the HTML untouched", () => {
    // Re-read the question with the answers parser's XML reader by dressing it as answers.
    const q = buildHtmlQuestion({ prompt: "a ]]> b", completions })
    const html = htmlOf(q)
    const reread = parseQuestionFormAnswers(`<QuestionFormAnswers><Answer><QuestionIdentifier>q</QuestionIdentifier><FreeText><![CDATA[${html}]]></FreeText></Answer></QuestionFormAnswers>`)
    expect(Either.getOrThrow(reread)[0]?.freeText).toBe(html)
  })

  test("input text can neither close the CDATA nor inject markup", () => {
    fc.assert(
      fc.property(text, fc.array(fc.tuple(text, text), { maxLength: 4 }), (prompt, items) => {
        const q = buildHtmlQuestion({ prompt, completions: items.map(([cid, t]) => ({ cid, text: t })) })
        expect(count(q, "]]>")).toBe(1)
        expect(count(q.toLowerCase(), "<script")).toBe(1)
        expect(count(q, "<crowd-slider")).toBe(items.length)
        expect(count(q, "<p>")).toBe(2 + items.length) // instructions, prompt, one per response
        expect(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(q)).toBe(false)
        expect(q.isWellFormed()).toBe(true)
      })
    )
  })

  test("the prompt and texts read back after unescaping (newlines aside)", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        fc.pre(!/[\u0000-\u001F\uFFFE\uFFFF]/.test(s))
        const q = buildHtmlQuestion({ prompt: s, completions: [] })
        const shown = /<h3>Prompt<\/h3>\n<p>([^]*?)<\/p>/.exec(q)?.[1] ?? ""
        expect(Either.getOrThrow(unescapeXml(shown))).toBe(s)
      })
    )
  })
})

describe("parseQuestionFormAnswers", () => {
  test("reads MTurk's answer XML, raw or entity-escaped", () => {
    expect(Either.getOrThrow(parseQuestionFormAnswers(answerXml('[{"c-1":7,"c-2":3}]')))).toEqual([{ questionIdentifier: "taskAnswers", freeText: '[{"c-1":7,"c-2":3}]' }])
    expect(Either.getOrThrow(parseQuestionFormAnswers(answerXml("[{&quot;a&amp;b&quot;:7}] &#60;&#x3E;")))).toEqual([{ questionIdentifier: "taskAnswers", freeText: '[{"a&b":7}] <>' }])
  })

  test("several answers, whitespace, comments, CDATA, a namespace prefix, an empty FreeText", () => {
    const xml = `\uFEFF<?xml version="1.0"?>
<!-- from a worker -->
<q:QuestionFormAnswers xmlns:q="urn:x" extra='1'>
  <q:Answer>
    <q:QuestionIdentifier> taskAnswers </q:QuestionIdentifier>
    <q:FreeText><![CDATA[<raw> & ]]>tail</q:FreeText>
  </q:Answer>
  <Answer><QuestionIdentifier>note</QuestionIdentifier><FreeText/></Answer>
</q:QuestionFormAnswers>
`
    expect(Either.getOrThrow(parseQuestionFormAnswers(xml))).toEqual([
      { questionIdentifier: "taskAnswers", freeText: "<raw> & tail" },
      { questionIdentifier: "note", freeText: "" }
    ])
  })

  test("malformed input gives a typed error naming the problem", () => {
    const cases: Array<[string, string]> = [
      ["", "no root element"],
      ["<QuestionFormAnswers>", "never closed"],
      ["<QuestionFormAnswers></Answer>", "</Answer> closes <QuestionFormAnswers>"],
      ["<Other/>", "expected <QuestionFormAnswers>"],
      [answerXml("a & b"), "bad character reference"],
      [answerXml("x") + "<more/>", "content after the root element"],
      ["<QuestionFormAnswers><Answer><FreeText>x</FreeText></Answer></QuestionFormAnswers>", "no QuestionIdentifier"],
      ["<QuestionFormAnswers><Answer><QuestionIdentifier>q</QuestionIdentifier></Answer></QuestionFormAnswers>", "has no FreeText"],
      ["<QuestionFormAnswers><Answer><QuestionIdentifier>q</QuestionIdentifier><SelectionIdentifier>s</SelectionIdentifier></Answer></QuestionFormAnswers>", "unsupported <SelectionIdentifier>"],
      ['<!DOCTYPE x [<!ENTITY e "boom">]><QuestionFormAnswers/>', "DOCTYPE"],
      ["<QuestionFormAnswers a=1/>", "not quoted"],
      ["<QuestionFormAnswers>\n  <Answer>\n<QuestionIdentifier>q</Question>", "line 3, column"],
      ["<a>".repeat(100) + "</a>".repeat(100), "nested deeper"]
    ]
    for (const [xml, message] of cases) {
      const e = left(parseQuestionFormAnswers(xml))
      expect(e._tag).toBe("MalformedAnswerXml")
      expect(e.message).toContain(message)
    }
  })

  test("written answers read back exactly", () => {
    const xmlText = fc.string({ unit: "binary" }).map((s) => s.toWellFormed().replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\r]/g, ""))
    fc.assert(
      fc.property(fc.array(fc.record({ questionIdentifier: fc.stringMatching(/^[A-Za-z][\w.-]{0,20}$/), freeText: xmlText }), { maxLength: 5 }), fc.boolean(), (answers, cdata) => {
        const body = answers
          .map(({ questionIdentifier, freeText }) => {
            const t = cdata && !freeText.includes("]]>") ? `<![CDATA[${freeText}]]>` : escapeHtml(freeText)
            return `<Answer>\n <QuestionIdentifier>${questionIdentifier}</QuestionIdentifier>\n <FreeText>${t}</FreeText>\n</Answer>`
          })
          .join("\n")
        const parsed: ReadonlyArray<FormAnswer> = Either.getOrThrow(parseQuestionFormAnswers(`<QuestionFormAnswers xmlns="urn:a">${body}</QuestionFormAnswers>`))
        expect(parsed).toEqual(answers)
      })
    )
  })

  test("never throws, and every cut-short document is refused", () => {
    fc.assert(fc.property(fc.string(), (s) => void parseQuestionFormAnswers(s)))
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom("<", ">", "/", "&", ";", "a", "Answer", "QuestionFormAnswers", " ", '"', "=", "!--", "?", "[CDATA[", "]]>") }), (s) => void parseQuestionFormAnswers(s)))
    const doc = answerXml('[{"a":1}]')
    for (let cut = 0; cut < doc.length; cut++) expect(Either.isLeft(parseQuestionFormAnswers(doc.slice(0, cut)))).toBe(true)
  })
})

describe("sliderScores", () => {
  const answers = (freeText: string): FormAnswer[] => [{ questionIdentifier: "taskAnswers", freeText }]

  test("reads the crowd-form JSON", () => {
    expect(Either.getOrThrow(sliderScores(answers('[{"a":7,"b":1,"c":10}]'), ["a", "b", "c"]))).toEqual({ a: 7, b: 1, c: 10 })
    expect(Either.getOrThrow(assignmentScores(answerXml("[{&quot;x&quot;:2.5}]"), ["x"]))).toEqual({ x: 2.5 })
  })

  test("errors name the unknown and missing cids and the bad values", () => {
    const message = (freeText: string, cids: string[]) => left(sliderScores(answers(freeText), cids)).message
    expect(message('[{"a":7,"zz":3}]', ["a", "b"])).toBe('unknown cids "zz"; missing cids "b"')
    expect(message('[{"a":0,"b":"7","c":11}]', ["a", "b", "c"])).toBe(
      'cid "a" has 0, not a number in [1, 10]; cid "b" has "7", not a number in [1, 10]; cid "c" has 11, not a number in [1, 10]'
    )
    expect(message("not json", ["a"])).toContain("not JSON")
    expect(message('{"a":7}', ["a"])).toContain("array holding one object")
    expect(message('[{"a":7},{"a":8}]', ["a"])).toContain("array holding one object")
    expect(left(sliderScores([], ["a"])).message).toContain("found 0")
    expect(left(sliderScores([], ["a"]))._tag).toBe("InvalidSliderAnswers")
    expect(left(assignmentScores("<oops", ["a"]))._tag).toBe("MalformedAnswerXml")
  })

  test("accepts exactly the complete answers in range", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1 }), fc.double({ noNaN: true, min: -5, max: 15 })), fc.array(fc.string({ minLength: 1 }), { maxLength: 3 }), (given, extra) => {
        const cids = [...Object.keys(given), ...extra]
        const r = sliderScores(answers(JSON.stringify([given])), cids)
        const ok = extra.every((c) => Object.hasOwn(given, c)) && Object.values(given).every((v) => v >= 1 && v <= 10)
        expect(Either.isRight(r)).toBe(ok)
        if (Either.isRight(r)) expect(r.right).toEqual(given)
      })
    )
  })
})

describe("aggregateAssignments", () => {
  test("mean over assignments, scaled by (v − 1) / 9", () => {
    expect(aggregateAssignments([{ a: 10, b: 1 }, { a: 4, b: 1 }, { a: 7, b: 4 }], ["a", "b", "c"])).toEqual({ a: 2 / 3, b: 1 / 9 })
    expect(aggregateAssignments([], ["a"])).toEqual({})
  })

  test("lies in [0, 1], is monotone in each value and ignores assignment order", () => {
    const slider = fc.double({ min: 1, max: 10, noNaN: true })
    const cids = ["a", "b", "c"]
    fc.assert(
      fc.property(fc.array(fc.record({ a: slider, b: slider, c: slider }), { minLength: 1, maxLength: 5 }), (as) => {
        const agg = aggregateAssignments(as, cids)
        for (const c of cids) expect(agg[c]! >= 0 && agg[c]! <= 1).toBe(true)
        const raised = aggregateAssignments([{ ...as[0]!, a: 10 }, ...as.slice(1)], cids)
        expect(raised.a!).toBeGreaterThanOrEqual(agg.a! - 1e-15)
        expect(aggregateAssignments([...as].reverse(), cids).b).toBeCloseTo(agg.b!, 14)
      })
    )
  })
})
