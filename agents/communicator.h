// The processes of one run, on one host or several: LibTorch's c10d
// (ProcessGroupGloo over a TCPStore rendezvous at rank 0's HOST:PORT).
//
// A default-constructed Communicator is the one process of an ordinary run:
// every collective returns its input and no socket is opened, so a run that
// does not ask for several processes never touches Gloo.
//
// Every error (a rank that never joins, one that dies, configurations that
// differ) is a one-line std::runtime_error naming this rank, raised on every
// rank that meets it within the timeout rather than a hang.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "agents/metrics.h"

namespace metarl {

struct DistributedConfig {
  int world_size = 1;
  int rank = 0;
  std::string master;  // HOST:PORT where rank 0 listens; required with several ranks
  // How long a rank waits for the others: to join, and at each collective
  // (longer than the slowest rank's work between two collectives).
  double timeout_seconds = 300;

  bool several() const { return world_size > 1; }
};

// One line naming the flag at fault, or "" when the configuration is usable.
std::string distributed_config_error(const DistributedConfig& config);

// Rank `rank`'s share [first, last) of n items among `world` ranks, in
// contiguous blocks in rank order, the first n % world ranks taking one more.
std::pair<int64_t, int64_t> rank_share(int64_t n, int rank, int world);

class Communicator {
 public:
  Communicator();  // one process
  explicit Communicator(const DistributedConfig& config);  // joins the others or throws
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const { return config_.rank; }
  int world_size() const { return config_.world_size; }
  bool several() const { return config_.several(); }
  // Only rank 0 writes a run's outputs.
  bool writes_outputs() const { return config_.rank == 0; }

  // This rank's share of n items (rank_share).
  std::pair<int64_t, int64_t> share(int64_t n) const { return rank_share(n, rank(), world_size()); }

  // Sums over ranks, in place, on every rank.
  void all_reduce_sum(std::vector<torch::Tensor>& tensors) const;
  torch::Tensor all_reduce_sum(const torch::Tensor& tensor) const;
  double all_reduce_sum(double value) const;
  // The largest over ranks, on every rank.
  int64_t all_reduce_max(int64_t value) const;
  // Every rank's `rows` [k_r, c] (k_r may differ, c may not), one after the
  // other in rank order, as float64 [sum of k_r, c] on every rank.
  torch::Tensor all_gather_rows(const torch::Tensor& rows) const;
  // Where this rank's `own` items stand when every rank's lie one after the
  // other in rank order: the index of its first, and the count of all.
  std::pair<int64_t, int64_t> place(int64_t own) const;
  // Every rank passes its own text of `what` (say, the resolved
  // configuration); unless all equal rank 0's, every rank throws naming the
  // first line that differs.
  void require_same(const std::string& what, const std::string& text) const;
  // Rank 0's `text` of `what` on every rank (a decision rank 0 takes alone).
  std::string from_rank0(const std::string& what, const std::string& text) const;

  // What this process has exchanged so far: collective calls and the bytes
  // of its own tensors in them (what a network must carry per rank, before
  // the algorithm's own factor: a ring all-reduce sends 2 (W - 1) / W of it).
  // `seconds`: spent in the exchanges, waiting for slower ranks included.
  struct Traffic {
    int64_t calls = 0, bytes = 0;
    double seconds = 0;
  };
  Traffic traffic() const { return traffic_; }
  // What was exchanged since `before` (an earlier traffic()), as the
  // metrics exchanges, exchanged_bytes and exchange_seconds; none for one
  // process.
  Metrics exchanged_since(const Traffic& before) const;

 private:
  struct Group;
  // Runs the collective `run` on `exchanged`, counted into traffic_ and
  // with its errors as one line (guarded) saying what it was `doing`.
  void exchange(const torch::Tensor& exchanged, const std::string& doing,
                const std::function<void()>& run) const;
  DistributedConfig config_;
  std::unique_ptr<Group> group_;
  mutable Traffic traffic_;
};

// The one process of an ordinary run.
const Communicator& single_process();

// A TCP port that was free on 127.0.0.1 a moment ago (for rank 0 of
// processes started on this host).
int free_loopback_port();

}  // namespace metarl
