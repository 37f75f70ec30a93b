import { describe, expect, setDefaultTimeout, test } from "bun:test"
import fc from "fast-check"
import * as ort from "onnxruntime-node"
import { encodeOnnxModel, OnnxDataType, type OnnxModel, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from "../../../src/domain/reward-model/onnx-proto.ts"

// Model training and ONNX sessions take seconds when the shared 2-core machine is busy.
setDefaultTimeout(30_000)

// A minimal independent protobuf reader, to check the bytes field by field.
type Field = { field: number; wire: number; value: bigint | Uint8Array }
const readVarint = (b: Uint8Array, pos: number): [bigint, number] => {
  let result = 0n
  let shift = 0n
  for (;;) {
    const byte = b[pos++] as number
    result |= BigInt(byte & 0x7f) << shift
    if ((byte & 0x80) === 0) return [result, pos]
    shift += 7n
  }
}
const readFields = (b: Uint8Array): Array<Field> => {
  const out: Array<Field> = []
  let pos = 0
  while (pos < b.length) {
    const [key, p1] = readVarint(b, pos)
    const field = Number(key >> 3n)
    const wire = Number(key & 7n)
    if (wire === 0) {
      const [v, p2] = readVarint(b, p1)
      out.push({ field, wire, value: v })
      pos = p2
    } else if (wire === 2) {
      const [len, p2] = readVarint(b, p1)
      out.push({ field, wire, value: b.slice(p2, p2 + Number(len)) })
      pos = p2 + Number(len)
    } else if (wire === 5) {
      out.push({ field, wire, value: b.slice(p1, p1 + 4) })
      pos = p1 + 4
    } else throw new Error(`unexpected wire type ${wire}`)
  }
  return out
}
const sub = (fields: Array<Field>, n: number) => fields.filter((f) => f.field === n).map((f) => f.value as Uint8Array)
const str = (b: Uint8Array) => new TextDecoder().decode(b)
const num = (fields: Array<Field>, n: number) => fields.find((f) => f.field === n)?.value as bigint

const model = (
  nodes: ReadonlyArray<OnnxNode>,
  inputs: ReadonlyArray<OnnxValueInfo>,
  outputs: ReadonlyArray<OnnxValueInfo>,
  initializers: ReadonlyArray<OnnxTensor> = []
): OnnxModel => ({ irVersion: 8, opsetVersion: 13, producerName: "test", producerVersion: "0", graphName: "g", nodes, inputs, outputs, initializers })

const f32 = () => fc.float({ min: -1000, max: 1000, noNaN: true, noDefaultInfinity: true }).map((x) => Math.fround(x))

describe("encodeOnnxModel: wire format", () => {
  test("ModelProto fields: ir_version, producer, graph, opset import", () => {
    const bytes = encodeOnnxModel(
      model([{ opType: "Identity", name: "id", inputs: ["x"], outputs: ["y"] }], [{ name: "x", dataType: OnnxDataType.FLOAT, shape: ["batch", 3] }], [
        { name: "y", dataType: OnnxDataType.FLOAT, shape: ["batch", 3] }
      ])
    )
    const top = readFields(bytes)
    expect(num(top, 1)).toBe(8n)
    expect(str(sub(top, 2)[0]!)).toBe("test")
    const opset = readFields(sub(top, 8)[0]!)
    expect(num(opset, 2)).toBe(13n)
    const graph = readFields(sub(top, 7)[0]!)
    expect(str(sub(graph, 2)[0]!)).toBe("g")
    const node = readFields(sub(graph, 1)[0]!)
    expect(str(sub(node, 4)[0]!)).toBe("Identity")
    expect(sub(node, 1).map(str)).toEqual(["x"])
    expect(sub(node, 2).map(str)).toEqual(["y"])
    // input x: TypeProto.tensor_type.shape has a symbolic dim "batch" and a fixed dim 3
    const input = readFields(sub(graph, 11)[0]!)
    const tensorType = readFields(sub(readFields(sub(input, 2)[0]!), 1)[0]!)
    expect(num(tensorType, 1)).toBe(1n)
    const dims = sub(readFields(sub(tensorType, 2)[0]!), 1).map(readFields)
    expect(str(sub(dims[0]!, 2)[0]!)).toBe("batch")
    expect(num(dims[1]!, 1)).toBe(3n)
  })

  test("initializers carry dims, type, name and little-endian raw data", () => {
    fc.assert(
      fc.property(fc.array(f32(), { minLength: 1, maxLength: 40 }), fc.array(fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n), { minLength: 1, maxLength: 10 }), (floats, ints) => {
        const bytes = encodeOnnxModel(
          model([], [], [], [
            { name: "f", dataType: OnnxDataType.FLOAT, dims: [floats.length], values: floats },
            { name: "i", dataType: OnnxDataType.INT64, dims: [1, ints.length], values: ints }
          ])
        )
        const graph = readFields(sub(readFields(bytes), 7)[0]!)
        const [tf, ti] = sub(graph, 5).map(readFields)
        // dims are packed varints
        expect(readFields(new Uint8Array([0x08, ...sub(tf!, 1)[0]!]))[0]!.value).toBe(BigInt(floats.length))
        expect(num(tf!, 2)).toBe(1n)
        expect(str(sub(tf!, 8)[0]!)).toBe("f")
        const raw = sub(tf!, 9)[0]!
        expect(Array.from(new Float32Array(raw.slice().buffer))).toEqual(floats)
        expect(num(ti!, 2)).toBe(7n)
        expect(Array.from(new BigInt64Array(sub(ti!, 9)[0]!.slice().buffer))).toEqual(ints)
      })
    )
  })
})

describe("encodeOnnxModel: onnxruntime runs what it encodes", () => {
  const floatIn = (name: string, shape: ReadonlyArray<number | string>): OnnxValueInfo => ({ name, dataType: OnnxDataType.FLOAT, shape })

  test("Add with a float initializer, for any batch size (symbolic dim)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(f32(), { minLength: 3, maxLength: 3 }), fc.integer({ min: 1, max: 5 }), async (c, batch) => {
        const bytes = encodeOnnxModel(
          model([{ opType: "Add", name: "add", inputs: ["x", "c"], outputs: ["y"] }], [floatIn("x", ["batch", 3])], [floatIn("y", ["batch", 3])], [
            { name: "c", dataType: OnnxDataType.FLOAT, dims: [3], values: c }
          ])
        )
        const session = await ort.InferenceSession.create(bytes)
        const x = Float32Array.from({ length: batch * 3 }, (_, i) => i - 4)
        const out = await session.run({ x: new ort.Tensor("float32", x, [batch, 3]) })
        const expected = Array.from(x, (v, i) => Math.fround(v + (c[i % 3] as number)))
        expect(Array.from(out.y!.data as Float32Array)).toEqual(expected)
      }),
      { numRuns: 15 }
    )
  })

  test("int, float and ints attributes reach the operators (ReduceSum keepdims, LeakyRelu alpha, Transpose perm)", async () => {
    const bytes = encodeOnnxModel(
      model(
        [
          { opType: "Transpose", name: "t", inputs: ["x"], outputs: ["xt"], attributes: [{ name: "perm", kind: "ints", value: [1, 0] }] },
          { opType: "LeakyRelu", name: "lr", inputs: ["xt"], outputs: ["a"], attributes: [{ name: "alpha", kind: "float", value: 0.25 }] },
          { opType: "ReduceSum", name: "rs", inputs: ["a", "axes"], outputs: ["y"], attributes: [{ name: "keepdims", kind: "int", value: 0 }] }
        ],
        [floatIn("x", [2, 3])],
        [floatIn("y", [3])],
        [{ name: "axes", dataType: OnnxDataType.INT64, dims: [1], values: [1n] }]
      )
    )
    const session = await ort.InferenceSession.create(bytes)
    const out = await session.run({ x: new ort.Tensor("float32", Float32Array.from([1, -4, 2, -8, 3, 5]), [2, 3]) })
    // xt = [[1,-8],[-4,3],[2,5]] → leaky → [[1,-2],[-1,3],[2,5]] → row sums
    expect(out.y!.dims).toEqual([3])
    expect(Array.from(out.y!.data as Float32Array)).toEqual([-1, 2, 7])
  })

  test("Gather of a float table by int64 inputs", async () => {
    const table = [0, 1, 10, 11, 20, 21]
    const bytes = encodeOnnxModel(
      model(
        [{ opType: "Gather", name: "g", inputs: ["table", "ids"], outputs: ["y"] }],
        [{ name: "ids", dataType: OnnxDataType.INT64, shape: ["b", "s"] }],
        [floatIn("y", ["b", "s", 2])],
        [{ name: "table", dataType: OnnxDataType.FLOAT, dims: [3, 2], values: table }]
      )
    )
    const session = await ort.InferenceSession.create(bytes)
    expect(session.inputNames).toEqual(["ids"])
    const out = await session.run({ ids: new ort.Tensor("int64", BigInt64Array.from([2n, 0n, 1n]), [1, 3]) })
    expect(out.y!.dims).toEqual([1, 3, 2])
    expect(Array.from(out.y!.data as Float32Array)).toEqual([20, 21, 0, 1, 10, 11])
  })
})
