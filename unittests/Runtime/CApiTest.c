/*===-- CApiTest.c - The runtime C API used from C89 --------------*- C -*-===*\
|*                                                                            *|
|* Part of the Neurona project.                                               *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* Compiled as C89 with -pedantic, this keeps neurona-c/runtime.h usable from *|
|* C, and runs the linear test fixture (argv[1]) through the API.             *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "neurona-c/runtime.h"

#include <stdio.h>

static int failures = 0;

static void check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "FAILED: %s (%s)\n", what, nr_last_error());
    ++failures;
  }
}

int main(int argc, char **argv) {
  nr_model *model = NULL;
  float w[6] = {1, 2, 3, 4, 5, 6}, b[2] = {0.5f, -0.5f};
  float x[3] = {1, 1, 1}, y[2] = {0, 0};
  nr_tensor tw, tb, in, out;
  const char *name = NULL;
  if (argc != 2) {
    fprintf(stderr, "usage: %s MODEL.so\n", argv[0]);
    return 2;
  }
  check(nr_model_open(argv[1], &model) == NR_OK, "nr_model_open");
  if (!model)
    return 1;
  check(nr_model_name(model, &name) == NR_OK, "nr_model_name");

  tw.dtype = NR_F32;
  tw.rank = 2;
  tw.shape[0] = 3;
  tw.shape[1] = 2;
  tw.data = w;
  tb.dtype = NR_F32;
  tb.rank = 1;
  tb.shape[0] = 2;
  tb.data = b;
  check(nr_model_set_param(model, "dense.weight", &tw) == NR_OK, "set weight");
  check(nr_model_set_param(model, "dense.bias", &tb) == NR_OK, "set bias");

  in.dtype = NR_F32;
  in.rank = 2;
  in.shape[0] = 1;
  in.shape[1] = 3;
  in.data = x;
  out = in;
  out.shape[1] = 2;
  out.data = y;
  check(nr_model_forward(model, &in, 1, &out, 1) == NR_OK, "nr_model_forward");
  check(y[0] == 9.5f && y[1] == 11.5f, "forward values");
  out.shape[1] = 3;
  check(nr_model_forward(model, &in, 1, &out, 1) == NR_ERROR_INVALID_ARGUMENT,
        "shape error");
  nr_model_close(model);
  printf("%d passed, %d failed\n", 7 - failures, failures);
  return failures ? 1 : 0;
}
