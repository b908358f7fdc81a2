/*===-- neurona-c/runtime.h - Neurona runtime C API ---------------*- C -*-===*\
|*                                                                            *|
|* Part of the Neurona project.                                               *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* The C API of the Neurona runtime: it loads a compiled model (a shared      *|
|* library, or the running executable), owns the model's parameter and        *|
|* optimizer-state buffers, runs the model's entries and saves / loads        *|
|* parameters. It depends on no compiler library; the ABI of compiled models  *|
|* and the manifest format are fixed in docs/design.md.                       *|
|*                                                                            *|
|* Conventions, for every function below unless its comment says otherwise:  *|
|*  - the return value is an nr_status; NR_OK means success, and on any other *|
|*    value nr_last_error() describes what went wrong and no out_ parameter   *|
|*    has been written;                                                       *|
|*  - pointers passed in stay owned by the caller and are not retained past   *|
|*    the call;                                                               *|
|*  - strings handed out (names, config values) are owned by the model and    *|
|*    stay valid until nr_model_close;                                        *|
|*  - one nr_model handle must not be used from several threads at once      *|
|*    (calls on it are not synchronised); distinct handles, even of the same  *|
|*    library, are independent and may be used concurrently from different   *|
|*    threads. Functions taking no handle are thread-safe.                    *|
|*                                                                            *|
|* The header is valid C89 with <stdint.h>, C99 and C++.                      *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef NEURONA_C_RUNTIME_H
#define NEURONA_C_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Largest tensor rank the runtime handles. */
#define NR_MAX_RANK 8

/** Result of every runtime call. */
typedef enum nr_status {
  NR_OK = 0,
  /** A null pointer, unknown name, wrong count, dtype or shape. */
  NR_ERROR_INVALID_ARGUMENT = 1,
  /** A file could not be opened, read, written or renamed. */
  NR_ERROR_IO = 2,
  /** A file or manifest is malformed, or not a Neurona artifact. */
  NR_ERROR_FORMAT = 3,
  /** A symbol, entry, parameter or config key does not exist. */
  NR_ERROR_NOT_FOUND = 4,
  /** A loss came out NaN or infinite. */
  NR_ERROR_NUMERIC = 5,
  /** An allocation failed. */
  NR_ERROR_OUT_OF_MEMORY = 6,
  /** A bug in the runtime; the message says where. */
  NR_ERROR_INTERNAL = 7
} nr_status;

/** Element types, each numpy's type of the same name (NR_U16 is numpy's
 *  uint16, '<u2'). NR_BOOL is one byte per element holding 0 or 1 (numpy's
 *  bool, '|b1'). NR_F16 is IEEE binary16 (numpy's float16, '<f2') and
 *  NR_BF16 bfloat16 (ml_dtypes' bfloat16, which numpy saves as '<V2'), each
 *  held as its 16-bit pattern (uint16_t in C). */
typedef enum nr_dtype {
  NR_F32 = 0,
  NR_F64 = 1,
  NR_I32 = 2,
  NR_I64 = 3,
  NR_U8 = 4,
  NR_BOOL = 5,
  NR_I8 = 6,
  NR_I16 = 7,
  NR_U16 = 8,
  NR_U32 = 9,
  NR_U64 = 10,
  NR_F16 = 11,
  NR_BF16 = 12
} nr_dtype;

/** Role of an entry argument, as spelled in the manifest's `arg` lines. The
 *  first five are inputs of the compiled function, the rest are results that
 *  it writes into caller-allocated memory. */
typedef enum nr_arg_role {
  NR_ROLE_INPUT = 0,     /* "input": supplied to nr_model_run */
  NR_ROLE_TARGET = 1,    /* "target": supplied to nr_model_run */
  NR_ROLE_HYPER = 2,     /* "hyper": supplied to nr_model_run (lr, rng) */
  NR_ROLE_PARAM = 3,     /* "param": bound by the runtime */
  NR_ROLE_STATE = 4,     /* "state": bound by the runtime */
  NR_ROLE_OUTPUT = 5,    /* "output": returned by nr_model_run */
  NR_ROLE_LOSS = 6,      /* "loss": returned by nr_model_run */
  NR_ROLE_GRAD = 7,      /* "grad": returned by nr_model_run */
  NR_ROLE_PARAM_OUT = 8, /* "param_out": kept by the runtime */
  NR_ROLE_STATE_OUT = 9  /* "state_out": kept by the runtime */
} nr_arg_role;

/** Parameter initializer, from the manifest's `param` lines. */
typedef enum nr_init {
  NR_INIT_ZEROS = 0,
  NR_INIT_ONES = 1,
  NR_INIT_GLOROT_UNIFORM = 2,
  NR_INIT_HE_UNIFORM = 3,
  /** Values come from the embedded blob or a parameter file. */
  NR_INIT_DATA = 4,
  /** U(-0.05, 0.05): Keras's default for embedding tables. */
  NR_INIT_SMALL_UNIFORM = 5,
  /** A matrix [rows, cols] with orthonormal columns (rows >= cols) or rows
   *  (Gram-Schmidt of a standard normal draw; Keras's recurrent kernels). */
  NR_INIT_ORTHOGONAL = 6,
  /** An LSTM bias [8H] in ONNX order (Wb: i, o, f, c, then Rb): 1 on Wb's
   *  forget-gate block, 0 elsewhere (Keras's unit_forget_bias). */
  NR_INIT_LSTM_BIAS = 7
} nr_init;

/** A dense, row-major (C order) tensor. The data is owned by whoever filled
 *  the struct in: the caller for inputs and outputs, the model for views
 *  returned by nr_model_get_param / nr_model_get_state. `data` must be
 *  aligned to the element size. */
typedef struct nr_tensor {
  nr_dtype dtype;
  int32_t rank;
  int64_t shape[NR_MAX_RANK];
  void *data;
} nr_tensor;

/** Description of one entry argument. `shape[0]` is -1 for the dynamic batch
 *  dimension (`?` in the manifest). `name` is owned by the model. */
typedef struct nr_arg_info {
  nr_arg_role role;
  const char *name;
  nr_dtype dtype;
  int32_t rank;
  int64_t shape[NR_MAX_RANK];
} nr_arg_info;

/** Description of one parameter or optimizer-state buffer. State buffers
 *  report init NR_INIT_ZEROS. `name` is owned by the model. */
typedef struct nr_param_info {
  const char *name;
  nr_dtype dtype;
  int32_t rank;
  int64_t shape[NR_MAX_RANK];
  nr_init init;
} nr_param_info;

/** An opened model: the loaded code plus its parameter and state buffers. */
typedef struct nr_model nr_model;

/*===------------------------------------------------------------------===*
 * Errors and small helpers (no handle; thread-safe; they return values
 * directly rather than an nr_status).
 *===------------------------------------------------------------------===*/

/** Message describing the most recent failed call on the calling thread
 *  (which file, which argument, what was expected). Successful calls leave it
 *  unchanged. The string is owned by the runtime and valid until the next
 *  failing call on the same thread; never NULL. */
const char *nr_last_error(void);

/** Fixed name of a status code, e.g. "NR_ERROR_IO". Static storage. */
const char *nr_status_string(nr_status status);

/** Manifest spelling of a dtype ("f32", "f64", "f16", "bf16", "i8", "i16",
 *  "i32", "i64", "u8", "u16", "u32", "u64", "bool"), or "?"
 *  for an invalid value. Static storage. */
const char *nr_dtype_name(nr_dtype dtype);

/** Size of one element in bytes, or 0 for an invalid dtype. */
size_t nr_dtype_size(nr_dtype dtype);

/** Manifest spelling of a role ("input", ..., "state_out"), or "?". */
const char *nr_arg_role_name(nr_arg_role role);

/*===------------------------------------------------------------------===*
 * Opening and closing
 *===------------------------------------------------------------------===*/

/** Loads the compiled model at `path` (a shared library; a path without a
 *  slash that names a file in the working directory is opened as "./path"):
 *  finds `neurona_model_prefix`, then `<P>_manifest`, `<P>_params`,
 *  `<P>_params_size` and one `<P>_<entry>` per manifest entry, parses and
 *  checks the manifest, and allocates the parameters. Parameters come from the
 *  embedded blob when `<P>_params_size` is non-zero, otherwise from their
 *  initializers with seed 0 (see nr_model_init_params); `data` parameters
 *  without a blob stay unset until nr_model_set_param / nr_model_load_params,
 *  and running an entry that reads them fails. Optimizer state starts at
 *  zero. On success the caller owns *out_model and releases it with
 *  nr_model_close. Thread-safe. */
nr_status nr_model_open(const char *path, nr_model **out_model);

/** Like nr_model_open, for the model linked into the running executable
 *  (dlopen(NULL); the executable must be linked with -rdynamic so that its
 *  model symbols are visible). Thread-safe. */
nr_status nr_model_open_self(nr_model **out_model);

/** Frees all buffers of `model` and unloads its library (the library stays
 *  loaded while other handles use it). Views and strings obtained from the
 *  model become invalid. NULL is accepted and ignored. */
nr_status nr_model_close(nr_model *model);

/** Re-initialises every parameter from its initializer with a deterministic
 *  generator seeded by `seed`, and zeroes all optimizer state.
 *
 *  Each parameter draws from its own stream, seeded from `seed` and the
 *  parameter's name, so a value does not depend on the other parameters.
 *  Values are U(-a, a) with a = sqrt(6 / (fan_in + fan_out)) for
 *  glorot_uniform and a = sqrt(6 / fan_in) for he_uniform, where for shape
 *    []            fan_in = fan_out = 1,
 *    [n]           fan_in = fan_out = n,
 *    [in, out]     fan_in = in, fan_out = out (dense weights are [in, out]),
 *    [o, i, k...]  fan_in = i * prod(k), fan_out = o * prod(k) (PyTorch and
 *                  ONNX convolution weights, OIHW).
 *  `data` parameters are reset to the embedded blob's values when the model
 *  has one, and are left unchanged otherwise.
 *
 *  It also seeds the model's random numbers as nr_model_set_seed(model,
 *  seed) does. */
nr_status nr_model_init_params(nr_model *model, uint64_t seed);

/** Sets the seed of the random numbers that dropout, Gaussian noise and the
 *  other random ops draw in training (docs/design.md, "Randomness"), and
 *  resets the model's step counter to 0. nr_model_train_step and
 *  nr_model_gradients pass (seed, step) as the entry's `rng` hyper argument;
 *  each successful nr_model_train_step then adds 1 to the step, so every step
 *  draws new numbers and one seed gives the same training run, bit for bit,
 *  whatever the thread count. A model opens with seed 0 and step 0. Models
 *  without random ops ignore both. */
nr_status nr_model_set_seed(nr_model *model, uint64_t seed);

/** The seed and the step (successful train steps since the seed was set)
 *  that the next nr_model_train_step or nr_model_gradients will pass as
 *  `rng`. */
nr_status nr_model_get_rng(const nr_model *model, uint64_t *out_seed,
                           uint64_t *out_step);

/*===------------------------------------------------------------------===*
 * Introspection (all strings owned by the model)
 *===------------------------------------------------------------------===*/

/** The model's prefix `P`, as written by the `model` manifest line. */
nr_status nr_model_name(const nr_model *model, const char **out_name);

/** Number of entries (functions) the model exports. */
nr_status nr_model_num_entries(const nr_model *model, size_t *out_count);

/** Name of entry `index` (manifest order). */
nr_status nr_model_entry_name(const nr_model *model, size_t index,
                              const char **out_name);

/** Sets *out_has to 1 if the model has entry `name`, else 0. */
nr_status nr_model_has_entry(const nr_model *model, const char *name,
                             int *out_has);

/** Number of arguments of entry `entry`, all roles together. */
nr_status nr_model_num_args(const nr_model *model, const char *entry,
                            size_t *out_count);

/** Argument `index` of entry `entry`, in manifest (= ABI) order. */
nr_status nr_model_arg_info(const nr_model *model, const char *entry,
                            size_t index, nr_arg_info *out_info);

/** Number of parameters. */
nr_status nr_model_num_params(const nr_model *model, size_t *out_count);

/** Parameter `index` in manifest order. */
nr_status nr_model_param_info(const nr_model *model, size_t index,
                              nr_param_info *out_info);

/** Number of optimizer-state buffers. */
nr_status nr_model_num_states(const nr_model *model, size_t *out_count);

/** State buffer `index` in manifest order. */
nr_status nr_model_state_info(const nr_model *model, size_t index,
                              nr_param_info *out_info);

/** Value of `key` on the manifest's `train` line (e.g. "loss", "lr",
 *  "optimizer"); the first one when the key repeats (use
 *  nr_model_train_config_at to see all); NR_ERROR_NOT_FOUND when the key is
 *  absent. */
nr_status nr_model_train_config(const nr_model *model, const char *key,
                                const char **out_value);

/** Number of key=value pairs on the `train` line (0 when there is none). */
nr_status nr_model_num_train_config(const nr_model *model, size_t *out_count);

/** Pair `index` of the `train` line, in manifest order. */
nr_status nr_model_train_config_at(const nr_model *model, size_t index,
                                   const char **out_key,
                                   const char **out_value);

/*===------------------------------------------------------------------===*
 * Running entries
 *===------------------------------------------------------------------===*/

/** Runs entry `entry`.
 *
 *  `inputs` are the entry's arguments with roles input, target and hyper, in
 *  manifest order; the runtime binds param and state arguments from its own
 *  buffers. `outputs` are the results with roles output, loss and grad, in
 *  manifest order, allocated by the caller. Every tensor must have the
 *  manifest's dtype and rank; a dynamic dimension (-1 in nr_arg_info) takes
 *  the batch size, which all inputs must agree on (>= 1), and every other
 *  dimension must match exactly. Outputs must not overlap inputs. Integer
 *  (i32, i64) target arguments are class labels: each must lie in [0, C),
 *  where C is the last dimension of the first output of entry "forward";
 *  another returns NR_ERROR_INVALID_ARGUMENT.
 *
 *  param_out and state_out results are written into the runtime's second
 *  buffer set, which becomes current after the call (double buffering), so
 *  views from nr_model_get_param / nr_model_get_state taken before the call
 *  are invalid afterwards when the entry updates parameters.
 *
 *  If the entry has a loss result and a loss value is NaN or infinite, the
 *  call returns NR_ERROR_NUMERIC, the outputs hold what the model computed,
 *  and parameters and state keep their previous values. */
nr_status nr_model_run(nr_model *model, const char *entry,
                       const nr_tensor *inputs, size_t n_inputs,
                       nr_tensor *outputs, size_t n_outputs);

/** nr_model_run on entry "forward". */
nr_status nr_model_forward(nr_model *model, const nr_tensor *inputs,
                           size_t n_inputs, nr_tensor *outputs,
                           size_t n_outputs);

/** One optimisation step through entry "train_step": `inputs` are its input
 *  arguments, `targets` its target arguments. The runtime fills its hyper
 *  arguments by name: `lr` receives `learning_rate` (converted to that
 *  argument's dtype), and `rng`, which models with random ops have (i64 [2]),
 *  receives the model's seed and step (nr_model_set_seed); a name may carry a
 *  "_<n>" suffix where the model used it already. An entry with any other
 *  hyper argument is refused (use nr_model_run). The mean loss of the batch
 *  is stored in *out_loss. `out_outputs` receives the entry's output results
 *  (the predictions, computed with the parameters before the update); pass
 *  NULL and 0 to let the runtime discard them. A successful step adds 1 to
 *  the model's step counter. A NaN or infinite loss returns NR_ERROR_NUMERIC,
 *  still stores it in *out_loss, and leaves the parameters and the step
 *  unchanged. */
nr_status nr_model_train_step(nr_model *model, const nr_tensor *inputs,
                              size_t n_inputs, const nr_tensor *targets,
                              size_t n_targets, double learning_rate,
                              double *out_loss, nr_tensor *out_outputs,
                              size_t n_outputs);

/** nr_model_train_step through entry `entry`, for models with several
 *  training entries (a GAN's "d_train_step" and "g_train_step", each
 *  updating one network's parameters). Parameters that several entries
 *  read are one buffer: an update by one entry is what the next entry of
 *  any kind reads. Entries without target arguments take n_targets = 0;
 *  entries without output results take NULL and 0 for out_outputs. */
nr_status nr_model_train_step_entry(nr_model *model, const char *entry,
                                    const nr_tensor *inputs, size_t n_inputs,
                                    const nr_tensor *targets, size_t n_targets,
                                    double learning_rate, double *out_loss,
                                    nr_tensor *out_outputs, size_t n_outputs);

/** Loss and parameter gradients through entry "gradients". `out_grads` are
 *  the entry's grad results in manifest order (caller-allocated). Its `rng`
 *  hyper argument, if any, receives the model's seed and step as in
 *  nr_model_train_step, so the gradients are those of the random numbers the
 *  next train step will draw; the step is not advanced. A NaN or infinite
 *  loss returns NR_ERROR_NUMERIC (the loss and gradients are still
 *  written). */
nr_status nr_model_gradients(nr_model *model, const nr_tensor *inputs,
                             size_t n_inputs, const nr_tensor *targets,
                             size_t n_targets, double *out_loss,
                             nr_tensor *out_grads, size_t n_grads);

/*===------------------------------------------------------------------===*
 * Parameters
 *===------------------------------------------------------------------===*/

/** Fills *out_view with a view of parameter `name`'s current values. The
 *  memory is owned by the model and valid until the next call that updates
 *  parameters (nr_model_run of an entry with param_out results, such as
 *  train_step) or nr_model_close. Writing through it changes the parameter. */
nr_status nr_model_get_param(nr_model *model, const char *name,
                             nr_tensor *out_view);

/** Copies `value` into parameter `name`; dtype and shape must match
 *  exactly. */
nr_status nr_model_set_param(nr_model *model, const char *name,
                             const nr_tensor *value);

/** Like nr_model_get_param, for optimizer-state buffer `name`. */
nr_status nr_model_get_state(nr_model *model, const char *name,
                             nr_tensor *out_view);

/** Like nr_model_set_param, for optimizer-state buffer `name` (e.g. Adam's
 *  moments `<param>.adam_m`, `<param>.adam_v` and its step count
 *  `adam.step`), so that a checkpoint restores training exactly. */
nr_status nr_model_set_state(nr_model *model, const char *name,
                             const nr_tensor *value);

/** The model's global step: the number of successful runs of an entry that
 *  updates parameters (train_step, through nr_model_train_step or
 *  nr_model_run) since nr_model_open or nr_model_init_params, which reset it
 *  to 0, or since nr_model_set_step. A run that fails (NR_ERROR_NUMERIC
 *  included) does not count. Trainers and per-step hyperparameters (learning
 *  -rate schedules, random streams) read this one counter. */
nr_status nr_model_get_step(const nr_model *model, uint64_t *out_step);

/** Sets the global step, e.g. to a checkpoint's when resuming. */
nr_status nr_model_set_step(nr_model *model, uint64_t step);

/** Writes all parameters to `path` as a NumPy .npz archive (uncompressed
 *  zip, one `<name>.npy` per parameter, readable by numpy.load). The file is
 *  replaced atomically: written to a temporary file in the same directory,
 *  flushed to disk, then renamed over `path`. */
nr_status nr_model_save_params(nr_model *model, const char *path);

/** Reads parameters from a .npz archive (stored or deflated members). Every
 *  parameter must be present with its exact dtype and shape and the archive
 *  must hold nothing else, unless it is a training checkpoint (it has a
 *  `trainer:epoch` array; `neurona train --checkpoint`), whose optimizer
 *  state and trainer entries are ignored; nothing is changed unless all
 *  checks pass. */
nr_status nr_model_load_params(nr_model *model, const char *path);

/** Computes the embedded-blob layout of a list of parameters (docs/design.md:
 *  raw data in order, each start 64-byte aligned, no padding after the last):
 *  out_offsets[i] (may be NULL) receives each start, *out_total the size. */
nr_status nr_params_blob_layout(const uint64_t *param_nbytes, size_t n_params,
                                uint64_t *out_offsets, uint64_t *out_total);

/** Serialises the current parameters in the embedded-blob layout into
 *  `buffer` of `buffer_size` bytes (padding is zero), and stores the blob
 *  size in *out_size. With buffer NULL only the size is computed. */
nr_status nr_model_params_blob(const nr_model *model, void *buffer,
                               uint64_t buffer_size, uint64_t *out_size);

/** Writes the embedded-blob serialisation of the current parameters to
 *  `path` (atomically, like nr_model_save_params), so that the compiler can
 *  embed trained weights into an artifact. */
nr_status nr_model_write_params_blob(const nr_model *model, const char *path);

/*===------------------------------------------------------------------===*
 * Raw text
 *
 * A model trained on text (a `.nn` data section with `text = ...`) declares
 * how raw text becomes each of its text inputs: Keras's punctuation filter,
 * lowercasing, splitting on spaces, an optional Snowball stemmer, then the
 * ids of the training vocabulary (0 padding, 1 unknown words) as a bag of
 * words (f32 [vocab]), the first `length` ids padded at the end (i64
 * [length]), the last `length` ids padded at the start (a next-word
 * window), or the id of `<start>` and then the first `length` - 1 ids (a
 * translation model's decoder input, teacher-forced). The vocabularies
 * come with the model when it was compiled with its trained parameters
 * (`neurona compile --params`), and from any parameter file `neurona train`
 * wrote (nr_model_load_params).
 *===------------------------------------------------------------------===*/

/** Number of inputs that take raw text (0 for models not trained on text). */
nr_status nr_model_num_text_inputs(const nr_model *model, size_t *out_count);

/** Name of text input `index` and the number of elements one text becomes
 *  (the input's row); *out_has_vocabulary is 1 when the model knows the
 *  vocabulary to encode it with, else 0. Any out pointer may be NULL. */
nr_status nr_model_text_input(const nr_model *model, size_t index,
                              const char **out_name, int64_t *out_width,
                              int *out_has_vocabulary);

/** Sets the vocabulary of text input `input`: `count` distinct words in id
 *  order from 2, without whitespace, at most the input's vocabulary size
 *  minus 2 (NR_ERROR_INVALID_ARGUMENT otherwise). nr_model_save_params
 *  writes it beside the parameters. */
nr_status nr_model_set_vocabulary(nr_model *model, const char *input,
                                  const char *const *words, size_t count);

/** Encodes `count` UTF-8 texts for text input `input` as the model's
 *  training data was encoded, into `out`: count rows of the input's width,
 *  f32 for a bag of words, i64 ids otherwise, in `out_size` bytes at least.
 *  NR_ERROR_NOT_FOUND when the model has no such text input,
 *  NR_ERROR_INVALID_ARGUMENT when it has no vocabulary for it or `out` is
 *  too small. Thread-safe for distinct `out` buffers. */
nr_status nr_model_encode_text(const nr_model *model, const char *input,
                               const char *const *texts, size_t count,
                               void *out, size_t out_size);

/** Greedy decoding of a model trained on translation pairs (a data section
 *  with `text = translation(...)`): its `forward` takes a source text input
 *  (form `sequence`) and a decoder input (form `decoder`: `<start>` and the
 *  target words so far) and returns f32 [N, decoder length, V] scores of the
 *  next target word. Each of the `count` UTF-8 texts is encoded for the
 *  source input; the decoder starts from `<start>` and at each position takes
 *  the arg max of that position's scores (the first on ties), feeds it back,
 *  and stops at `<end>` (or padding) or after the decoder's length. One run
 *  of `forward` per position decodes the whole batch.
 *
 *  Writes the translations into `out`: the target words of each text
 *  separated by single spaces (ids without a word as `<unk>`), the
 *  translations separated by '\n', then a NUL. *out_needed (when not NULL)
 *  receives the bytes that takes, NUL included; when `out_size` is smaller
 *  the call returns NR_ERROR_INVALID_ARGUMENT having written nothing. With
 *  `out` NULL the call writes nothing and returns NR_OK: with `count` 0 it
 *  only checks that the model can translate, else it reports the size
 *  (decoding is deterministic). NR_ERROR_INVALID_ARGUMENT when the model is
 *  not a translation model, lacks a vocabulary, or is a CUDA artifact. */
nr_status nr_model_translate(nr_model *model, const char *const *texts,
                             size_t count, char *out, size_t out_size,
                             size_t *out_needed);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* NEURONA_C_RUNTIME_H */
