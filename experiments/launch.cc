#include "experiments/launch.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <iostream>
#include <stdexcept>

#include "agents/communicator.h"

extern char** environ;

namespace metarl {

int launch_processes(int world_size, const std::vector<std::string>& command) {
  if (world_size < 1) throw std::invalid_argument("launch: -n must be at least 1, not " + std::to_string(world_size));
  if (command.empty() || command.front() != "run")
    throw std::invalid_argument("launch: the command must be `run ...` (got '" +
                                (command.empty() ? std::string() : command.front()) + "')");
  for (const std::string& flag : {"--world-size", "--rank", "--master"})
    for (const auto& argument : command)
      if (argument == flag || argument.rfind(flag + "=", 0) == 0)
        throw std::invalid_argument("launch: " + flag + " is launch's to set; remove it from the command");
  const std::string master = "127.0.0.1:" + std::to_string(free_loopback_port());
  std::vector<pid_t> ranks;
  for (int r = 0; r < world_size; ++r) {
    std::vector<std::string> args = {"metarl"};
    args.insert(args.end(), command.begin(), command.end());
    args.insert(args.end(), {"--world-size", std::to_string(world_size), "--rank", std::to_string(r), "--master", master});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    if (posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv.data(), environ) != 0) {
      for (pid_t started : ranks) kill(started, SIGTERM);
      throw std::runtime_error("launch: could not start rank " + std::to_string(r));
    }
    ranks.push_back(pid);
  }
  int status_of_run = 0;
  for (size_t left = ranks.size(); left > 0; --left) {
    int status = 0;
    const pid_t pid = wait(&status);
    if (pid < 0) break;
    const bool failed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    if (!failed || status_of_run != 0) continue;
    size_t rank = 0;
    while (rank < ranks.size() && ranks[rank] != pid) ++rank;
    status_of_run = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::cerr << "metarl launch: rank " << rank << " of " << world_size << " failed (status " << status_of_run
              << "); stopping the others" << std::endl;
    for (const pid_t other : ranks)
      if (other != pid) kill(other, SIGTERM);
  }
  return status_of_run;
}

}  // namespace metarl
