#include "meta/opponent_pool.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "agents/checkpoint.h"

namespace metarl {

OpponentPool::OpponentPool(double delta, uint64_t seed) : delta_(delta), rng_(seed) {
  if (!(delta >= 0 && delta <= 1))
    throw std::invalid_argument("opponent pool: delta must be in [0, 1], got " + std::to_string(delta));
}

int64_t OpponentPool::oldest_drawable() const {
  const int64_t v = newest();
  if (v <= 0) return 0;
  // ceil, but δ·v that is an integer up to rounding (0.3 · 10) stays that integer.
  const double scaled = delta_ * double(v);
  const int64_t low = int64_t(std::ceil(scaled - 1e-9 * std::max(1.0, scaled)));
  return std::min(std::max<int64_t>(low, 0), v);
}

void OpponentPool::add(const Params& params, const RunningNormalizer* normalizer) {
  auto version = std::make_unique<Version>();
  version->number = newest() + 1;
  for (const auto& p : params) version->params.push_back(p.detach().clone());
  if (normalizer) {  // from its state: fresh tensors, nothing shared with the learner's
    version->normalizer = std::make_unique<RunningNormalizer>(normalizer->mean().numel());
    version->normalizer->load_state(normalizer->state());
  }
  versions_.push_back(std::move(version));
  drop_undrawable();
}

void OpponentPool::drop_undrawable() {
  const int64_t low = oldest_drawable();
  while (!versions_.empty() && versions_.front()->number < low) versions_.pop_front();
}

const OpponentPool::Version& OpponentPool::version(int64_t number) const {
  if (versions_.empty() || number < versions_.front()->number || number > newest())
    throw std::out_of_range("opponent pool: no version " + std::to_string(number));
  return *versions_[size_t(number - versions_.front()->number)];
}

int64_t OpponentPool::draw() {
  if (versions_.empty()) throw std::logic_error("opponent pool: drawing from an empty pool");
  const int64_t low = oldest_drawable();
  return low + int64_t(rng_.below(uint64_t(newest() - low + 1)));
}

std::vector<int64_t> OpponentPool::draw(int64_t count) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < count; ++i) out.push_back(draw());
  return out;
}

std::vector<int64_t> OpponentPool::draw_mixed(int64_t count, const std::vector<double>& fixed_probabilities) {
  if (fixed_probabilities.empty()) return draw(count);
  std::vector<int64_t> out;
  for (int64_t i = 0; i < count; ++i) {
    double u = rng_.uniform(0, 1);
    size_t k = 0;  // the fixed player u falls on; fixed_probabilities.size(): none, a version plays
    while (k < fixed_probabilities.size() && u >= fixed_probabilities[k]) u -= fixed_probabilities[k++];
    out.push_back(k < fixed_probabilities.size() ? fixed_player(int64_t(k)) : draw());
  }
  return out;
}

namespace {

torch::Tensor rng_tensor(const Rng& rng) {
  const auto words = rng.state();
  std::vector<int64_t> values;
  for (const uint64_t w : words) values.push_back(int64_t(w));
  return torch::tensor(values, torch::kLong);
}

std::array<uint64_t, 4> tensor_rng(const torch::Tensor& t) {
  TORCH_CHECK(t.numel() == 4, "opponent pool: the generator state has ", t.numel(), " words, expected 4");
  std::array<uint64_t, 4> words;
  for (int64_t i = 0; i < 4; ++i) words[size_t(i)] = uint64_t(t[i].item<int64_t>());
  return words;
}

}  // namespace

void OpponentPool::save(torch::serialize::OutputArchive& archive, const std::string& prefix) const {
  archive.write(prefix + "/rng", rng_tensor(rng_));
  std::vector<int64_t> numbers;
  for (const auto& v : versions_) numbers.push_back(v->number);
  archive.write(prefix + "/numbers", torch::tensor(numbers, torch::kLong));
  for (const auto& v : versions_) {
    const std::string key = prefix + "/" + std::to_string(v->number);
    write_tensors(archive, key + "/params", v->params);
    write_tensors(archive, key + "/normalizer",
                  v->normalizer ? v->normalizer->state() : std::vector<torch::Tensor>{});
  }
}

void OpponentPool::load(torch::serialize::InputArchive& archive, const std::string& prefix) {
  rng_.set_state(tensor_rng(read_tensor(archive, prefix + "/rng")));
  const auto numbers = read_tensor(archive, prefix + "/numbers");
  std::deque<std::unique_ptr<Version>> versions;
  for (int64_t i = 0; i < numbers.numel(); ++i) {
    auto v = std::make_unique<Version>();
    v->number = numbers[i].item<int64_t>();
    TORCH_CHECK(versions.empty() || v->number == versions.back()->number + 1,
                "opponent pool: the saved versions are not consecutive");
    const std::string key = prefix + "/" + std::to_string(v->number);
    v->params = read_tensors(archive, key + "/params");
    const auto normalizer = read_tensors(archive, key + "/normalizer");
    if (!normalizer.empty()) {
      v->normalizer = std::make_unique<RunningNormalizer>(normalizer.at(0).numel());
      v->normalizer->load_state(normalizer);
    }
    versions.push_back(std::move(v));
  }
  versions_ = std::move(versions);
}

}  // namespace metarl
