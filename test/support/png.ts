/**
 * Reads the 8-bit RGB/RGBA PNGs Chromium writes (zlib + scanline filters, RFC 2083) and measures
 * them, so screenshot tests can tell a rendered page from a blank or single-colour one.
 */
import { inflateSync } from "node:zlib"

export interface DecodedPng {
  readonly width: number
  readonly height: number
  /** RGBA, 4 bytes per pixel, row-major. */
  readonly pixels: Uint8Array
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10]

const paeth = (a: number, b: number, c: number) => {
  const p = a + b - c
  const pa = Math.abs(p - a)
  const pb = Math.abs(p - b)
  const pc = Math.abs(p - c)
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c
}

/** Decodes a non-interlaced 8-bit RGB or RGBA PNG. */
export const decodePng = (bytes: Uint8Array): DecodedPng => {
  if (!SIGNATURE.every((b, i) => bytes[i] === b)) throw new Error("not a PNG")
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let offset = 8
  let width = 0
  let height = 0
  let colorType = 0
  const idat: Array<Uint8Array> = []
  while (offset < bytes.length) {
    const length = view.getUint32(offset)
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8))
    const data = bytes.subarray(offset + 8, offset + 8 + length)
    if (type === "IHDR") {
      width = view.getUint32(offset + 8)
      height = view.getUint32(offset + 12)
      const depth = data[8]
      colorType = data[9]!
      if (depth !== 8 || (colorType !== 2 && colorType !== 6) || data[12] !== 0) throw new Error(`unsupported PNG (depth ${depth}, colour type ${colorType})`)
    } else if (type === "IDAT") idat.push(data)
    else if (type === "IEND") break
    offset += 12 + length
  }
  const raw = inflateSync(Buffer.concat(idat))
  const channels = colorType === 6 ? 4 : 3
  const stride = width * channels
  const out = new Uint8Array(width * height * 4)
  let prev = new Uint8Array(stride)
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1))
    const cur = new Uint8Array(stride)
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? cur[x - channels]! : 0
      const b = prev[x]!
      const c = x >= channels ? prev[x - channels]! : 0
      const v = line[x]!
      cur[x] = (filter === 0 ? v : filter === 1 ? v + a : filter === 2 ? v + b : filter === 3 ? v + ((a + b) >> 1) : v + paeth(a, b, c)) & 255
    }
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4
      out[o] = cur[x * channels]!
      out[o + 1] = cur[x * channels + 1]!
      out[o + 2] = cur[x * channels + 2]!
      out[o + 3] = channels === 4 ? cur[x * channels + 3]! : 255
    }
    prev = cur
  }
  return { width, height, pixels: out }
}

export interface PngStats {
  readonly width: number
  readonly height: number
  /** Variance of the luminance over all pixels. */
  readonly lumaVariance: number
  /** Distinct colours (RGB). */
  readonly colours: number
  /** Share of pixels having the most common colour. */
  readonly dominantShare: number
}

/** How much is drawn in an image. */
export const pngStats = (png: DecodedPng): PngStats => {
  const n = png.width * png.height
  let sum = 0
  let sq = 0
  const counts = new Map<number, number>()
  for (let i = 0; i < n; i++) {
    const r = png.pixels[i * 4]!
    const g = png.pixels[i * 4 + 1]!
    const b = png.pixels[i * 4 + 2]!
    const y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    sum += y
    sq += y * y
    const key = (r << 16) | (g << 8) | b
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  const mean = sum / n
  return {
    width: png.width,
    height: png.height,
    lumaVariance: sq / n - mean * mean,
    colours: counts.size,
    dominantShare: Math.max(...counts.values()) / n
  }
}
