#include "agents/checkpoint.h"

#include <cstdint>
#include <cstring>
#include <iostream>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>

#include <boost/crc.hpp>
#include <c10/util/Exception.h>

#include "agents/compute_threads.h"
#include "agents/file_io.h"

namespace metarl {
namespace {

// File layout: magic (8 bytes), format version (uint32), archive length
// (uint64), CRC-32 of the archive (uint32), then the archive. Little-endian,
// as every machine this runs on.
constexpr char kMagic[8] = {'M', 'E', 'T', 'A', 'R', 'L', 'C', 'K'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderSize = sizeof kMagic + sizeof(uint32_t) + sizeof(uint64_t) + sizeof(uint32_t);
constexpr char kZipMagic[4] = {'P', 'K', 3, 4};  // a bare LibTorch archive (checkpoints before the header)
constexpr const char* kNumericEnvironmentKey = "numeric_environment";
// Present only in evaluation-only checkpoints: how the file was made.
constexpr const char* kEvaluationOnlyKey = "evaluation_only";

uint32_t crc32_of(const char* data, size_t size) {
  boost::crc_32_type crc;
  crc.process_bytes(data, size);
  return crc.checksum();
}

template <typename T>
void append_value(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <typename T>
T value_at(const std::string& bytes, size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

// The first line of an exception's message (LibTorch's carry a backtrace).
std::string first_line(const std::exception& e) {
  const auto* torch_error = dynamic_cast<const c10::Error*>(&e);
  const std::string text = torch_error ? torch_error->what_without_backtrace() : e.what();
  return text.substr(0, text.find('\n'));
}

// The archive inside the checkpoint file's bytes, verified; or the bytes
// themselves for a file without the header (said once per file).
std::string verified_archive(const std::string& path, std::string bytes) {
  if (bytes.size() >= sizeof kZipMagic && std::memcmp(bytes.data(), kZipMagic, sizeof kZipMagic) == 0) {
    static std::mutex mutex;
    static std::set<std::string> warned;
    const std::lock_guard<std::mutex> lock(mutex);
    if (warned.insert(path).second)
      std::cerr << "metarl: warning: " << path
                << " was written before checkpoints carried a checksum; it is read unverified" << std::endl;
    return bytes;
  }
  if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw std::runtime_error(path + ": not a metarl checkpoint (" +
                             (bytes.empty() ? std::string("the file is empty") : "it does not start with METARLCK") +
                             ")");
  if (bytes.size() < kHeaderSize)
    throw std::runtime_error(path + ": the checkpoint is truncated (" + std::to_string(bytes.size()) +
                             " bytes, shorter than its header)");
  const auto version = value_at<uint32_t>(bytes, sizeof kMagic);
  if (version != kVersion)
    throw std::runtime_error(path + ": checkpoint format version " + std::to_string(version) +
                             " is not the one this build reads (" + std::to_string(kVersion) + ")");
  const auto length = value_at<uint64_t>(bytes, sizeof kMagic + sizeof(uint32_t));
  const auto crc = value_at<uint32_t>(bytes, sizeof kMagic + sizeof(uint32_t) + sizeof(uint64_t));
  const uint64_t present = bytes.size() - kHeaderSize;
  if (present < length)
    throw std::runtime_error(path + ": the checkpoint is truncated (" + std::to_string(present) + " of " +
                             std::to_string(length) + " bytes of data)");
  if (present > length)
    throw std::runtime_error(path + ": the checkpoint is corrupted (" + std::to_string(present - length) +
                             " bytes after its data)");
  if (crc32_of(bytes.data() + kHeaderSize, length) != crc)
    throw std::runtime_error(path + ": the checkpoint is corrupted (its checksum does not match its contents)");
  bytes.erase(0, kHeaderSize);
  return bytes;
}

void load_archive(const std::string& path, torch::serialize::InputArchive& archive) {
  const std::string data = verified_archive(path, read_file(path));
  try {
    archive.load_from(data.data(), data.size());
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": cannot read the checkpoint: " + first_line(e));
  }
}

// How an evaluation-only checkpoint was made; nothing for a full one.
std::optional<std::string> evaluation_only(torch::serialize::InputArchive& archive) {
  c10::IValue value;
  if (!archive.try_read(kEvaluationOnlyKey, value) || !value.isString()) return std::nullopt;
  return value.toStringRef();
}

// Lets `read` take its records; its errors name the file.
void read_records(const std::string& path, torch::serialize::InputArchive& archive,
                  const std::function<void(torch::serialize::InputArchive&)>& read) {
  try {
    read(archive);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": cannot read the checkpoint: " + first_line(e));
  }
}

// Writes `archive` to `path` with the header, atomically.
void write_archive(torch::serialize::OutputArchive& archive, const std::string& path) {
  std::string data;
  archive.save_to([&data](const void* bytes, size_t size) {
    data.append(static_cast<const char*>(bytes), size);
    return size;
  });
  std::string file;
  file.reserve(kHeaderSize + data.size());
  file.append(kMagic, sizeof kMagic);
  append_value(file, kVersion);
  append_value(file, uint64_t(data.size()));
  append_value(file, crc32_of(data.data(), data.size()));
  file += data;
  write_file_atomically(path, file);
}

// Copies one record as it is (a tensor stays a tensor record, the same bytes).
void copy_record(torch::serialize::InputArchive& in, torch::serialize::OutputArchive& out, const std::string& key) {
  c10::IValue value;
  in.read(key, value);
  if (value.isTensor())
    out.write(key, value.toTensor());
  else
    out.write(key, value);
}

std::string adam_key(const std::string& prefix, size_t group, const std::string& what) {
  return prefix + "/" + std::to_string(group) + "/" + what;
}

std::string state_key(const torch::Tensor& parameter) {
  return c10::guts::to_string(parameter.unsafeGetTensorImpl());  // LibTorch's own key
}

}  // namespace

void write_checkpoint(torch::serialize::OutputArchive& archive, const std::string& path) {
  archive.write(kNumericEnvironmentKey, c10::IValue(numeric_environment()));
  write_archive(archive, path);
}

void read_checkpoint(const std::string& path, const std::function<void(torch::serialize::InputArchive&)>& read) {
  torch::serialize::InputArchive archive;
  load_archive(path, archive);
  if (const auto made_by = evaluation_only(archive))
    throw std::runtime_error(path + " is an evaluation-only checkpoint (made by " + *made_by +
                             "); it cannot resume training");
  read_records(path, archive, read);
}

void read_checkpoint_for_evaluation(const std::string& path,
                                    const std::function<void(torch::serialize::InputArchive&)>& read) {
  torch::serialize::InputArchive archive;
  load_archive(path, archive);
  read_records(path, archive, read);
}

void reduce_checkpoint(const std::string& path, const std::vector<std::string>& records, const std::string& made_by) {
  torch::serialize::InputArchive in;
  load_archive(path, in);
  torch::serialize::OutputArchive out;
  try {
    const std::vector<std::string> keys = in.keys();
    auto copy_matching = [&](const std::string& record) {
      bool found = false;
      for (const std::string& key : keys)
        if (key == record || key.rfind(record + "/", 0) == 0) {
          copy_record(in, out, key);
          found = true;
        }
      return found;
    };
    for (const std::string& record : records)
      if (!copy_matching(record)) throw std::runtime_error("it has no record '" + record + "'");
    // Where the run was, and what its numbers depend on: the original's.
    for (const char* record : {"iteration", "env_steps", kNumericEnvironmentKey}) copy_matching(record);
    // Reduced again: still made the first time.
    out.write(kEvaluationOnlyKey, c10::IValue(evaluation_only(in).value_or(made_by)));
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": cannot reduce the checkpoint: " + first_line(e));
  }
  write_archive(out, path);
}

std::string checkpoint_numeric_environment(const std::string& path) {
  torch::serialize::InputArchive archive;
  load_archive(path, archive);
  c10::IValue value;
  if (!archive.try_read(kNumericEnvironmentKey, value) || !value.isString()) return "";
  return value.toStringRef();
}

// --- Records -------------------------------------------------------------------

torch::Tensor read_tensor(torch::serialize::InputArchive& archive, const std::string& key) {
  torch::Tensor t;
  archive.read(key, t);
  return t;
}

void write_tensors(torch::serialize::OutputArchive& archive, const std::string& prefix,
                   const std::vector<torch::Tensor>& tensors) {
  archive.write(prefix + "/count", torch::tensor(int64_t(tensors.size())));
  for (size_t i = 0; i < tensors.size(); ++i) archive.write(prefix + "/" + std::to_string(i), tensors[i].detach());
}

std::vector<torch::Tensor> read_tensors(torch::serialize::InputArchive& archive, const std::string& prefix) {
  std::vector<torch::Tensor> out(read_tensor(archive, prefix + "/count").item<int64_t>());
  for (size_t i = 0; i < out.size(); ++i) out[i] = read_tensor(archive, prefix + "/" + std::to_string(i));
  return out;
}

torch::Tensor doubles_tensor(const std::deque<double>& values) {
  return torch::tensor(std::vector<double>(values.begin(), values.end()), torch::kFloat64);
}

std::deque<double> tensor_doubles(const torch::Tensor& tensor) {
  std::deque<double> out;
  const auto c = tensor.to(torch::kFloat64).contiguous();
  for (int64_t i = 0; i < c.numel(); ++i) out.push_back(c[i].item<double>());
  return out;
}

void copy_into(Params& params, const std::vector<torch::Tensor>& values, const std::string& what) {
  if (params.size() != values.size())
    throw std::runtime_error(what + " has " + std::to_string(values.size()) + " tensors, the configured model has " +
                             std::to_string(params.size()));
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i].sizes() != values[i].sizes())
      throw std::runtime_error(what + " tensor " + std::to_string(i) + " has another shape than the configured model");
    params[i].copy_(values[i]);
  }
}

void write_env_state(torch::serialize::OutputArchive& archive, const VectorEnv& env) {
  const std::string state = env.save_state();
  archive.write("env_state",
                torch::from_blob(const_cast<char*>(state.data()), {int64_t(state.size())}, torch::kUInt8).clone());
}

void read_env_state(torch::serialize::InputArchive& archive, VectorEnv& env) {
  const auto state = read_tensor(archive, "env_state").contiguous();
  env.load_state(std::string(static_cast<const char*>(state.data_ptr()), state.numel()));
}

void write_adam_state(torch::serialize::OutputArchive& archive, const std::string& prefix,
                      const torch::optim::Adam& optimizer) {
  const auto& groups = optimizer.param_groups();
  archive.write(prefix + "/groups", torch::tensor(int64_t(groups.size())));
  for (size_t g = 0; g < groups.size(); ++g) {
    const auto& options = static_cast<const torch::optim::AdamOptions&>(groups[g].options());
    archive.write(adam_key(prefix, g, "lr"), torch::tensor(options.lr(), torch::kFloat64));
    const auto& params = groups[g].params();
    std::vector<int64_t> steps;
    std::vector<torch::Tensor> first, second, max_second;
    for (const auto& p : params) {
      const auto it = optimizer.state().find(state_key(p));
      if (it == optimizer.state().end()) {  // not stepped yet
        steps.push_back(0);
        continue;
      }
      const auto& s = static_cast<const torch::optim::AdamParamState&>(*it->second);
      steps.push_back(s.step());
      first.push_back(s.exp_avg());
      second.push_back(s.exp_avg_sq());
      if (s.max_exp_avg_sq().defined()) max_second.push_back(s.max_exp_avg_sq());
    }
    archive.write(adam_key(prefix, g, "steps"), torch::tensor(steps));
    write_tensors(archive, adam_key(prefix, g, "exp_avg"), first);
    write_tensors(archive, adam_key(prefix, g, "exp_avg_sq"), second);
    write_tensors(archive, adam_key(prefix, g, "max_exp_avg_sq"), max_second);
  }
}

void read_adam_state(torch::serialize::InputArchive& archive, const std::string& prefix, const std::string& legacy_key,
                     torch::optim::Adam& optimizer) {
  torch::Tensor group_count;
  if (!archive.try_read(prefix + "/groups", group_count)) {
    torch::serialize::InputArchive legacy;
    archive.read(legacy_key, legacy);
    optimizer.load(legacy);
    return;
  }
  auto& groups = optimizer.param_groups();
  if (group_count.item<int64_t>() != int64_t(groups.size()))
    throw std::runtime_error(prefix + ": " + std::to_string(group_count.item<int64_t>()) +
                             " parameter groups, the configured optimiser has " + std::to_string(groups.size()));
  optimizer.state().clear();
  for (size_t g = 0; g < groups.size(); ++g) {
    static_cast<torch::optim::AdamOptions&>(groups[g].options())
        .lr(read_tensor(archive, adam_key(prefix, g, "lr")).item<double>());
    const auto& params = groups[g].params();
    const auto steps = read_tensor(archive, adam_key(prefix, g, "steps"));
    const auto first = read_tensors(archive, adam_key(prefix, g, "exp_avg"));
    const auto second = read_tensors(archive, adam_key(prefix, g, "exp_avg_sq"));
    const auto max_second = read_tensors(archive, adam_key(prefix, g, "max_exp_avg_sq"));
    if (steps.numel() != int64_t(params.size()))
      throw std::runtime_error(prefix + ": group " + std::to_string(g) + " has " + std::to_string(steps.numel()) +
                               " parameters, the configured optimiser has " + std::to_string(params.size()));
    size_t stepped = 0;
    for (size_t i = 0; i < params.size(); ++i) {
      const int64_t step = steps[int64_t(i)].item<int64_t>();
      if (step == 0) continue;
      if (stepped >= first.size() || stepped >= second.size() ||
          first[stepped].sizes() != params[i].sizes() || second[stepped].sizes() != params[i].sizes())
        throw std::runtime_error(prefix + ": the moments of group " + std::to_string(g) +
                                 " do not match the configured parameters");
      auto state = std::make_unique<torch::optim::AdamParamState>();
      state->step(step);
      state->exp_avg(first[stepped].clone());
      state->exp_avg_sq(second[stepped].clone());
      if (stepped < max_second.size()) state->max_exp_avg_sq(max_second[stepped].clone());
      optimizer.state()[state_key(params[i])] = std::move(state);
      ++stepped;
    }
  }
}

}  // namespace metarl
