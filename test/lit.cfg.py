# -*- Python -*-
# lit configuration for Neurona's regression tests.

import os
import shutil

import lit.formats
from lit.llvm import llvm_config

config.name = "Neurona"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".nn", ".test", ".py"]
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py", "CMakeLists.txt"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.neurona_obj_root, "test")

llvm_config.with_system_environment(["HOME", "TMPDIR", "PATH"])
llvm_config.use_default_substitutions()

tools_dir = os.path.join(config.neurona_obj_root, "bin")
config.substitutions.append(("%neurona-opt", os.path.join(tools_dir, "neurona-opt")))
config.substitutions.append(("%neurona", os.path.join(tools_dir, "neurona")))
# lit's defaults bind %python to the interpreter running lit; tests need the
# virtual environment's, which has onnx, onnxruntime and torch.
config.substitutions = [s for s in config.substitutions if s[0] != "%python"]
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%shared", config.shared_dir))
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", tools_dir, append_path=True)
llvm_config.with_environment("NEURONA_BIN", tools_dir)

# Features tests can REQUIRE.
if os.path.isdir(config.shared_dir):
    config.available_features.add("shared-data")
else:
    lit_config.note("../shared not found at %s: tests that need the shared "
                    "data sets are UNSUPPORTED" % config.shared_dir)
if os.path.isdir("/usr/share/datasets/fashion-mnist"):
    config.available_features.add("fashion-mnist")
else:
    lit_config.note("Debian's dataset-fashion-mnist is not installed: tests "
                    "that train on Fashion-MNIST are UNSUPPORTED")
if shutil.which("cc"):
    config.available_features.add("cc")
# The CUDA toolkit (where it is installed): ptxas checks that every model's
# PTX assembles for sm_90, and its stub libcuda stands in for a driver.
cuda_root = os.environ.get("CUDA_ROOT", "/usr/local/cuda")
ptxas = shutil.which("ptxas") or os.path.join(cuda_root, "bin", "ptxas")
if os.access(ptxas, os.X_OK):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
cuda_stub = os.path.join(cuda_root, "lib64", "stubs", "libcuda.so")
if os.path.exists(cuda_stub):
    config.available_features.add("cuda-stub")
    config.substitutions.append(("%cuda-stub", cuda_stub))
