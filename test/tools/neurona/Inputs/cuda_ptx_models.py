"""Compiles every model in models/ for CUDA, inference and training, and
assembles each PTX module with ptxas for sm_90.

usage: cuda_ptx_models.py NEURONA PTXAS MODELS_DIR WORK_DIR
Prints one line per model and mode; exits 1 if any compile or assembly fails.
"""
import pathlib
import subprocess
import sys

neurona, ptxas, models, work = sys.argv[1:5]
work = pathlib.Path(work)
failed = 0
for model in sorted(pathlib.Path(models).glob("*.nn")):
    for mode, flags in (("inference", []), ("training", ["--training"])):
        ptx = work / f"{model.stem}.{mode}.ptx"
        steps = [
            [neurona, "compile", str(model), *flags, "--target=cuda",
             "--emit=ptx", "-o", str(ptx)],
            [ptxas, "-arch=sm_90", str(ptx), "-o", str(ptx) + ".cubin"],
        ]
        for step in steps:
            done = subprocess.run(step, capture_output=True, text=True)
            if done.returncode:
                failed += 1
                print(f"{model.stem} {mode}: FAILED: {' '.join(step)}\n"
                      f"{done.stderr[-2000:]}")
                break
        else:
            kernels = ptx.read_text().count(".entry ")
            print(f"{model.stem} {mode}: {kernels} kernels assembled")
sys.exit(1 if failed else 0)
