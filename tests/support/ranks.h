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

#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "agents/communicator.h"

extern char** environ;

namespace metarl::testing {

// A port free on 127.0.0.1 a moment ago.
inline int free_loopback_port() {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t size = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &size);
  close(s);
  return ntohs(a.sin_port);
}

class Ranks {
 public:
  // `started` ranks are started (the others never join: a test of that).
  explicit Ranks(int world, double timeout_seconds = 20, int started = -1) {
    config_.world_size = world;
    config_.timeout_seconds = timeout_seconds;
    if (const char* rank = std::getenv("METARL_TEST_RANK")) {  // a child
      config_.rank = std::atoi(rank);
      config_.master = std::getenv("METARL_TEST_MASTER");
      return;
    }
    config_.master = "127.0.0.1:" + std::to_string(free_loopback_port());
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    const std::string filter = std::string("--gtest_filter=") + test->test_suite_name() + "." + test->name();
    for (int r = 1; r < (started < 0 ? world : started); ++r) {
      std::vector<std::string> env = {"METARL_TEST_RANK=" + std::to_string(r), "METARL_TEST_MASTER=" + config_.master};
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

  const metarl::DistributedConfig& config() const { return config_; }
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
  std::vector<pid_t> children_;
};

}  // namespace metarl::testing
