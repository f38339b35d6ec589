#include "agents/communicator.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <stdexcept>

// ProcessGroupGloo.hpp declares its class under USE_C10D_GLOO, which the
// Torch CMake target defines (Debian's LibTorch is built with it).
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

namespace metarl {
namespace {

// c10d's message without its source location ("[gloo/.../pair.cc:598] ").
std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  if (const size_t end = line.find("] "); line.rfind("[", 0) == 0 && end != std::string::npos) line.erase(0, end + 2);
  return line;
}

// HOST and PORT of HOST:PORT; PORT 0 when it is not a number in 1..65535.
std::pair<std::string, int> split_master(const std::string& master) {
  const size_t colon = master.rfind(':');
  if (colon == std::string::npos || colon == 0) return {master, 0};
  const std::string port = master.substr(colon + 1);
  char* end = nullptr;
  const long value = port.empty() ? 0 : std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || value < 1 || value > 65535) return {master.substr(0, colon), 0};
  return {master.substr(0, colon), int(value)};
}

bool is_loopback(const std::string& host) { return host == "localhost" || host.rfind("127.", 0) == 0; }

}  // namespace

std::string distributed_config_error(const DistributedConfig& c) {
  if (c.world_size < 1) return "--world-size must be at least 1, not " + std::to_string(c.world_size);
  if (c.rank < 0 || c.rank >= c.world_size)
    return "--rank must be in [0, " + std::to_string(c.world_size) + ") for --world-size " +
           std::to_string(c.world_size) + ", not " + std::to_string(c.rank);
  if (!(c.timeout_seconds > 0)) return "--dist-timeout must be positive";
  if (!c.several()) return "";
  if (c.master.empty()) return "--master HOST:PORT is needed with --world-size " + std::to_string(c.world_size);
  if (split_master(c.master).second == 0)
    return "--master must be HOST:PORT with PORT in 1..65535, not '" + c.master + "'";
  return "";
}

std::pair<int64_t, int64_t> rank_share(int64_t n, int rank, int world) {
  const int64_t base = n / world, extra = n % world;
  const int64_t first = rank * base + std::min<int64_t>(rank, extra);
  return {first, first + base + (rank < extra ? 1 : 0)};
}

struct Communicator::Group {
  c10::intrusive_ptr<c10d::Store> store;  // our own keys (PrefixStore), beside Gloo's
  c10::intrusive_ptr<c10d::ProcessGroupGloo> processes;
  int store_calls = 0;  // numbers our keys: each call of require_same or from_rank0 has its own
};

namespace {

// c10d's errors as one line naming the rank and what it was doing.
template <class F>
auto guarded(const DistributedConfig& c, const std::string& doing, F&& f) {
  const std::string who = "distributed: rank " + std::to_string(c.rank) + " of " + std::to_string(c.world_size);
  const std::string hint = " (a rank died, or stalled longer than --dist-timeout " +
                           std::to_string(int(c.timeout_seconds)) + " s; resume every rank from the last checkpoint)";
  try {
    return f();
  } catch (const c10::Error& e) {
    throw std::runtime_error(who + ", " + doing + ": " + first_line(e.what_without_backtrace()) + hint);
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    if (what.rfind("distributed:", 0) == 0) throw;
    throw std::runtime_error(who + ", " + doing + ": " + first_line(what) + hint);
  }
}

}  // namespace

Communicator::Communicator() = default;

Communicator::Communicator(const DistributedConfig& config) : config_(config) {
  if (const std::string error = distributed_config_error(config); !error.empty()) throw std::invalid_argument(error);
  if (!config.several()) return;
  const auto [host, port] = split_master(config.master);
  const auto timeout = std::chrono::milliseconds(int64_t(config.timeout_seconds * 1000));
  group_ = std::make_unique<Group>();
  guarded(config_, "joining the others at " + config.master, [&, host = host, port = port] {
    c10d::TCPStoreOptions options;
    options.port = uint16_t(port);
    options.isServer = config.rank == 0;
    options.numWorkers = size_t(config.world_size);
    options.timeout = timeout;
    auto store = c10::make_intrusive<c10d::TCPStore>(host, options);
    auto gloo = c10d::ProcessGroupGloo::Options::create(timeout);
    // The interface to listen on: loopback for a run on one host, else the
    // one named by GLOO_SOCKET_IFNAME, else the one this host's name resolves to.
    if (is_loopback(host))
      gloo->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(host));
    else if (const char* interface = std::getenv("GLOO_SOCKET_IFNAME"))
      gloo->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(interface));
    else
      gloo->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    group_->processes = c10::make_intrusive<c10d::ProcessGroupGloo>(
        c10::make_intrusive<c10d::PrefixStore>("gloo", store), config.rank, config.world_size, gloo);
    group_->store = c10::make_intrusive<c10d::PrefixStore>("metarl", store);
    return 0;
  });
}

Communicator::~Communicator() = default;

int free_loopback_port() {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) throw std::runtime_error("distributed: no socket to find a free port on 127.0.0.1");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;  // the kernel picks one
  socklen_t size = sizeof address;
  const bool ok = bind(s, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                  getsockname(s, reinterpret_cast<sockaddr*>(&address), &size) == 0;
  close(s);
  if (!ok) throw std::runtime_error("distributed: found no free port on 127.0.0.1");
  return ntohs(address.sin_port);
}

const Communicator& single_process() {
  static const Communicator one;
  return one;
}

Metrics Communicator::exchanged_since(const Traffic& before) const {
  if (!several()) return {};
  return {{"exchanges", double(traffic_.calls - before.calls)},
          {"exchanged_bytes", double(traffic_.bytes - before.bytes)},
          {"exchange_seconds", traffic_.seconds - before.seconds}};
}

void Communicator::exchange(const torch::Tensor& exchanged, const std::string& doing,
                            const std::function<void()>& run) const {
  const auto start = std::chrono::steady_clock::now();
  guarded(config_, doing, [&] { return run(), 0; });
  ++traffic_.calls;
  traffic_.bytes += exchanged.numel() * int64_t(exchanged.element_size());
  traffic_.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void Communicator::all_reduce_sum(std::vector<torch::Tensor>& tensors) const {
  if (!several() || tensors.empty()) return;
  // One flat buffer per dtype: Gloo reduces a list only across devices.
  std::map<c10::ScalarType, std::vector<size_t>> by_type;
  for (size_t i = 0; i < tensors.size(); ++i) by_type[tensors[i].scalar_type()].push_back(i);
  for (const auto& [type, indices] : by_type) {
    std::vector<torch::Tensor> flat;
    for (size_t i : indices) flat.push_back(tensors[i].detach().reshape({-1}));
    std::vector<torch::Tensor> buffer = {torch::cat(flat)};
    exchange(buffer[0], "summing over ranks", [&] { group_->processes->allreduce(buffer)->wait(); });
    int64_t offset = 0;
    for (size_t i : indices) {
      const int64_t n = tensors[i].numel();
      torch::NoGradGuard no_grad;
      tensors[i].copy_(buffer[0].narrow(0, offset, n).view(tensors[i].sizes()));
      offset += n;
    }
  }
}

torch::Tensor Communicator::all_reduce_sum(const torch::Tensor& tensor) const {
  if (!several()) return tensor;
  std::vector<torch::Tensor> t = {tensor.detach().clone()};
  all_reduce_sum(t);
  return t[0];
}

double Communicator::all_reduce_sum(double value) const {
  if (!several()) return value;
  return all_reduce_sum(torch::tensor({value}, torch::kFloat64)).item<double>();
}

int64_t Communicator::all_reduce_max(int64_t value) const {
  if (!several()) return value;
  std::vector<torch::Tensor> t = {torch::tensor({value}, torch::kLong)};
  c10d::AllreduceOptions options;
  options.reduceOp = c10d::ReduceOp::MAX;
  exchange(t[0], "taking the largest over ranks", [&] { group_->processes->allreduce(t, options)->wait(); });
  return t[0].item<int64_t>();
}

torch::Tensor Communicator::all_gather_rows(const torch::Tensor& rows) const {
  TORCH_CHECK(rows.dim() == 2, "all_gather_rows: rows must be [k, c], not ", rows.sizes());
  const auto own = rows.to(torch::kFloat64);
  if (!several()) return own;
  // Gloo's allgather needs equal sizes: the counts first, then every rank's
  // rows in its own slot of a zero buffer as long as the longest, summed.
  const int world = world_size();
  auto counts = torch::zeros({world}, torch::kFloat64);
  counts[rank()] = double(rows.size(0));
  counts = all_reduce_sum(counts);
  const int64_t longest = int64_t(counts.max().item<double>());
  auto slots = torch::zeros({world, longest, rows.size(1)}, torch::kFloat64);
  slots[rank()].narrow(0, 0, rows.size(0)).copy_(own);
  slots = all_reduce_sum(slots);
  std::vector<torch::Tensor> parts;
  for (int r = 0; r < world; ++r) parts.push_back(slots[r].narrow(0, 0, int64_t(counts[r].item<double>())));
  return torch::cat(parts);
}

std::pair<int64_t, int64_t> Communicator::place(int64_t own) const {
  if (!several()) return {0, own};
  const auto counts = all_gather_rows(torch::tensor({{double(own)}}, torch::kFloat64));
  return {int64_t(counts.narrow(0, 0, rank()).sum().item<double>()), int64_t(counts.sum().item<double>())};
}

void Communicator::require_same(const std::string& what, const std::string& text) const {
  if (!several()) return;
  const std::string key = what + "/" + std::to_string(group_->store_calls++) + "/";
  std::vector<std::string> texts(size_t(config_.world_size));
  guarded(config_, "comparing the ranks' " + what, [&] {
    group_->store->set(key + std::to_string(config_.rank), std::vector<uint8_t>(text.begin(), text.end()));
    for (int r = 0; r < config_.world_size; ++r) {
      const auto bytes = group_->store->get(key + std::to_string(r));
      texts[size_t(r)].assign(bytes.begin(), bytes.end());
    }
    return 0;
  });
  for (int r = 1; r < config_.world_size; ++r) {
    if (texts[size_t(r)] == texts[0]) continue;
    // The first line that differs, quoted from both.
    const std::string &a = texts[0], &b = texts[size_t(r)];
    size_t line = 1, start = 0;
    for (size_t i = 0; i < std::min(a.size(), b.size()) && a[i] == b[i]; ++i)
      if (a[i] == '\n') ++line, start = i + 1;
    auto line_of = [&](const std::string& s) { return s.substr(start, s.find('\n', start) - start); };
    throw std::runtime_error("distributed: rank " + std::to_string(r) + "'s " + what + " differs from rank 0's at line " +
                             std::to_string(line) + ": '" + line_of(b) + "' against '" + line_of(a) + "'");
  }
}

std::string Communicator::from_rank0(const std::string& what, const std::string& text) const {
  if (!several()) return text;
  const std::string key = what + "/" + std::to_string(group_->store_calls++);
  return guarded(config_, "receiving rank 0's " + what, [&] {
    if (config_.rank == 0) group_->store->set(key, std::vector<uint8_t>(text.begin(), text.end()));
    const auto bytes = group_->store->get(key);
    return std::string(bytes.begin(), bytes.end());
  });
}

}  // namespace metarl
