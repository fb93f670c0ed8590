"""A NumPy model of ONNX's quantization operators, written from the operator definitions.

Every computation is float32 where the definition computes in floats (the input types are
float32), rounding is numpy's rint (half to even), saturation is a clip. Where the definition
leaves the order open, this model follows the definition's formula literally (for QLinearAdd/Mul:
round, then add the zero point) — scripts/onnx/record.ts keeps only cases where this model and
onnxruntime-web agree, and reports the others.
"""
import numpy as np

F32 = np.float32
RANGES = {np.dtype("uint8"): (0, 255), np.dtype("int8"): (-128, 127)}


def saturate(v, dtype):
    lo, hi = RANGES[np.dtype(dtype)]
    return np.clip(v, lo, hi).astype(dtype)


def along(values, shape, axis):
    """Reshapes per-axis values to broadcast along `axis` of `shape` (a scalar stays one)."""
    values = np.asarray(values)
    if values.ndim == 0 or values.size == 1 and len(shape) == 0:
        return values.reshape(())
    if values.size == 1:
        return values.reshape(())
    axis = axis % len(shape)
    view = [1] * len(shape)
    view[axis] = values.size
    return values.reshape(view)


def quantize_linear(x, scale, zero_point, axis=1):
    s = along(scale, x.shape, axis).astype(F32)
    z = along(zero_point, x.shape, axis)
    with np.errstate(over="ignore", invalid="ignore"):
        q = np.rint(x.astype(F32) / s).astype(F32) + z.astype(F32)
    return saturate(q, zero_point.dtype)


def dequantize_linear(x, scale, zero_point, axis=1):
    s = along(scale, x.shape, axis).astype(F32)
    z = along(zero_point, x.shape, axis).astype(np.int32)
    return ((x.astype(np.int32) - z).astype(F32) * s).astype(F32)


def dynamic_quantize_linear(x):
    x_min = np.minimum(F32(0), np.min(x)) if x.size else F32(0)
    x_max = np.maximum(F32(0), np.max(x)) if x.size else F32(0)
    scale = F32((x_max - x_min) / F32(255))
    zero_point = saturate(np.rint(F32(0) - x_min / scale), np.uint8)
    y = saturate(np.rint(x / scale).astype(F32) + F32(zero_point), np.uint8)
    return y, np.array(scale, F32), np.array(zero_point, np.uint8)


def matmul_integer(a, b, a_zero_point, b_zero_point):
    az = np.asarray(a_zero_point).astype(np.int32)
    if az.size > 1:
        az = az.reshape(-1, 1)
    bz = np.asarray(b_zero_point).astype(np.int32).reshape(-1)
    bz = bz[0] if bz.size == 1 else bz
    return np.matmul(a.astype(np.int32) - az, b.astype(np.int32) - bz).astype(np.int32)


def requantize(acc, multiplier, zero_point):
    y = np.rint(acc.astype(F32) * multiplier).astype(F32) + F32(zero_point)
    return saturate(y, zero_point.dtype)


def qlinear_matmul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp):
    acc = matmul_integer(a, b, a_zp, b_zp)
    m = (F32(a_scale.reshape(())) * np.asarray(b_scale, F32).reshape(-1)) / F32(y_scale.reshape(()))
    m = m.astype(F32)
    return requantize(acc, m[0] if m.size == 1 else m, y_zp.reshape(()))


def conv_integer(x, w, x_zp, w_zp, strides=(1, 1), pads=(0, 0, 0, 0), dilations=(1, 1), group=1):
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    xs = x.astype(np.int32) - np.int32(np.asarray(x_zp).reshape(()))
    wz = np.asarray(w_zp).astype(np.int32).reshape(-1)
    ws = w.astype(np.int32) - (wz.reshape(-1, 1, 1, 1) if wz.size > 1 else wz[0])
    xp = np.pad(xs, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    eh = (kh - 1) * dilations[0] + 1
    ew = (kw - 1) * dilations[1] + 1
    oh = (h + pads[0] + pads[2] - eh) // strides[0] + 1
    ow = (wd + pads[1] + pads[3] - ew) // strides[1] + 1
    y = np.zeros((n, m, oh, ow), np.int64)
    mg = m // group
    for oc in range(m):
        g = oc // mg
        for ky in range(kh):
            for kx in range(kw):
                ys = ky * dilations[0]
                xs0 = kx * dilations[1]
                patch = xp[:, g * cg:(g + 1) * cg, ys:ys + strides[0] * (oh - 1) + 1:strides[0],
                           xs0:xs0 + strides[1] * (ow - 1) + 1:strides[1]]
                y[:, oc] += np.einsum("nchw,c->nhw", patch.astype(np.int64), ws[oc, :, ky, kx].astype(np.int64))
    return y.astype(np.int32)


def qlinear_conv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, bias=None, **geometry):
    acc = conv_integer(x, w, x_zp, w_zp, **geometry)
    if bias is not None:
        acc = acc + bias.reshape(1, -1, 1, 1)
    ws = np.asarray(w_scale, F32).reshape(-1)
    m = ((F32(np.asarray(x_scale).reshape(())) * ws) / F32(np.asarray(y_scale).reshape(()))).astype(F32)
    m = m.reshape(1, -1, 1, 1) if m.size > 1 else m[0]
    return requantize(acc, m, np.asarray(y_zp).reshape(()))


def qlinear_binary(op, a, a_scale, a_zp, b, b_scale, b_zp, c_scale, c_zp):
    va = (a.astype(np.int32) - np.int32(a_zp)).astype(F32) * F32(a_scale)
    vb = (b.astype(np.int32) - np.int32(b_zp)).astype(F32) * F32(b_scale)
    v = (va + vb if op == "add" else va * vb).astype(F32) / F32(c_scale)
    return saturate(np.rint(v.astype(F32)).astype(F32) + F32(c_zp), np.asarray(c_zp).dtype)
