// Checkpoint files: what trainers save to continue bit-exactly, in a file
// that cannot lie.
//
// A checkpoint is a LibTorch archive (a zip of named records) wrapped in a
// small header: a magic string, a format version, the archive's length and
// its CRC-32. Writing builds the whole file in memory and replaces the old
// one atomically (write_file_atomically), so a full disk or a crash leaves
// the previous checkpoint and no temporary file. Reading checks the length
// and the CRC before LibTorch parses anything: a truncated or corrupted file
// is refused with a message naming it. Files written before checkpoints had
// a header (a bare zip archive) are still read, unverified, with a warning.
//
// Every checkpoint also records what its numbers depend on besides the seed
// and the configuration (numeric_environment()), so that a resumed run can
// say when it continues under another BLAS, kernel set or thread count.
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "agents/policy.h"
#include "envs/vector_env.h"

namespace metarl {

// Adds the numeric environment, then writes `archive` to `path` atomically.
// A failure (full disk, read-only directory) is a std::runtime_error naming
// `path`; the previous file at `path` is kept.
void write_checkpoint(torch::serialize::OutputArchive& archive, const std::string& path);

// Verifies the file at `path` and lets `read` take what it needs from the
// archive. Any error, the file's or a missing or misshapen record, is a
// std::runtime_error that starts with `path`. This is what resuming reads:
// an evaluation-only checkpoint (below) is refused.
void read_checkpoint(const std::string& path, const std::function<void(torch::serialize::InputArchive&)>& read);

// The numeric environment `path` was written under, as lines "key: value"
// (empty for files written before it was recorded).
std::string checkpoint_numeric_environment(const std::string& path);

// --- Evaluation-only checkpoints -----------------------------------------------
//
// A finished run's committed checkpoints need only what evaluating them reads
// (`metarl adapt`: the policy, its normaliser, step sizes), a fifth to a
// twentieth of the file; the rest (optimiser moments, sampler and env state) exists to
// resume training. `metarl reduce` (experiments/adapt.h) rewrites a checkpoint
// as such a file: the records named by the trainer, copied verbatim (the
// same bytes, so the same evaluation), the original's iteration, env steps
// and numeric environment, and a record saying how it was made. Resuming
// (read_checkpoint) refuses it in one line naming the file; evaluation reads
// it with read_checkpoint_for_evaluation.

// Rewrites the checkpoint at `path` (atomically) with only the records named
// in `records`: a key, or a prefix of numbered tensors (write_tensors).
// `made_by` is kept and quoted by the refusal to resume. A record missing
// from the file is an error naming it and the file, which is then unchanged.
// Reducing a reduced checkpoint rewrites it unchanged.
void reduce_checkpoint(const std::string& path, const std::vector<std::string>& records, const std::string& made_by);

// read_checkpoint for evaluation: also reads evaluation-only checkpoints.
void read_checkpoint_for_evaluation(const std::string& path,
                                    const std::function<void(torch::serialize::InputArchive&)>& read);

// --- Records -------------------------------------------------------------------

// Reads one tensor into a fresh tensor (reading into a defined one calls
// set_(), which fails when the sizes differ).
torch::Tensor read_tensor(torch::serialize::InputArchive& archive, const std::string& key);
// Numbered tensors under `prefix` ("policy/0", "policy/1", ... and "policy/count").
void write_tensors(torch::serialize::OutputArchive& archive, const std::string& prefix,
                   const std::vector<torch::Tensor>& tensors);
std::vector<torch::Tensor> read_tensors(torch::serialize::InputArchive& archive, const std::string& prefix);
// A sequence of doubles (running statistics: the last episodes' returns) as
// a float64 tensor, and back.
torch::Tensor doubles_tensor(const std::deque<double>& values);
std::deque<double> tensor_doubles(const torch::Tensor& tensor);
// The VectorEnv's state (physics, generators, buffers) as a byte tensor.
void write_env_state(torch::serialize::OutputArchive& archive, const VectorEnv& env);
void read_env_state(torch::serialize::InputArchive& archive, VectorEnv& env);
// Copies checkpoint values into existing parameters (optimisers keep references to them).
void copy_into(Params& params, const std::vector<torch::Tensor>& values, const std::string& what);

// An Adam optimiser's state (each group's learning rate; each parameter's
// step count and moments, in parameter order) under `prefix`. LibTorch's own
// Optimizer::save keys the state by the parameters' addresses, so two
// identical runs would write different bytes; this form is the same for the
// same state. read_adam_state also reads the older form, a sub-archive at
// `legacy_key` written by Optimizer::save.
void write_adam_state(torch::serialize::OutputArchive& archive, const std::string& prefix,
                      const torch::optim::Adam& optimizer);
void read_adam_state(torch::serialize::InputArchive& archive, const std::string& prefix, const std::string& legacy_key,
                     torch::optim::Adam& optimizer);

}  // namespace metarl
