"""Writes small .npy data sets for driver tests: KIND OUTDIR."""
import sys
import numpy as np

kind, out = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(0)
x = rng.standard_normal((32, 4)).astype(np.float32)
y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0).astype(np.int64)
if kind == "good":
    np.save(out + "/x.npy", x)
    np.save(out + "/y.npy", y)
elif kind == "nan":
    x[3, 2] = np.nan
    np.save(out + "/x.npy", x)
    np.save(out + "/y.npy", y)
elif kind == "mismatch":
    np.save(out + "/x.npy", x)
    np.save(out + "/y.npy", y[:20])
elif kind == "wrong-width":
    np.save(out + "/x.npy", rng.standard_normal((5, 7)).astype(np.float32))
elif kind == "binary":
    # Two separable classes for Inputs/binary.nn: features [4000, 2], labels
    # [4000, 1], and a held-out set.
    for name, n in (("", 4000), ("test-", 1000)):
        f = rng.uniform(-1, 1, (n, 2)).astype(np.float32)
        f[:, 0] += np.where(f[:, 0] > 0, 0.5, -0.5).astype(np.float32)
        np.save(out + "/" + name + "x.npy", f)
        np.save(out + "/" + name + "y.npy",
                (f[:, :1] > 0).astype(np.float32))
elif kind == "bad-params":
    np.savez(out + "/p.npz", **{"dense0.weight": np.zeros((5, 8), np.float32)})
