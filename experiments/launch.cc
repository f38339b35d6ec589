#include "experiments/launch.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include "agents/communicator.h"

extern char** environ;

namespace metarl {

int launch_processes(int world_size, const std::vector<std::string>& command) {
  if (world_size < 1) throw std::invalid_argument("launch: -n must be at least 1, not " + std::to_string(world_size));
  if (command.empty() || (command.front() != "run" && command.front() != "tournament"))
    throw std::invalid_argument("launch: the command must be `run ...` or `tournament ...` (got '" +
                                (command.empty() ? std::string() : command.front()) + "')");
  for (const std::string flag : {"--world-size", "--rank", "--master"})
    for (const auto& argument : command)
      if (argument == flag || argument.rfind(flag + "=", 0) == 0)
        throw std::invalid_argument("launch: " + flag + " is launch's to set; remove it from the command");
  const std::string master = "127.0.0.1:" + std::to_string(free_loopback_port());
  // Rank 0 speaks for the run; the others' messages (the same errors, or
  // the lost rank 0) go to files, shown only when one of them failed first.
  const std::string logs = (std::filesystem::temp_directory_path() /
                            ("metarl_launch_" + std::to_string(getpid()))).string();
  std::filesystem::create_directories(logs);
  std::vector<pid_t> ranks;
  std::vector<std::string> log_of(static_cast<size_t>(world_size), std::string());
  for (int r = 0; r < world_size; ++r) {
    std::vector<std::string> args = {"metarl"};
    args.insert(args.end(), command.begin(), command.end());
    args.insert(args.end(), {"--world-size", std::to_string(world_size), "--rank", std::to_string(r), "--master", master});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    if (r > 0) {
      log_of[size_t(r)] = logs + "/rank" + std::to_string(r) + ".log";
      posix_spawn_file_actions_addopen(&files, STDERR_FILENO, log_of[size_t(r)].c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                       0644);
    }
    pid_t pid = 0;
    const int failed = posix_spawn(&pid, "/proc/self/exe", &files, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&files);
    if (failed != 0) {
      for (pid_t started : ranks) kill(started, SIGTERM);
      throw std::runtime_error("launch: could not start rank " + std::to_string(r));
    }
    ranks.push_back(pid);
  }
  int status_of_run = 0;
  std::vector<bool> running(ranks.size(), true);
  const auto rank_of = [&](pid_t pid) {
    size_t rank = 0;
    while (rank < ranks.size() && ranks[rank] != pid) ++rank;
    return rank;
  };
  for (size_t left = ranks.size(); left > 0; --left) {
    int status = 0;
    const pid_t pid = wait(&status);
    if (pid < 0) break;
    size_t rank = rank_of(pid);
    running[rank] = false;
    const bool failed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    if (!failed || status_of_run != 0) continue;
    status_of_run = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (rank > 0 && running[0]) {
      // The same input fails every rank at once: give rank 0 a moment to
      // end with its own message, which is the run's.
      int status0 = 0;
      for (int tick = 0; tick < 20 && running[0]; ++tick) {
        if (waitpid(ranks[0], &status0, WNOHANG) == ranks[0]) {
          running[0] = false;
          --left;
          if (WIFEXITED(status0) && WEXITSTATUS(status0) != 0) rank = 0;
        } else {
          usleep(100000);
        }
      }
    }
    for (size_t other = 0; other < ranks.size(); ++other)
      if (running[other]) kill(ranks[other], SIGTERM);
    if (rank > 0) {  // rank 0, stopped, said nothing: this rank's first line of error
      std::ifstream log(log_of[rank]);
      std::string line, first;
      while (first.empty() && std::getline(log, line))
        if (line.rfind("metarl: error: ", 0) == 0) first = line.substr(15);
      std::cerr << "metarl: error: launch: rank " << rank << " of " << world_size << " failed"
                << (first.empty() ? " (status " + std::to_string(status_of_run) + ")" : ": " + first) << std::endl;
    }
  }
  std::filesystem::remove_all(logs);
  return status_of_run;
}

}  // namespace metarl
