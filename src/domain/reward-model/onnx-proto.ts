/**
 * Hand-written protobuf encoding of the part of ONNX's `ModelProto` a small reward model needs: a graph of
 * nodes with attributes, initializers (raw little-endian tensors), typed inputs/outputs with symbolic dims,
 * and the opset import. Field numbers are those of onnx/onnx.proto (IR version 8).
 */

/** ONNX tensor element types used here (TensorProto.DataType). */
export const OnnxDataType = { FLOAT: 1, INT64: 7 } as const
export type OnnxDataType = (typeof OnnxDataType)[keyof typeof OnnxDataType]

/** A constant tensor stored in the graph. */
export type OnnxTensor =
  | { readonly name: string; readonly dataType: typeof OnnxDataType.FLOAT; readonly dims: ReadonlyArray<number>; readonly values: ArrayLike<number> }
  | { readonly name: string; readonly dataType: typeof OnnxDataType.INT64; readonly dims: ReadonlyArray<number>; readonly values: ReadonlyArray<bigint> }

/** A node attribute (only the kinds the graphs here use). */
export type OnnxAttribute =
  | { readonly name: string; readonly kind: "int"; readonly value: number }
  | { readonly name: string; readonly kind: "float"; readonly value: number }
  | { readonly name: string; readonly kind: "ints"; readonly value: ReadonlyArray<number> }

/** One operator application. */
export interface OnnxNode {
  readonly opType: string
  readonly name: string
  readonly inputs: ReadonlyArray<string>
  readonly outputs: ReadonlyArray<string>
  readonly attributes?: ReadonlyArray<OnnxAttribute>
}

/** A graph input or output: element type and shape (a number is a fixed dim, a string a symbolic one). */
export interface OnnxValueInfo {
  readonly name: string
  readonly dataType: OnnxDataType
  readonly shape: ReadonlyArray<number | string>
}

/** A whole model. */
export interface OnnxModel {
  readonly irVersion: number
  readonly opsetVersion: number
  readonly producerName: string
  readonly producerVersion: string
  readonly graphName: string
  readonly nodes: ReadonlyArray<OnnxNode>
  readonly initializers: ReadonlyArray<OnnxTensor>
  readonly inputs: ReadonlyArray<OnnxValueInfo>
  readonly outputs: ReadonlyArray<OnnxValueInfo>
}

// ---- protobuf wire primitives -------------------------------------------------------------------

const WIRE_VARINT = 0
const WIRE_FIXED32 = 5
const WIRE_LEN = 2

/** Growable byte buffer with protobuf writers. */
class Writer {
  private buf = new Uint8Array(256)
  private len = 0

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.len + extra) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.len))
    this.buf = next
  }

  byte(b: number): void {
    this.ensure(1)
    this.buf[this.len++] = b
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length)
    this.buf.set(b, this.len)
    this.len += b.length
  }

  /** Unsigned varint of a non-negative bigint, or the 64-bit two's complement of a negative one. */
  varint(value: bigint | number): void {
    let v = BigInt.asUintN(64, BigInt(value))
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80)
      v >>= 7n
    }
    this.byte(Number(v))
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire)
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len)
  }
}

const utf8 = new TextEncoder()

const fieldVarint = (w: Writer, field: number, value: bigint | number): void => {
  w.tag(field, WIRE_VARINT)
  w.varint(value)
}

const fieldBytes = (w: Writer, field: number, value: Uint8Array): void => {
  w.tag(field, WIRE_LEN)
  w.varint(value.length)
  w.bytes(value)
}

const fieldString = (w: Writer, field: number, value: string): void => fieldBytes(w, field, utf8.encode(value))

const fieldMessage = (w: Writer, field: number, encode: (inner: Writer) => void): void => {
  const inner = new Writer()
  encode(inner)
  fieldBytes(w, field, inner.finish())
}

const fieldFloat = (w: Writer, field: number, value: number): void => {
  w.tag(field, WIRE_FIXED32)
  const b = new Uint8Array(4)
  new DataView(b.buffer).setFloat32(0, value, true)
  w.bytes(b)
}

const packedVarints = (w: Writer, field: number, values: ReadonlyArray<bigint | number>): void =>
  fieldMessage(w, field, (inner) => {
    for (const v of values) inner.varint(v)
  })

// ---- ONNX messages ------------------------------------------------------------------------------

/** Raw little-endian bytes of a tensor's values. */
export const tensorRawData = (tensor: OnnxTensor): Uint8Array => {
  if (tensor.dataType === OnnxDataType.FLOAT) {
    const out = new Uint8Array(tensor.values.length * 4)
    const view = new DataView(out.buffer)
    for (let i = 0; i < tensor.values.length; i++) view.setFloat32(i * 4, tensor.values[i] as number, true)
    return out
  }
  const out = new Uint8Array(tensor.values.length * 8)
  const view = new DataView(out.buffer)
  tensor.values.forEach((v, i) => view.setBigInt64(i * 8, v, true))
  return out
}

// TensorProto: dims=1, data_type=2, name=8, raw_data=9
const encodeTensor = (w: Writer, tensor: OnnxTensor): void => {
  packedVarints(w, 1, tensor.dims)
  fieldVarint(w, 2, tensor.dataType)
  fieldString(w, 8, tensor.name)
  fieldBytes(w, 9, tensorRawData(tensor))
}

// AttributeProto: name=1, f=2, i=3, ints=8, type=20 (FLOAT=1, INT=2, INTS=7)
const encodeAttribute = (w: Writer, attr: OnnxAttribute): void => {
  fieldString(w, 1, attr.name)
  switch (attr.kind) {
    case "float":
      fieldFloat(w, 2, attr.value)
      fieldVarint(w, 20, 1)
      break
    case "int":
      fieldVarint(w, 3, attr.value)
      fieldVarint(w, 20, 2)
      break
    case "ints":
      packedVarints(w, 8, attr.value)
      fieldVarint(w, 20, 7)
      break
  }
}

// NodeProto: input=1, output=2, name=3, op_type=4, attribute=5
const encodeNode = (w: Writer, node: OnnxNode): void => {
  for (const i of node.inputs) fieldString(w, 1, i)
  for (const o of node.outputs) fieldString(w, 2, o)
  fieldString(w, 3, node.name)
  fieldString(w, 4, node.opType)
  for (const a of node.attributes ?? []) fieldMessage(w, 5, (inner) => encodeAttribute(inner, a))
}

// ValueInfoProto: name=1, type=2; TypeProto: tensor_type=1; Tensor: elem_type=1, shape=2;
// TensorShapeProto: dim=1; Dimension: dim_value=1, dim_param=2
const encodeValueInfo = (w: Writer, info: OnnxValueInfo): void => {
  fieldString(w, 1, info.name)
  fieldMessage(w, 2, (type) =>
    fieldMessage(type, 1, (tensor) => {
      fieldVarint(tensor, 1, info.dataType)
      fieldMessage(tensor, 2, (shape) => {
        for (const d of info.shape)
          fieldMessage(shape, 1, (dim) => (typeof d === "number" ? fieldVarint(dim, 1, d) : fieldString(dim, 2, d)))
      })
    })
  )
}

// GraphProto: node=1, name=2, initializer=5, input=11, output=12
const encodeGraph = (w: Writer, model: OnnxModel): void => {
  for (const n of model.nodes) fieldMessage(w, 1, (inner) => encodeNode(inner, n))
  fieldString(w, 2, model.graphName)
  for (const t of model.initializers) fieldMessage(w, 5, (inner) => encodeTensor(inner, t))
  for (const i of model.inputs) fieldMessage(w, 11, (inner) => encodeValueInfo(inner, i))
  for (const o of model.outputs) fieldMessage(w, 12, (inner) => encodeValueInfo(inner, o))
}

/** Serialises a model to ONNX protobuf bytes (ModelProto: ir_version=1, producer=2/3, graph=7, opset_import=8). */
export const encodeOnnxModel = (model: OnnxModel): Uint8Array => {
  const w = new Writer()
  fieldVarint(w, 1, model.irVersion)
  fieldString(w, 2, model.producerName)
  fieldString(w, 3, model.producerVersion)
  fieldMessage(w, 7, (inner) => encodeGraph(inner, model))
  // OperatorSetIdProto: domain=1 ("" = the default ai.onnx domain), version=2
  fieldMessage(w, 8, (inner) => {
    fieldString(inner, 1, "")
    fieldVarint(inner, 2, model.opsetVersion)
  })
  return w.finish()
}
