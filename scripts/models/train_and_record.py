#!/usr/bin/env python3
"""Trains the digits models in real PyTorch and records what the TypeScript flows must reproduce.

Run by `deno task golden:models` (or `/usr/bin/python3 scripts/models/train_and_record.py`).
Needs Debian's PyTorch 1.13 and scikit-learn (`apt-get install -y python3-torch python3-sklearn`).
Writes golden/models/digits/*.safetensors and manifest.json; golden/models/digits/README.md says
what every file and key is.

Steps (all single-threaded, seeded, qnnpack engine for everything quantized):
  1. split the data, train DigitsCNN and DigitsMLP in float, record weights and logits;
  2. dynamic PTQ of the MLP (quantize_dynamic, qint8);
  3. static PTQ of the CNN and the MLP (fuse, get_default_qconfig("qnnpack"), prepare, calibrate,
     convert): observer statistics, every qparam, int8 weights, int8 outputs, per-layer traces;
  4. QAT of the CNN (fuse_modules_qat, get_default_qat_qconfig("qnnpack"), prepare_qat, a few
     epochs from the float weights, freeze BN stats and observers, convert): the trained QAT state
     and the same records as 3.
The run is deterministic: running it twice gives byte-identical files. `--check` records into a
temporary folder and compares every file with the recording in --out, byte for byte.
"""
import argparse
import copy
import hashlib
import json
import os
import platform
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "golden"))

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
import torch  # noqa: E402
import torch.ao.nn.quantized as nnq  # noqa: E402
import torch.ao.nn.quantized.dynamic as nnqd  # noqa: E402
import torch.ao.quantization as tq  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn.intrinsic.qat import freeze_bn_stats  # noqa: E402
from qgolden import cpu_name  # noqa: E402  (shared with the golden generators)

import digits  # noqa: E402
import safetensors_io  # noqa: E402
from export_state_dict import quantized_weight  # noqa: E402  (the exporter's weight layout)

ENGINE = "qnnpack"
TRACE_SIZE = 4  # per-layer int8 traces are kept for the first TRACE_SIZE test images
CALIBRATION_BATCH = 16  # calibration runs in batches of this size, in order (histograms merge)

# Float training: (seed, epochs, learning rate); Adam, batch 32, cross-entropy.
FLOAT_TRAINING = {"cnn": (1, 30, 1e-2), "mlp": (2, 30, 3e-3)}
BATCH = 32
# QAT: SGD with momentum from the float CNN; BN statistics frozen from epoch QAT_FREEZE_BN on,
# observers disabled from epoch QAT_FREEZE_OBSERVER on (PyTorch's QAT tutorial recipe).
QAT_SEED, QAT_EPOCHS, QAT_LR, QAT_MOMENTUM = 3, 4, 1e-3, 0.9
QAT_FREEZE_BN, QAT_FREEZE_OBSERVER = 2, 3


# ---------------------------------------------------------------------------------------------
# bundles: one safetensors file plus a description of every key for the manifest


class Bundle:
    """Tensors for one safetensors file; the manifest describes their keys by pattern."""

    def __init__(self, name, description):
        self.name = name
        self.description = description
        self.tensors = {}
        self.notes = {}  # key pattern ("<m>" stands for a module name) -> description

    def add(self, key, tensor, note, pattern=None):
        if key in self.tensors:
            raise ValueError(f"{self.name}: duplicate key {key}")
        if tensor.is_quantized:
            raise TypeError(f"{self.name}/{key}: store int_repr() and the qparams separately")
        pattern = pattern or key
        if self.notes.setdefault(pattern, note) != note:
            raise ValueError(f"{self.name}: two descriptions for {pattern}")
        self.tensors[key] = tensor.detach().clone().contiguous()

    def add_scalar_qparams(self, prefix, scale, zero_point, note, pattern=None):
        """Scale as the float64 PyTorch hands to the op, zero point as int64, both shape []."""
        pattern = pattern or prefix
        self.add(f"{prefix}scale", torch.tensor(float(scale), dtype=torch.float64),
                 note + " scale (float64)", pattern + "scale")
        self.add(f"{prefix}zero_point", torch.tensor(int(zero_point), dtype=torch.int64),
                 note + " zero point (int64)", pattern + "zero_point")

    def add_state_dict(self, prefix, state, note):
        for key, value in state.items():
            self.add(prefix + key, value, note, prefix + "<state_dict key>")


WEIGHT_NOTES = {
    "": "int8 weight codes (int_repr), PyTorch layout (OIHW / [out, in])",
    "_scale": "weight scale: q_scale() F64 [] per tensor, q_per_channel_scales() F64 [out] per "
              "channel",
    "_zero_point": "weight zero point(s), I64 [] or [out]",
    "_axis": "per-channel weights only: the channel axis, I64 []",
}


def f64(x):
    return torch.tensor(float(x), dtype=torch.float64)


# ---------------------------------------------------------------------------------------------
# training


def batches(n, batch, generator):
    order = torch.randperm(n, generator=generator)
    for start in range(0, n, batch):
        yield order[start:start + batch]


def train_float(make_model, data, seed, epochs, lr):
    torch.manual_seed(seed)
    model = make_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(epochs):
        model.train()
        for index in batches(len(data["train_y"]), BATCH, generator):
            optimizer.zero_grad()
            loss_fn(model(data["train_x"][index]), data["train_y"][index]).backward()
            optimizer.step()
    return model.eval()


def train_qat(float_cnn, data):
    """fuse_modules_qat + prepare_qat, then QAT_EPOCHS of SGD; returns the trained model in eval."""
    torch.manual_seed(QAT_SEED)
    model = copy.deepcopy(float_cnn).train()
    model = tq.fuse_modules_qat(model, digits.CNN_FUSION)
    model.qconfig = tq.get_default_qat_qconfig(ENGINE)
    tq.prepare_qat(model, inplace=True)
    prepared_modules = module_types(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=QAT_LR, momentum=QAT_MOMENTUM)
    generator = torch.Generator().manual_seed(QAT_SEED)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(QAT_EPOCHS):
        if epoch >= QAT_FREEZE_BN:
            model.apply(freeze_bn_stats)
        if epoch >= QAT_FREEZE_OBSERVER:
            model.apply(tq.disable_observer)
        model.train()
        for index in batches(len(data["train_y"]), BATCH, generator):
            optimizer.zero_grad()
            loss_fn(model(data["train_x"][index]), data["train_y"][index]).backward()
            optimizer.step()
    return model.eval(), prepared_modules


def accuracy(logits, labels):
    """Share of rows whose torch.argmax (first maximal index on ties) equals the label."""
    return float((logits.argmax(dim=1) == labels).double().mean())


# ---------------------------------------------------------------------------------------------
# recording quantized models


def record_quantized_modules(bundle, model):
    """Every quantized module's int8 weight, weight qparams, bias and output qparams."""
    for name, mod in model.named_modules():
        if isinstance(mod, nnq.Quantize):
            bundle.add_scalar_qparams(f"{name}.", float(mod.scale), int(mod.zero_point),
                                      "Quantize (the converted QuantStub) output", "<quant>.")
        elif isinstance(mod, (nnq.Conv2d, nnq.Linear, nnqd.Linear)):
            weight = {}
            quantized_weight(weight, f"{name}.weight", mod.weight())  # per tensor or per channel
            for key, value in weight.items():
                tail = key[len(name) + len(".weight"):]
                bundle.add(key, value, WEIGHT_NOTES[tail], f"<m>.weight{tail}")
            bias = mod.bias()
            if bias is not None:
                bundle.add(f"{name}.bias", bias, "float32 bias as packed (quantized by the op)",
                           "<m>.bias")
            if not isinstance(mod, nnqd.Linear):
                bundle.add_scalar_qparams(f"{name}.", mod.scale, mod.zero_point,
                                          "conv/linear output", "<m>.")
        elif isinstance(mod, nnq.QFunctional):
            bundle.add_scalar_qparams(f"{name}.", mod.scale, mod.zero_point,
                                      "QFunctional (add_relu) output", "<functional>.")
    return module_types(model)


def trace_model(model, x):
    """Runs `model` on x; returns (output, {module name: its output}) via forward hooks.

    Hooks every submodule but packed-parameter holders; a QFunctional's op is not its forward,
    so its result is caught at its `activation_post_process` (an Identity after convert).
    """
    outputs, handles = {}, []
    for name, mod in model.named_modules():
        if not name or isinstance(mod, nnq.modules.linear.LinearPackedParams):
            continue
        if isinstance(mod, nn.Identity) and not name.endswith(".activation_post_process"):
            continue  # fused-away modules (bn1, relu1, ...) repeat their input

        def hook(_m, _inputs, output, name=name):
            outputs[name] = output
        handles.append(mod.register_forward_hook(hook))
    with torch.no_grad():
        y = model(x)
    for handle in handles:
        handle.remove()
    return y, outputs


def record_quantized_run(bundle, qmodel, data, final_module):
    """Int8 outputs on the test set, per-layer traces; returns (accuracy, traced layer notes)."""
    y, outputs = trace_model(qmodel, data["test_x"])
    last = outputs[final_module]
    if not last.is_quantized:
        raise AssertionError(f"{final_module}: expected a quantized output")
    bundle.add("out.codes", last.int_repr(), f"quint8 codes of {final_module}'s output "
               "(the tensor the DeQuantStub dequantizes) for test_x, one batch of 360")
    bundle.add_scalar_qparams("out.", last.q_scale(), last.q_zero_point(),
                              f"{final_module}'s output")
    if not torch.equal(last.dequantize(), y):
        raise AssertionError("the model output is not the dequantized final tensor")
    bundle.add("out.logits", y, "dequantized float32 logits (the model's return value)")
    traced = {}
    for name, out in outputs.items():
        if isinstance(out, torch.Tensor) and out.is_quantized:
            key = name.removesuffix(".activation_post_process")
            bundle.add(f"trace.{key}", out[:TRACE_SIZE].int_repr(),
                       f"quint8 codes of module <m>'s output (for a QFunctional: its "
                       f"activation_post_process) for the first {TRACE_SIZE} test images",
                       "trace.<m>")
            bundle.add_scalar_qparams(f"trace.{key}.", out.q_scale(), out.q_zero_point(),
                                      "the traced tensor's", "trace.<m>.")
            traced[key] = list(out.shape[1:])
    return accuracy(y, data["test_y"]), traced


def grouped(args_by_name):
    """[{"args": ..., "modules": [names]}] — observers sharing constructor arguments, grouped."""
    groups = []
    for name, args in args_by_name.items():
        for group in groups:
            if group["args"] == args:
                group["modules"].append(name)
                break
        else:
            groups.append({"args": args, "modules": [name]})
    return groups


def observer_args(obs):
    args = {"class": type(obs).__name__, "dtype": str(obs.dtype), "qscheme": str(obs.qscheme),
            "reduce_range": obs.reduce_range, "quant_min": obs.quant_min,
            "quant_max": obs.quant_max, "eps": float(obs.eps)}
    for attr in ("bins", "upsample_rate", "averaging_constant"):
        if hasattr(obs, attr):
            args[attr] = getattr(obs, attr)
    return args


def static_ptq(float_model, fusion, data, tag):
    """fuse_modules, prepare with the qnnpack qconfig, calibrate, convert; returns bundles + info."""
    fused = tq.fuse_modules(copy.deepcopy(float_model).eval(), fusion)
    params = Bundle(f"static_{tag}.safetensors",
                    f"Static PTQ {tag.upper()} after convert: int8 weights and every qparam")
    record = Bundle(f"static_{tag}_record.safetensors",
                    f"Static PTQ {tag.upper()}: observer statistics, int8 outputs and traces")
    fused.qconfig = tq.get_default_qconfig(ENGINE)
    prepared = tq.prepare(fused)
    prepared_modules = module_types(prepared)
    calibration = data["calibration_x"]
    with torch.no_grad():
        for start in range(0, len(calibration), CALIBRATION_BATCH):
            prepared(calibration[start:start + CALIBRATION_BATCH])
    observers = {}
    for name, obs in prepared.named_modules():
        if isinstance(obs, tq.ObserverBase):
            for key, value in obs.state_dict().items():
                record.add(f"observer.{name}.{key}", value,
                           f"HistogramObserver {key} after calibration (its state_dict entry)",
                           f"observer.<observer>.{key}")
            scale, zero_point = obs.calculate_qparams()
            record.add(f"qparams.{name}.scale", scale,
                       "observer.calculate_qparams() scale, dtype and shape as returned",
                       "qparams.<observer>.scale")
            record.add(f"qparams.{name}.zero_point", zero_point,
                       "observer.calculate_qparams() zero point, dtype and shape as returned",
                       "qparams.<observer>.zero_point")
            observers[name] = observer_args(obs)
    weight_observers = record_weight_observers(record, prepared)
    qmodel = tq.convert(prepared)
    modules = record_quantized_modules(params, qmodel)
    check_against_fused(params, record, prepared, weight_observers)
    final = "fc" if tag == "cnn" else "fc3"
    acc, traced = record_quantized_run(record, qmodel, data, final)
    info = {"fusion": fusion, "qconfig": repr(tq.get_default_qconfig(ENGINE)),
            "calibration": f"calibration_x in order, batches of {CALIBRATION_BATCH}",
            "observers": grouped(observers), "weight_observers": grouped(weight_observers),
            "prepared_modules": prepared_modules, "quantized_modules": modules,
            "traced_outputs": traced, "converted_repr": repr(qmodel).splitlines(),
            "accuracy": acc}
    return params, record, info


def record_weight_observers(record, prepared):
    """The weight observer convert() creates (qconfig.weight()) run on each fused float weight."""
    names = {}
    for name, mod in prepared.named_modules():
        if isinstance(mod, (nn.Conv2d, nn.Linear)) and hasattr(mod, "qconfig"):
            owner = name.removesuffix(".0")  # ConvReLU2d / LinearReLU hold the conv at index 0
            obs = mod.qconfig.weight()
            obs(mod.weight)
            for key, value in obs.state_dict().items():
                record.add(f"weight_observer.{owner}.{key}", value,
                           f"MinMaxObserver {key} of module <m>'s fused float weight (convert "
                           "runs qconfig.weight() on it)", f"weight_observer.<m>.{key}")
            names[owner] = observer_args(obs)
    return names


def check_against_fused(params, record, prepared, weight_observers):
    """The packed weights and biases are the fused float ones, quantized with the observer's qparams.

    Checks the recording is self-consistent, so the TS side can trust `<m>.bias` as the fused
    bias and recompute `<m>.weight` from the fused weight and the recorded observer min/max.
    """
    for name, mod in prepared.named_modules():
        owner = name.removesuffix(".0")
        if owner not in weight_observers or not isinstance(mod, (nn.Conv2d, nn.Linear)):
            continue
        obs = tq.get_default_qconfig(ENGINE).weight()
        obs.min_val = record.tensors[f"weight_observer.{owner}.min_val"]
        obs.max_val = record.tensors[f"weight_observer.{owner}.max_val"]
        scale, zero_point = obs.calculate_qparams()
        codes = torch.quantize_per_tensor(mod.weight.detach(), float(scale), int(zero_point),
                                          torch.qint8).int_repr()
        if float(scale) != float(params.tensors[f"{owner}.weight_scale"]) or \
                not torch.equal(codes, params.tensors[f"{owner}.weight"]):
            raise AssertionError(f"{owner}: packed weight is not the fused weight quantized")
        if not torch.equal(mod.bias.detach(), params.tensors[f"{owner}.bias"]):
            raise AssertionError(f"{owner}: packed bias is not the fused bias")


def module_types(model):
    """{module name: PyTorch class} for every submodule (observers and fake-quants included)."""
    return {name: f"{type(mod).__module__}.{type(mod).__name__}"
            for name, mod in model.named_modules() if name}


# ---------------------------------------------------------------------------------------------
# main


def write_bundles(out, bundles, provenance):
    files = {}
    for bundle in bundles:
        path = os.path.join(out, bundle.name)
        size = safetensors_io.write(path, bundle.tensors, {"format": "pt",
                                                           "description": bundle.description})
        tensors, _ = safetensors_io.read(path)
        for key, value in bundle.tensors.items():
            if not torch.equal(tensors[key], value) or tensors[key].dtype != value.dtype:
                raise AssertionError(f"{bundle.name}/{key}: read back differs")
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        files[bundle.name] = {"description": bundle.description, "bytes": size,
                              "sha256": digest, "tensors": len(bundle.tensors),
                              "keys": dict(sorted(bundle.notes.items()))}
        print(f"{os.path.relpath(path)}: {len(bundle.tensors)} tensors, {size} bytes", flush=True)
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(HERE, "..", "..", "golden", "models",
                                                      "digits"), help="output folder")
    parser.add_argument("--check", action="store_true",
                        help="record into a temporary folder and compare with --out instead")
    args = parser.parse_args()
    if args.check:
        with tempfile.TemporaryDirectory() as fresh:
            record(fresh)
            sys.exit(compare(fresh, os.path.abspath(args.out)))
    record(os.path.abspath(args.out))


def compare(fresh, recorded):
    """0 when every file of `fresh` equals the one in `recorded`, else 1 (differences printed)."""
    differ = 0
    for name in sorted(os.listdir(fresh)):
        with open(os.path.join(fresh, name), "rb") as f:
            new = f.read()
        try:
            with open(os.path.join(recorded, name), "rb") as f:
                same = f.read() == new
        except FileNotFoundError:
            same = False
        print(f"{name}: {'identical' if same else 'DIFFERS'}")
        differ |= not same
    print("the recording is reproducible" if not differ else "the recording differs")
    return int(differ)


def record(out):
    """Trains, quantizes and writes every file into `out`."""
    os.makedirs(out, exist_ok=True)

    torch.set_num_threads(1)  # per-thread work splits change float results: one thread only
    torch.use_deterministic_algorithms(True)
    torch.backends.quantized.engine = ENGINE
    data = digits.load_split()

    data_bundle = Bundle("data.safetensors", "The fixed split's calibration and test inputs")
    data_bundle.add("test_x", data["test_x"], "test images, float32 in [0, 1] (pixel / 16), NCHW")
    data_bundle.add("test_y", data["test_y"], "test labels 0..9")
    data_bundle.add("calibration_x", data["calibration_x"],
                    "calibration images (the first 64 training images), float32 NCHW")
    data_bundle.add("calibration_y", data["calibration_y"], "calibration labels")
    data_bundle.add("train_pixels", (data["train_x"] * 16).to(torch.uint8),
                    "training images as raw pixel counts 0..16 (train_x = train_pixels / 16, "
                    "exact), uint8 NCHW, in split order")
    if not torch.equal(data_bundle.tensors["train_pixels"].float() / 16, data["train_x"]):
        raise AssertionError("train_pixels / 16 does not give train_x back")
    data_bundle.add("train_y", data["train_y"], "training labels")
    data_bundle.add("test_index", data["test_index"].to(torch.int32),
                    "rows of load_digits() used as test_x (provenance)")

    cnn = train_float(digits.DigitsCNN, data, *FLOAT_TRAINING["cnn"])
    mlp = train_float(digits.DigitsMLP, data, *FLOAT_TRAINING["mlp"])
    float_cnn = Bundle("float_cnn.safetensors", "DigitsCNN float state_dict after training")
    float_cnn.add_state_dict("", cnn.state_dict(), "PyTorch state_dict entry")
    float_mlp = Bundle("float_mlp.safetensors", "DigitsMLP float state_dict after training")
    float_mlp.add_state_dict("", mlp.state_dict(), "PyTorch state_dict entry")
    float_record = Bundle("float_record.safetensors", "Float models' logits on the test images")
    with torch.no_grad():
        cnn_logits, mlp_logits = cnn(data["test_x"]), mlp(data["test_x"])
    float_record.add("cnn.logits", cnn_logits, "DigitsCNN eval logits, one batch of 360")
    float_record.add("mlp.logits", mlp_logits, "DigitsMLP eval logits, one batch of 360")
    accuracies = {"float_cnn": accuracy(cnn_logits, data["test_y"]),
                  "float_mlp": accuracy(mlp_logits, data["test_y"])}

    # dynamic PTQ of the MLP
    dynamic = tq.quantize_dynamic(copy.deepcopy(mlp), {nn.Linear}, dtype=torch.qint8)
    dynamic_params = Bundle("dynamic_mlp.safetensors",
                            "Dynamic PTQ MLP: int8 weights, weight qparams, float biases")
    dynamic_modules = record_quantized_modules(dynamic_params, dynamic)
    dynamic_record = Bundle("dynamic_mlp_record.safetensors", "Dynamic PTQ MLP outputs")
    y, outputs = trace_model(dynamic, data["test_x"])
    dynamic_record.add("out.logits", y, "float32 logits, all 360 test images in ONE batch "
                       "(dynamic activation qparams are per call, so batching matters)")
    for name in ("fc1", "fc2"):
        dynamic_record.add(f"trace.{name}", outputs[name][:TRACE_SIZE],
                           f"float32 output of {name} (before ReLU) in the 360 batch, first "
                           f"{TRACE_SIZE} rows")
    accuracies["dynamic_mlp"] = accuracy(y, data["test_y"])
    dynamic_info = {"call": "torch.ao.quantization.quantize_dynamic(mlp, {nn.Linear}, "
                            "dtype=torch.qint8)",
                    "qconfig": repr(tq.default_dynamic_qconfig),
                    "linear_dynamic_reduce_range": True,
                    "quantized_modules": dynamic_modules,
                    "converted_repr": repr(dynamic).splitlines()}

    static_cnn, static_cnn_record, static_cnn_info = static_ptq(cnn, digits.CNN_FUSION, data, "cnn")
    static_mlp, static_mlp_record, static_mlp_info = static_ptq(mlp, digits.MLP_FUSION, data, "mlp")
    accuracies["static_cnn"] = static_cnn_info.pop("accuracy")
    accuracies["static_mlp"] = static_mlp_info.pop("accuracy")

    # QAT of the CNN
    qat, qat_prepared_modules = train_qat(cnn, data)
    qat_trained = Bundle("qat_cnn_trained.safetensors",
                         "QAT DigitsCNN state_dict after training (eval mode, before convert)")
    qat_trained.add_state_dict("", qat.state_dict(), "PyTorch state_dict entry")
    with torch.no_grad():
        qat_logits = qat(data["test_x"])
    qat_record = Bundle("qat_cnn_record.safetensors", "QAT DigitsCNN after convert: outputs")
    qat_record.add("fake_quant.logits", qat_logits,
                   "eval-mode fake-quant QAT model logits (float), one batch of 360")
    accuracies["qat_fake_quant_cnn"] = accuracy(qat_logits, data["test_y"])
    qat_fake_quants = {name: {"class": type(m).__name__,
                              "observer": observer_args(m.activation_post_process)}
                       for name, m in qat.named_modules() if isinstance(m, tq.FakeQuantizeBase)}
    qconverted = tq.convert(qat)
    qat_params = Bundle("qat_cnn.safetensors",
                        "QAT DigitsCNN after convert: int8 weights and every qparam")
    qat_modules = record_quantized_modules(qat_params, qconverted)
    accuracies["qat_cnn"], qat_traced = record_quantized_run(qat_record, qconverted, data, "fc")
    qat_info = {
        "fusion": digits.CNN_FUSION, "fuse": "torch.ao.quantization.fuse_modules_qat (train mode)",
        "qconfig": repr(tq.get_default_qat_qconfig(ENGINE)),
        "fake_quants": grouped(qat_fake_quants),
        "training": {"optimizer": "SGD", "lr": QAT_LR, "momentum": QAT_MOMENTUM,
                     "epochs": QAT_EPOCHS, "batch": BATCH, "seed": QAT_SEED,
                     "freeze_bn_stats_from_epoch": QAT_FREEZE_BN,
                     "disable_observer_from_epoch": QAT_FREEZE_OBSERVER,
                     "shuffle": "torch.randperm(n, generator=torch.Generator().manual_seed(seed))"
                                " each epoch"},
        "quantized_modules": qat_modules, "traced_outputs": qat_traced,
        "prepared_modules": qat_prepared_modules,
        "converted_repr": repr(qconverted).splitlines(),
    }

    provenance = {
        "torch": torch.__version__, "engine": ENGINE,
        "supported_engines": list(torch.backends.quantized.supported_engines),
        "numpy": np.__version__, "sklearn": sklearn.__version__,
        "python": platform.python_version(),
        "machine": f"{platform.machine()} ({cpu_name()})", "threads": torch.get_num_threads(),
        "generator": "scripts/models/train_and_record.py (models: scripts/models/digits.py)",
    }
    bundles = [data_bundle, float_cnn, float_mlp, float_record, dynamic_params, dynamic_record,
               static_cnn, static_cnn_record, static_mlp, static_mlp_record, qat_trained,
               qat_params, qat_record]
    files = write_bundles(out, bundles, provenance)
    manifest = {
        "format": "digits-models/1",
        "source": provenance,
        "data": {"dataset": "sklearn.datasets.load_digits (1797 images 8x8, pixels 0..16)",
                 "split_seed": digits.SPLIT_SEED,
                 "split": "numpy.random.RandomState(split_seed).permutation(1797): first 360 "
                          "test, rest train; calibration = first 64 train",
                 "test": digits.TEST_SIZE, "train": 1797 - digits.TEST_SIZE,
                 "calibration": digits.CALIBRATION_SIZE},
        "float_training": {tag: {"seed": s, "epochs": e, "lr": lr, "optimizer": "Adam",
                                 "batch": BATCH, "loss": "CrossEntropyLoss"}
                           for tag, (s, e, lr) in FLOAT_TRAINING.items()},
        "float_repr": {"cnn": repr(cnn).splitlines(), "mlp": repr(mlp).splitlines()},
        "accuracy": accuracies,
        "dynamic_mlp": dynamic_info,
        "static_cnn": static_cnn_info,
        "static_mlp": static_mlp_info,
        "qat_cnn": qat_info,
        "files": files,
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    total = sum(info["bytes"] for info in files.values())
    print(f"accuracy: {json.dumps(accuracies)}")
    print(f"total {total} bytes in {len(files)} safetensors files")


if __name__ == "__main__":
    main()
