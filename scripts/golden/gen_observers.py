"""Observer, FakeQuantize-module and default-qconfig cases (docs/numerics/observers.md,
docs/numerics/fake_quantize.md §The modules, docs/numerics/qconfig.md).

Ops (golden/README.md §Op catalog, with these optional fields):
- `observer`: attrs `observer` (class name), `args` (constructor arguments, PyTorch names) and,
  for observers whose calculate_qparams raises, `calculate_qparams_raises: true`; inputs
  `x0`, `x1`, ... observed in order; outputs `scale`, `zero_point`, `min_val`, `max_val` as
  PyTorch returns them, `histogram` for some HistogramObserver cases, and `y0`, ... (what
  forward returned) for the observers that compute no qparams.
- `fake_quantize_module`: attrs `module`, `observer`, `args` (module constructor arguments
  other than `observer`), optional `observer_enabled_steps` / `fake_quant_enabled_steps` (0/1
  per step, applied with enable_observer / enable_fake_quant before that step's forward) and
  `choose_qparams_variant` (`quant_utils` or `fbgemm`: which C++ ChooseQuantizationParams this
  build compiled into fused_moving_avg_obs_fake_quant); inputs `x0`, ...; outputs `y0`, ...,
  the module's `scale` / `zero_point` buffers after the last step, the observer's
  `min_val` / `max_val`, and `qparams_scale` / `qparams_zero_point` = module.calculate_qparams()
  (what convert uses).
- `qconfig`: attrs `backend`, `kind` (`static`: get_default_qconfig, `qat`:
  get_default_qat_qconfig, `dynamic`: the qconfig quantize_dynamic gives its default modules for
  attr `dtype`, `named`: the module-level qconfig called attr `name`), `version`,
  `activation_class`, `weight_class`, `activation_args`, `weight_args` (read from the instances
  the qconfig's factories build), `choose_qparams_variant`; inputs activation batches `x0`, ...
  and a weight `w`; outputs (when the class computes qparams) `act_scale`, `act_zero_point`
  (calculate_qparams after the batches), for fake-quant activations `y0`, ... and the module
  buffers `act_fq_scale`, `act_fq_zero_point`; `w_scale`, `w_zero_point` (calculate_qparams
  after observing / fake-quantizing `w`), and for fake-quant weights `w_y`, `w_fq_scale`,
  `w_fq_zero_point`.

Inputs never hold -0.0: which zero torch.aminmax returns for a mix of +0 and -0 depends on its
vector lanes.
"""
import warnings

import numpy as np
import torch
from torch.ao.quantization import fake_quantize as fq
from torch.ao.quantization import observer as ob
from torch.ao.quantization import qconfig as qc

from qgolden import GoldenFile

warnings.filterwarnings("ignore")

DTYPES = {"quint8": torch.quint8, "qint8": torch.qint8, "qint32": torch.qint32,
          "quint4x2": torch.quint4x2, "float16": torch.float16, "float32": torch.float32}
QSCHEMES = {"per_tensor_affine": torch.per_tensor_affine,
            "per_tensor_symmetric": torch.per_tensor_symmetric,
            "per_channel_affine": torch.per_channel_affine,
            "per_channel_symmetric": torch.per_channel_symmetric,
            "per_channel_affine_float_qparams": torch.per_channel_affine_float_qparams}
DTYPE_NAMES = {v: k for k, v in DTYPES.items()}
QSCHEME_NAMES = {v: k for k, v in QSCHEMES.items()}
EPS12 = 2.0 ** -12

CHOOSE_QPARAMS_VARIANT = ("fbgemm" if "fbgemm" in torch.backends.quantized.supported_engines
                          else "quant_utils")


# ---------------------------------------------------------------------------------------------
# Helpers

def torch_kwargs(args):
    """PyTorch constructor kwargs from a JSON-able args dict (dtype/qscheme names → objects)."""
    out = {}
    for k, v in args.items():
        if k in ("dtype", "compute_dtype"):
            out[k] = DTYPES[v]
        elif k == "qscheme":
            out[k] = QSCHEMES[v]
        else:
            out[k] = v
    return out


def f32(a):
    a = np.asarray(a, dtype=np.float32) + np.float32(0.0)  # -0.0 -> +0.0
    return torch.from_numpy(np.ascontiguousarray(a))


def batch(rng, kind, shape):
    n = int(np.prod(shape))
    if kind == "normal":
        v = rng.standard_normal(n) * rng.choice([0.1, 1, 3]) + rng.choice([0, 0.5, -1])
    elif kind == "uniform":
        v = rng.uniform(-2, 5, n)
    elif kind == "positive":
        v = rng.uniform(0.25, 4, n)
    elif kind == "negative":
        v = -rng.uniform(0.01, 7, n)
    elif kind == "wide":
        v = rng.standard_normal(n) * 1e4
    elif kind == "narrow":
        v = rng.standard_normal(n) * 1e-6 + rng.choice([0, 3e-6])
    elif kind == "constant":
        v = np.full(n, rng.choice([3.0, -2.5, 0.7]))
    elif kind == "zeros":
        v = np.zeros(n)
    elif kind == "outliers":
        v = rng.standard_normal(n)
        v[rng.integers(0, n, max(1, n // 50))] *= 40
    elif kind == "tiny-positive":
        v = rng.uniform(1e-6, 3e-6, n)
    else:
        raise ValueError(kind)
    return f32(v.reshape(shape))


def qparams_outputs(scale, zero_point):
    return {"scale": scale.detach().clone(), "zero_point": zero_point.detach().clone()}


def minmax_outputs(obs):
    return {"min_val": obs.min_val.detach().clone(), "max_val": obs.max_val.detach().clone()}


# ---------------------------------------------------------------------------------------------
# observer cases

def add_observer_case(g, cid, cls, args, batches, record_histogram=False):
    obs = getattr(ob, cls)(**torch_kwargs(args))
    inputs = {}
    ys = {}
    for i, x in enumerate(batches):
        inputs[f"x{i}"] = x.clone()
        y = obs(x)
        ys[f"y{i}"] = y.detach().clone()
    attrs = {"observer": cls, "args": args}
    try:
        scale, zp = obs.calculate_qparams()
        outputs = qparams_outputs(scale, zp)
    except Exception:  # PlaceholderObserver / NoopObserver
        attrs["calculate_qparams_raises"] = True
        outputs = dict(ys)
        if not outputs:
            return
    if hasattr(obs, "min_val"):
        outputs.update(minmax_outputs(obs))
    if record_histogram:
        outputs["histogram"] = obs.histogram.detach().clone()
    g.add(cid, "observer", attrs, inputs, outputs)


MINMAX_CONFIGS = [
    {},
    {"reduce_range": True},
    {"dtype": "qint8"},
    {"dtype": "qint8", "reduce_range": True},
    {"dtype": "qint8", "qscheme": "per_tensor_symmetric"},
    {"dtype": "quint8", "qscheme": "per_tensor_symmetric"},
    {"dtype": "qint8", "qscheme": "per_tensor_symmetric", "reduce_range": True},
    {"quant_min": 0, "quant_max": 127},
    {"quant_min": 0, "quant_max": 15},
    {"dtype": "qint8", "qscheme": "per_tensor_symmetric", "quant_min": -127, "quant_max": 127,
     "eps": EPS12},
    {"dtype": "quint8", "qscheme": "per_tensor_symmetric", "quant_min": 0, "quant_max": 100},
    {"dtype": "qint8", "quant_min": -64, "quant_max": 63, "reduce_range": True},
    {"dtype": "qint8", "quant_min": -100, "quant_max": 20},
    {"dtype": "quint8", "quant_min": 0, "quant_max": 1000},
    {"eps": 0.01},
    {"eps": 1e-10},
    {"dtype": "quint4x2"},
    {"dtype": "qint32", "qscheme": "per_tensor_symmetric"},
]

DATA_KINDS = ["normal", "uniform", "positive", "negative", "wide", "narrow", "constant", "zeros",
              "outliers", "tiny-positive"]


def minmax_cases(g, rng):
    for cls in ("MinMaxObserver", "MovingAverageMinMaxObserver"):
        for ci, cfg in enumerate(MINMAX_CONFIGS):
            for kind in DATA_KINDS:
                args = dict(cfg)
                if cls == "MovingAverageMinMaxObserver" and (ci + len(kind)) % 3 == 0:
                    args["averaging_constant"] = float(rng.choice([0.5, 1.0, 0.1, 0.001]))
                nb = 1 if kind in ("constant", "zeros") and ci % 2 else int(rng.integers(1, 4))
                batches = [batch(rng, kind, [int(rng.integers(1, 40))]) for _ in range(nb)]
                add_observer_case(g, f"{cls}/{ci}/{kind}", cls, args, batches)
        # Shapes, one element, an empty batch in between, mixed kinds, never run.
        add_observer_case(g, f"{cls}/one-element", cls, {}, [f32([2.5])])
        add_observer_case(g, f"{cls}/one-element-neg", cls, {"dtype": "qint8"}, [f32([-0.3])])
        add_observer_case(g, f"{cls}/scalar", cls, {}, [f32(1.25).reshape([])])
        add_observer_case(g, f"{cls}/empty-between", cls, {},
                          [batch(rng, "normal", [5]), f32(np.zeros(0)), batch(rng, "normal", [3])])
        add_observer_case(g, f"{cls}/never-run", cls, {"dtype": "qint8"}, [])
        add_observer_case(g, f"{cls}/only-empty", cls, {}, [f32(np.zeros((0, 3)))])
        add_observer_case(g, f"{cls}/rank4", cls, {"dtype": "qint8"},
                          [batch(rng, "normal", [2, 3, 2, 2]) for _ in range(2)])
        add_observer_case(g, f"{cls}/mixed", cls, {"reduce_range": True},
                          [batch(rng, k, [17]) for k in ("positive", "negative", "wide", "narrow")])
        add_observer_case(g, f"{cls}/many-batches", cls, {"averaging_constant": 0.3}
                          if cls.startswith("Moving") else {},
                          [batch(rng, "normal", [9]) for _ in range(8)])
        add_observer_case(g, f"{cls}/plus-inf", cls, {}, [f32([1.0, np.inf, 2.0])])
        # qint32 affine: round(min/scale) fits int32 only when min is small against max.
        add_observer_case(g, f"{cls}/qint32-affine", cls, {"dtype": "qint32"},
                          [f32([-1.0, 1000.0, 3.0])])
        add_observer_case(g, f"{cls}/qint32-affine-positive", cls, {"dtype": "qint32"},
                          [batch(rng, "positive", [20])])
        # Build-dependent zero points: round(min / scale) overflows int32 (a wide qint32 range) or
        # is NaN (-inf / inf); C++ leaves the float -> int32 conversion undefined (x86 and ARM
        # both give INT32_MIN here). The reference marks these elements build-dependent.
        add_observer_case(g, f"{cls}/qint32-affine-overflow", cls, {"dtype": "qint32"},
                          [f32([-1000.0, 1.0])])
        add_observer_case(g, f"{cls}/minus-inf", cls, {}, [f32([-np.inf, 1.0, 2.0])])


PER_CHANNEL_CONFIGS = [
    {},
    {"dtype": "qint8", "qscheme": "per_channel_symmetric"},
    {"dtype": "quint8", "qscheme": "per_channel_symmetric"},
    {"dtype": "qint8", "qscheme": "per_channel_affine", "reduce_range": True},
    {"reduce_range": True},
    {"qscheme": "per_channel_affine_float_qparams"},
    {"dtype": "quint4x2", "qscheme": "per_channel_affine_float_qparams"},
    {"dtype": "qint8", "qscheme": "per_channel_symmetric", "quant_min": -127, "quant_max": 127,
     "eps": EPS12},
    {"quant_min": 0, "quant_max": 127},
    {"eps": 0.05},
]


def per_channel_cases(g, rng):
    for cls in ("PerChannelMinMaxObserver", "MovingAveragePerChannelMinMaxObserver"):
        i = 0
        for ci, cfg in enumerate(PER_CHANNEL_CONFIGS):
            for shape, axis in (([4, 6], 0), ([3, 5], 1), ([2, 3, 4], -1), ([3, 2, 2, 2], 1),
                                ([5, 1], 1), ([2, 3, 4], 2), ([1, 7], 0)):
                args = dict(cfg)
                args["ch_axis"] = axis
                if cls.startswith("Moving") and i % 3 == 1:
                    args["averaging_constant"] = float(rng.choice([0.5, 1.0, 0.25]))
                kind = DATA_KINDS[i % len(DATA_KINDS)]
                nb = int(rng.integers(1, 4))
                batches = [batch(rng, kind if b == 0 else "normal", shape) for b in range(nb)]
                if i % 4 == 0:  # a channel that is all zeros, one that is constant
                    x = batches[0].clone()
                    x.select(axis, 0).zero_()
                    if x.shape[axis] > 1:
                        x.select(axis, 1).fill_(2.0)
                    batches[0] = x
                add_observer_case(g, f"{cls}/{ci}/{'x'.join(map(str, shape))}-axis{axis}", cls,
                                  args, batches)
                i += 1
        add_observer_case(g, f"{cls}/never-run", cls, {}, [])
        add_observer_case(g, f"{cls}/broadcast-one-channel", cls, {"dtype": "qint8"},
                          [batch(rng, "normal", [1, 4]), batch(rng, "normal", [3, 4])])


def random_hist_batch(rng, t):
    n = int(rng.integers(5, 120))
    kind = t % 9
    if kind == 0:
        v = rng.standard_normal(n) * rng.choice([0.2, 1, 4]) + rng.choice([0, 0.5, -1])
    elif kind == 1:  # int() truncation drops data at both ends
        v = rng.uniform(rng.uniform(-3.9, -1.1), rng.uniform(1.1, 4.9), n)
    elif kind == 2:
        v = rng.uniform(0, 1, n) * rng.choice([0.3, 0.9])  # int() range [0, 0] -> data range
    elif kind == 3:
        v = rng.standard_normal(n) * 30 + rng.choice([0, 100, -50])
    elif kind == 4:
        v = np.abs(rng.standard_normal(n)) * rng.choice([2, 6])  # one-sided (ReLU)
    elif kind == 5:
        v = rng.standard_normal(n)
        v[rng.integers(0, n, max(1, n // 30))] *= 25
    elif kind == 6:
        v = rng.standard_normal(n) * 1e3
    elif kind == 7:
        v = rng.standard_normal(n) * 1e-3 + rng.choice([0, 2.5])
    else:
        v = -np.abs(rng.standard_normal(n)) * rng.choice([1, 5])
    return f32(v)


HIST_CONFIGS = [
    {},
    {"reduce_range": True},
    {"qscheme": "per_tensor_symmetric"},
    {"dtype": "qint8"},
    {"dtype": "qint8", "qscheme": "per_tensor_symmetric"},
    {"dtype": "qint8", "reduce_range": False, "eps": EPS12},
    {"quant_min": 0, "quant_max": 127},
    {"reduce_range": True, "qscheme": "per_tensor_symmetric"},  # allowed for HistogramObserver
]


MAX_GROWTH = 32  # the largest range growth between histogram batches (PyTorch memory: bins*128*growth)


def histogram_cases(g, rng, count):
    for t in range(count):
        cfg = dict(HIST_CONFIGS[t % len(HIST_CONFIGS)])
        small = t % 5 == 4
        if small:  # custom bins: cheap to record the histogram itself
            cfg["bins"] = int(rng.choice([16, 64, 100, 256, 333]))
            cfg["upsample_rate"] = int(rng.choice([4, 16, 128]))
        nb = int(rng.integers(1, 5))
        batches = []
        lo = hi = None
        for b in range(nb):
            if b > 0 and rng.uniform() < 0.2:
                x = batches[-1].clone()  # a repeated batch: the histograms add
            else:
                x = random_hist_batch(rng, t + b * int(rng.integers(0, 3)))
            xmin, xmax = float(x.min()), float(x.max())
            if lo is not None and hi > lo and (max(hi, xmax) - min(lo, xmin)) / (hi - lo) > MAX_GROWTH:
                # PyTorch 1.13 allocates bins * 128 * growth floats to re-bin: keep it small.
                width = (hi - lo) * float(rng.uniform(0.5, 6))
                start = lo - (hi - lo) * float(rng.uniform(0, 2))
                span = max(xmax - xmin, 1e-30)
                x = f32(start + (x.numpy().astype(np.float64) - xmin) / span * width)
                xmin, xmax = float(x.min()), float(x.max())
            if lo is None or lo == hi:
                lo, hi = xmin, xmax
            else:
                lo, hi = min(lo, xmin), max(hi, xmax)
            batches.append(x)
        add_observer_case(g, f"HistogramObserver/random-{t}", "HistogramObserver", cfg, batches,
                          record_histogram=small or t % 40 == 0)
    # Hand-picked shapes of the algorithm.
    special = {
        "one-element": [f32([0.75])],
        "constant": [f32(np.full(20, 3.0))],
        "constant-then-normal": [f32(np.full(8, 1.5)), batch(rng, "normal", [30])],
        "zeros": [f32(np.zeros(16))],
        "zeros-then-normal": [f32(np.zeros(16)), batch(rng, "normal", [40])],
        "normal-then-constant": [batch(rng, "normal", [40]), f32(np.full(8, 0.25))],
        "repeated-3": [batch(rng, "uniform", [50])] * 3,
        "narrow": [batch(rng, "narrow", [60]), batch(rng, "narrow", [60])],
        "wide": [batch(rng, "wide", [60]), batch(rng, "wide", [60])],
        "widening": [f32(rng.uniform(-0.5, 0.5, 40)), f32(rng.uniform(-5, 5, 40)),
                     f32(rng.uniform(-50, 50, 40))],
        "narrowing": [f32(rng.uniform(-50, 50, 40)), f32(rng.uniform(-5, 5, 40)),
                      f32(rng.uniform(-0.5, 0.5, 40))],
        "shift-right": [f32(rng.uniform(0, 2, 40)), f32(rng.uniform(5, 9, 40))],
        "shift-left": [f32(rng.uniform(5, 9, 40)), f32(rng.uniform(-3, 0.5, 40))],
        "truncation-drops": [f32([-1.9, -1.2, -0.4, 0.3, 1.1, 2.8, 2.95])],
        "positive": [batch(rng, "positive", [70])],
        "negative": [batch(rng, "negative", [70])],
        "empty-between": [batch(rng, "normal", [30]), f32(np.zeros(0)), batch(rng, "normal", [30])],
        "rank3": [batch(rng, "normal", [2, 5, 6]), batch(rng, "normal", [2, 5, 6])],
    }
    for name, batches in special.items():
        for cfg_name, cfg in (("", {}), ("-rr", {"reduce_range": True}),
                              ("-qint8-sym", {"dtype": "qint8", "qscheme": "per_tensor_symmetric"})):
            add_observer_case(g, f"HistogramObserver/{name}{cfg_name}", "HistogramObserver", cfg,
                              [b.clone() for b in batches], record_histogram=name == "truncation-drops")
    add_observer_case(g, "HistogramObserver/never-run", "HistogramObserver", {}, [])
    add_observer_case(g, "HistogramObserver/qint32", "HistogramObserver", {"dtype": "qint32"},
                      [batch(rng, "normal", [50]), batch(rng, "normal", [50])])
    add_observer_case(g, "HistogramObserver/qint32-sym", "HistogramObserver",
                      {"dtype": "qint32", "qscheme": "per_tensor_symmetric"},
                      [batch(rng, "normal", [50])])
    add_observer_case(g, "HistogramObserver/quint4x2", "HistogramObserver", {"dtype": "quint4x2"},
                      [batch(rng, "normal", [50]), batch(rng, "positive", [20])])


def other_observer_cases(g, rng):
    x = [batch(rng, "normal", [6]), batch(rng, "wide", [4])]
    for name, args in (("0to1", {"scale": 1.0 / 256.0, "zero_point": 0, "dtype": "quint8",
                                  "quant_min": 0, "quant_max": 255}),
                       ("neg1to1", {"scale": 2.0 / 256.0, "zero_point": 128, "dtype": "quint8",
                                    "quant_min": 0, "quant_max": 255}),
                       ("custom", {"scale": 0.1, "zero_point": -3, "dtype": "qint8",
                                   "quant_min": -128, "quant_max": 127}),
                       ("minimal", {"scale": 1.0 / 3.0, "zero_point": 7})):
        add_observer_case(g, f"FixedQParamsObserver/{name}", "FixedQParamsObserver", args, x)
    add_observer_case(g, "PlaceholderObserver/default", "PlaceholderObserver", {}, x)
    add_observer_case(g, "PlaceholderObserver/dynamic", "PlaceholderObserver",
                      {"dtype": "quint8", "compute_dtype": "quint8"}, x)
    add_observer_case(g, "PlaceholderObserver/float16", "PlaceholderObserver",
                      {"dtype": "float16", "compute_dtype": "float16"}, x)
    add_observer_case(g, "NoopObserver/default", "NoopObserver", {}, x)
    add_observer_case(g, "NoopObserver/float32", "NoopObserver", {"dtype": "float32"}, x[:1])


# ---------------------------------------------------------------------------------------------
# fake_quantize_module cases

def add_fq_case(g, cid, module, observer, args, batches, observer_steps=None, fq_steps=None):
    if module == "FusedMovingAvgObsFakeQuantize" and observer_steps is not None \
            and not observer_steps[0]:
        # With no statistics the running min/max are (inf, -inf), which the C++
        # ChooseQuantizationParams of a non-FBGEMM build rejects (min > max): PyTorch raises.
        observer_steps = [1] + list(observer_steps[1:])
    cls = {"FakeQuantize": fq.FakeQuantize,
           "FusedMovingAvgObsFakeQuantize": fq.FusedMovingAvgObsFakeQuantize,
           "FixedQParamsFakeQuantize": fq.FixedQParamsFakeQuantize}[module]
    if module == "FixedQParamsFakeQuantize":
        m = cls(observer=getattr(ob, observer).with_args(**torch_kwargs(args)))
    else:
        m = cls(observer=getattr(ob, observer), **torch_kwargs(args))
    m.train()
    inputs, outputs = {}, {}
    for i, x in enumerate(batches):
        if observer_steps is not None:
            m.enable_observer(bool(observer_steps[i]))
        if fq_steps is not None:
            m.enable_fake_quant(bool(fq_steps[i]))
        inputs[f"x{i}"] = x.clone()
        outputs[f"y{i}"] = m(x).detach().clone()
    outputs["scale"] = m.scale.detach().clone()
    outputs["zero_point"] = m.zero_point.detach().clone()
    obs = m.activation_post_process
    if hasattr(obs, "min_val"):
        outputs.update(minmax_outputs(obs))
    s, z = m.calculate_qparams()
    outputs["qparams_scale"] = s.detach().clone()
    outputs["qparams_zero_point"] = z.detach().clone()
    attrs = {"module": module, "observer": observer, "args": args}
    if observer_steps is not None:
        attrs["observer_enabled_steps"] = [int(v) for v in observer_steps]
    if fq_steps is not None:
        attrs["fake_quant_enabled_steps"] = [int(v) for v in fq_steps]
    if module == "FusedMovingAvgObsFakeQuantize":
        attrs["choose_qparams_variant"] = CHOOSE_QPARAMS_VARIANT
    g.add(cid, "fake_quantize_module", attrs, inputs, outputs)


FQ_TENSOR_CONFIGS = [
    ("MovingAverageMinMaxObserver", {"quant_min": 0, "quant_max": 255, "dtype": "quint8",
                                     "qscheme": "per_tensor_affine", "reduce_range": True}),
    ("MovingAverageMinMaxObserver", {"quant_min": 0, "quant_max": 255}),
    ("MovingAverageMinMaxObserver", {"quant_min": -128, "quant_max": 127, "dtype": "qint8",
                                     "qscheme": "per_tensor_symmetric", "reduce_range": False}),
    ("MovingAverageMinMaxObserver", {"quant_min": -127, "quant_max": 127, "dtype": "qint8",
                                     "qscheme": "per_tensor_symmetric", "eps": EPS12}),
    ("MovingAverageMinMaxObserver", {"quant_min": 0, "quant_max": 255, "dtype": "quint8",
                                     "averaging_constant": 1}),
    ("MovingAverageMinMaxObserver", {"quant_min": 0, "quant_max": 15}),
    ("MovingAverageMinMaxObserver", {"averaging_constant": 0.25}),
    ("MovingAverageMinMaxObserver", {"quant_min": -128, "quant_max": 127, "dtype": "qint8"}),
]
FQ_CHANNEL_CONFIGS = [
    ("MovingAveragePerChannelMinMaxObserver",
     {"quant_min": -128, "quant_max": 127, "dtype": "qint8", "qscheme": "per_channel_symmetric",
      "reduce_range": False, "ch_axis": 0}),
    ("MovingAveragePerChannelMinMaxObserver",
     {"quant_min": -127, "quant_max": 127, "dtype": "qint8", "qscheme": "per_channel_symmetric",
      "eps": EPS12}),
    ("MovingAveragePerChannelMinMaxObserver",
     {"quant_min": 0, "quant_max": 255, "dtype": "quint8", "qscheme": "per_channel_affine"}),
    ("MovingAveragePerChannelMinMaxObserver",
     {"quant_min": -128, "quant_max": 127, "dtype": "qint8", "qscheme": "per_channel_affine",
      "averaging_constant": 0.5}),
]


def steps_patterns(rng, n):
    yield None, None
    yield [1] * (n - 2) + [0, 0], None                 # observer off at the end
    yield None, [0] + [1] * (n - 1)                     # fake quant off at first
    yield [0] + [1] * (n - 1), None                     # observer off at first
    yield list(rng.integers(0, 2, n)), [1] + list(rng.integers(0, 2, n - 1))


def fake_quantize_module_cases(g, rng):
    kinds = ["normal", "uniform", "positive", "outliers", "narrow", "wide", "zeros",
             "tiny-positive", "negative"]
    for module in ("FakeQuantize", "FusedMovingAvgObsFakeQuantize"):
        for ci, (observer, args) in enumerate(FQ_TENSOR_CONFIGS):
            n = 5
            for si, (obs_steps, fq_steps) in enumerate(steps_patterns(rng, n)):
                kind = kinds[(ci + si) % len(kinds)]
                batches = [batch(rng, kind if b % 2 == 0 else "normal", [int(rng.integers(1, 30))])
                           for b in range(n)]
                add_fq_case(g, f"{module}/tensor-{ci}/steps{si}", module, observer, args, batches,
                            obs_steps, fq_steps)
        for ci, (observer, args) in enumerate(FQ_CHANNEL_CONFIGS):
            shapes = ([4, 6], [3, 2, 2, 2], [5, 3])
            for si, (obs_steps, fq_steps) in enumerate(steps_patterns(rng, 4)):
                if module == "FusedMovingAvgObsFakeQuantize" and fq_steps is not None and not fq_steps[0]:
                    # PyTorch leaves the per-channel scale/zero_point buffers uninitialized until
                    # the first step with fake quant on: skip a pattern that would record them.
                    fq_steps = [1] + fq_steps[1:]
                if module == "FakeQuantize" and obs_steps is not None and not obs_steps[0]:
                    # Before the first observed step the scale buffer has one element, which
                    # fake_quantize_per_channel_affine rejects (PyTorch raises).
                    obs_steps = [1] + obs_steps[1:]
                shape = shapes[(ci + si) % len(shapes)]
                batches = [batch(rng, kinds[(ci + si + b) % len(kinds)], shape) for b in range(4)]
                add_fq_case(g, f"{module}/channel-{ci}/steps{si}", module, observer, args, batches,
                            obs_steps, fq_steps)
    # FakeQuantize with other observers.
    for ci, (observer, args) in enumerate([
            ("HistogramObserver", {"quant_min": 0, "quant_max": 255, "dtype": "quint8",
                                   "qscheme": "per_tensor_affine", "reduce_range": True}),
            ("MinMaxObserver", {"dtype": "qint8", "qscheme": "per_tensor_symmetric"}),
            ("PerChannelMinMaxObserver", {"dtype": "qint8", "qscheme": "per_channel_symmetric",
                                          "ch_axis": 1}),
            ("MovingAveragePerChannelMinMaxObserver",
             {"quant_min": 0, "quant_max": 255, "dtype": "quint8", "ch_axis": 0,
              "qscheme": "per_channel_affine_float_qparams", "averaging_constant": 1}),
            ("MovingAveragePerChannelMinMaxObserver",
             {"dtype": "quint4x2", "ch_axis": 0, "qscheme": "per_channel_affine_float_qparams",
              "averaging_constant": 1})]):
        shape = [4, 6] if "PerChannel" in observer else [40]
        batches = [batch(rng, k, shape) for k in ("normal", "uniform", "outliers")]
        add_fq_case(g, f"FakeQuantize/{observer}-{ci}", "FakeQuantize", observer, args, batches)
    # FixedQParamsFakeQuantize (sigmoid / tanh outputs).
    for name, args in (("0to1", {"scale": 1.0 / 256.0, "zero_point": 0, "dtype": "quint8",
                                  "quant_min": 0, "quant_max": 255}),
                       ("neg1to1", {"scale": 2.0 / 256.0, "zero_point": 128, "dtype": "quint8",
                                    "quant_min": 0, "quant_max": 255})):
        batches = [f32(rng.uniform(-1.5, 1.5, 30)), f32(rng.uniform(0, 1, 30))]
        add_fq_case(g, f"FixedQParamsFakeQuantize/{name}", "FixedQParamsFakeQuantize",
                    "FixedQParamsObserver", args, batches, None, [1, 0])


# ---------------------------------------------------------------------------------------------
# qconfig cases

def instance_args(m):
    """The attributes of an observer or fake-quant instance, JSON-able, PyTorch names."""
    if isinstance(m, fq.FakeQuantizeBase):
        obs = m.activation_post_process
        out = {"observer": type(obs).__name__, "observer_args": instance_args(obs),
               "quant_min": int(m.quant_min), "quant_max": int(m.quant_max),
               "dtype": DTYPE_NAMES[m.dtype], "qscheme": QSCHEME_NAMES[m.qscheme],
               "ch_axis": int(m.ch_axis), "is_per_channel": bool(m.is_per_channel)}
        if isinstance(m, fq.FusedMovingAvgObsFakeQuantize):
            out["is_symmetric_quant"] = bool(m.is_symmetric_quant)
        return out
    out = {"dtype": DTYPE_NAMES[m.dtype]}
    if isinstance(m, ob.UniformQuantizationObserverBase):
        out.update({"qscheme": QSCHEME_NAMES[m.qscheme], "reduce_range": bool(m.reduce_range),
                    "quant_min": int(m.quant_min), "quant_max": int(m.quant_max),
                    "eps": float(m.eps), "has_customized_qrange": bool(m.has_customized_qrange)})
    if hasattr(m, "averaging_constant"):
        out["averaging_constant"] = float(m.averaging_constant)
    if hasattr(m, "ch_axis"):
        out["ch_axis"] = int(m.ch_axis)
    if isinstance(m, ob.HistogramObserver):
        out.update({"bins": int(m.bins), "upsample_rate": int(m.upsample_rate),
                    "dst_nbins": int(m.dst_nbins)})
    if isinstance(m, ob.FixedQParamsObserver):
        out.update({"qscheme": QSCHEME_NAMES[m.qscheme], "quant_min": int(m.quant_min),
                    "quant_max": int(m.quant_max), "scale": float(m.scale),
                    "zero_point": int(m.zero_point)})
    if isinstance(m, (ob.PlaceholderObserver, ob.NoopObserver)):
        out["custom_op_name"] = m.custom_op
    if isinstance(m, ob.PlaceholderObserver):
        cd = getattr(m, "compute_dtype", None)
        out["compute_dtype"] = DTYPE_NAMES[cd] if cd is not None else None
    return out


def computes_qparams(m):
    return not isinstance(m, (ob.PlaceholderObserver, ob.NoopObserver))


def add_qconfig_case(g, cid, attrs, config, batches, w):
    act = config.activation()
    wt = config.weight()
    attrs = dict(attrs)
    attrs.update({"activation_class": type(act).__name__, "weight_class": type(wt).__name__,
                  "activation_args": instance_args(act), "weight_args": instance_args(wt),
                  "choose_qparams_variant": CHOOSE_QPARAMS_VARIANT})
    inputs = {f"x{i}": x.clone() for i, x in enumerate(batches)}
    inputs["w"] = w.clone()
    outputs = {}
    is_fq = isinstance(act, fq.FakeQuantizeBase)
    if is_fq:
        act.train()
    for i, x in enumerate(batches):
        y = act(x)
        if is_fq:
            outputs[f"y{i}"] = y.detach().clone()
    if computes_qparams(act):
        s, z = act.calculate_qparams()
        outputs["act_scale"], outputs["act_zero_point"] = s.clone(), z.clone()
    if is_fq:
        outputs["act_fq_scale"] = act.scale.detach().clone()
        outputs["act_fq_zero_point"] = act.zero_point.detach().clone()
    if isinstance(wt, fq.FakeQuantizeBase):
        wt.train()
        outputs["w_y"] = wt(w).detach().clone()
        outputs["w_fq_scale"] = wt.scale.detach().clone()
        outputs["w_fq_zero_point"] = wt.zero_point.detach().clone()
    else:
        wt(w)
    if computes_qparams(wt):
        s, z = wt.calculate_qparams()
        outputs["w_scale"], outputs["w_zero_point"] = s.clone(), z.clone()
    if not outputs:
        outputs["w_passthrough"] = w.clone()  # nothing computes: the format needs one output
    g.add(cid, "qconfig", attrs, inputs, outputs)


NAMED_QCONFIGS = [
    "default_qconfig", "default_per_channel_qconfig", "default_dynamic_qconfig",
    "float16_dynamic_qconfig", "float16_static_qconfig", "per_channel_dynamic_qconfig",
    "float_qparams_weight_only_qconfig", "float_qparams_weight_only_qconfig_4bit",
    "default_qat_qconfig", "default_dynamic_qat_qconfig", "default_qat_qconfig_v2",
    "default_symmetric_qnnpack_qconfig", "default_per_channel_symmetric_qnnpack_qconfig",
    "default_symmetric_qnnpack_qat_qconfig", "default_per_channel_symmetric_qnnpack_qat_qconfig",
    "default_embedding_qat_qconfig", "default_embedding_qat_qconfig_4bit",
]


def dynamic_default_qconfig(dtype):
    """The qconfig quantize_dynamic(model, dtype=...) assigns its default module types."""
    return {"qint8": qc.default_dynamic_qconfig, "float16": qc.float16_dynamic_qconfig,
            "quint8": qc.float_qparams_weight_only_qconfig,
            "quint4x2": qc.float_qparams_weight_only_qconfig_4bit}[dtype]


def qconfig_cases(g, rng):
    def data():
        batches = [batch(rng, k, [int(rng.integers(20, 60))]) for k in ("normal", "outliers", "uniform")]
        w = batch(rng, "normal", [6, 10])
        return batches, w

    for backend in ("fbgemm", "x86", "qnnpack", "onednn", "unknown-backend"):
        batches, w = data()
        add_qconfig_case(g, f"static/{backend}", {"backend": backend, "kind": "static", "version": 0},
                         qc.get_default_qconfig(backend), batches, w)
        for version in (0, 1):
            batches, w = data()
            add_qconfig_case(g, f"qat/{backend}/v{version}",
                             {"backend": backend, "kind": "qat", "version": version},
                             qc.get_default_qat_qconfig(backend, version), batches, w)
    for dtype in ("qint8", "float16", "quint8", "quint4x2"):
        batches, w = data()
        add_qconfig_case(g, f"dynamic/{dtype}", {"backend": "fbgemm", "kind": "dynamic",
                                                 "version": 0, "dtype": dtype},
                         dynamic_default_qconfig(dtype), batches, w)
    for name in NAMED_QCONFIGS:
        batches, w = data()
        add_qconfig_case(g, f"named/{name}", {"backend": "fbgemm", "kind": "named", "version": 0,
                                              "name": name},
                         getattr(qc, name), batches, w)


def generate(seed):
    notes = ("observer / fake_quantize_module / qconfig cases; optional fields are described in "
             "scripts/golden/gen_observers.py")
    obs = GoldenFile("observers", "scripts/golden/gen_observers.py", seed, notes=notes)
    minmax_cases(obs, obs.rng)
    per_channel_cases(obs, obs.rng)
    other_observer_cases(obs, obs.rng)
    hist = GoldenFile("histogram_observer", "scripts/golden/gen_observers.py", seed, notes=notes)
    histogram_cases(hist, hist.rng, 160)
    fqm = GoldenFile("fake_quantize_modules", "scripts/golden/gen_observers.py", seed, notes=notes)
    fake_quantize_module_cases(fqm, fqm.rng)
    qcf = GoldenFile("qconfigs", "scripts/golden/gen_observers.py", seed, notes=notes)
    qconfig_cases(qcf, qcf.rng)
    return [obs, hist, fqm, qcf]
