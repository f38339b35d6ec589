// Tests that run as several processes on 127.0.0.1. The test's own process
// is rank 0; ranks 1.. are this test executable started again on the same
// test (--gtest_filter), told their rank in the environment. A child's
// failed assertion is its exit code, which rank 0 checks in join().
//
//   TEST(Suite, Name) {
//     Ranks ranks(2);                 // rank 0 starts rank 1 here
//     Communicator c(ranks.config());
//     ... EXPECT_... on every rank ...
//     ranks.join();                   // rank 0: every child exited 0
//   }
#pragma once

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "agents/communicator.h"  // DistributedConfig, free_loopback_port

extern char** environ;

namespace metarl::testing {

class Ranks {
 public:
  // `started` ranks are started (the others never join: a test of that).
  // `groups`: how many times the ranks join (each config(k) its own master
  // port), e.g. a run and then its resumption.
  explicit Ranks(int world, double timeout_seconds = 20, int started = -1, int groups = 1) {
    config_.world_size = world;
    config_.timeout_seconds = timeout_seconds;
    if (const char* rank = std::getenv("METARL_TEST_RANK")) {  // a child
      config_.rank = std::atoi(rank);
      masters_ = std::getenv("METARL_TEST_MASTER");
      return;
    }
    for (int k = 0; k < groups; ++k) masters_ += (k ? "," : "") + std::to_string(free_loopback_port());
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    const std::string filter = std::string("--gtest_filter=") + test->test_suite_name() + "." + test->name();
    for (int r = 1; r < (started < 0 ? world : started); ++r) {
      std::vector<std::string> env = {"METARL_TEST_RANK=" + std::to_string(r), "METARL_TEST_MASTER=" + masters_};
      for (char** e = environ; *e; ++e) env.push_back(*e);
      std::vector<char*> envp, argv = {const_cast<char*>("/proc/self/exe"), const_cast<char*>(filter.c_str()), nullptr};
      for (auto& e : env) envp.push_back(e.data());
      envp.push_back(nullptr);
      pid_t pid = 0;
      if (posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv.data(), envp.data()) != 0)
        ADD_FAILURE() << "could not start rank " << r;
      else
        children_.push_back(pid);
    }
  }
  ~Ranks() {
    for (pid_t pid : children_) kill(pid, SIGKILL), waitpid(pid, nullptr, 0);
  }

  // The configuration of the k-th joining.
  metarl::DistributedConfig config(int k = 0) const {
    metarl::DistributedConfig c = config_;
    size_t begin = 0;
    for (int i = 0; i < k; ++i) begin = masters_.find(',', begin) + 1;
    c.master = "127.0.0.1:" + masters_.substr(begin, masters_.find(',', begin) - begin);
    return c;
  }
  int rank() const { return config_.rank; }
  bool is_child() const { return config_.rank != 0; }
  const std::vector<pid_t>& children() const { return children_; }

  // Rank 0: waits for every child and expects it to have passed.
  void join() {
    for (size_t i = 0; i < children_.size(); ++i) {
      int status = 0;
      waitpid(children_[i], &status, 0);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "rank " << i + 1 << " failed (status " << status << ")";
    }
    children_.clear();
  }

 private:
  metarl::DistributedConfig config_;
  std::string masters_;  // the ports of the joinings, comma-separated
  std::vector<pid_t> children_;
};

}  // namespace metarl::testing
