"""Command-line access to nrtest's model builders: KIND OUT.onnx"""
import sys
from nrtest import mlp_onnx

kind, out = sys.argv[1], sys.argv[2]
if kind == "mlp":
    mlp_onnx(out, [4, 8, 3], ["Tanh"], name="mlp")
else:
    sys.exit("unknown kind " + kind)
