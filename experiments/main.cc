// The `metarl` command-line program.
#include <dlfcn.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <c10/util/Exception.h>

#include "envs/core/dynamics_schedule.h"
#include "envs/core/env.h"
#include "envs/core/registry.h"
#include "envs/core/task.h"
#include "experiments/adapt.h"
#include "experiments/algorithm.h"
#include "experiments/bench.h"
#include "experiments/config.h"
#include "experiments/game.h"
#include "experiments/launch.h"
#include "experiments/match.h"
#include "experiments/players.h"
#include "experiments/replay.h"
#include "experiments/tournament.h"
#include "experiments/rollout.h"
#include "experiments/run.h"

namespace metarl {
namespace {

// One line per option: key = default  (type, range)  help.
void list_options(std::ostream& out, const OptionSpecs& options) {
  for (const auto& spec : options) {
    out << "      " << spec.key;
    if (!spec.default_value) {
      out << " (required)";
    } else {
      const std::string& value = *spec.default_value;
      const bool quote = value.empty() || value.find(' ') != std::string::npos;
      out << " = " << (quote ? "\"" + value + "\"" : value);
    }
    out << "  (" << spec.type_name();
    if (const std::string range = spec.range_text(); !range.empty()) out << ", " << range;
    out << ")  " << spec.help << "\n";
  }
}

// From the registries' metadata: nothing is built but the task families
// (for the env each applies to).
void list_components(std::ostream& out) {
  out << "environments (sizes per agent with the default options):\n";
  for (const auto* e : env_registry().entries()) {
    out << "  " << e->name << "  [";
    for (size_t a = 0; a < e->sizes.size(); ++a)
      out << (a ? " | " : "") << "obs " << e->sizes[a].obs << ", action " << e->sizes[a].act;
    out << "]  " << e->description << "\n";
    list_options(out, e->options);
  }
  out << "task families:\n";
  for (const auto* e : task_family_registry().entries()) {
    const auto family = task_family_registry().create(e->name);
    out << "  " << e->name << "  [env " << family->env_name() << "]  " << e->description << "\n";
    list_options(out, e->options);
  }
  out << "dynamics schedules:\n";
  for (const auto* e : schedule_registry().entries()) {
    out << "  " << e->name << "  " << e->description << "\n";
    list_options(out, e->options);
  }
  out << "algorithms (algorithm.name):\n";
  for (const auto* a : algorithm_entries()) out << "  " << a->name << "  " << a->description << "\n";
  out << "methods of continual adaptation (experiments/continual):\n"
      << "  maml with algorithm.chain_length  meta-learned adaptation from T_i to T_i+1 (learn_inner_lr: step sizes)\n"
      << "  RL2  ppo with env.trial_episodes and policy.type lstm (state kept across a chain's episodes)\n"
      << "  adapt --chain  evaluates each run adapted from theta, with no adaptation and with PPO-tracking\n";
  std::vector<std::string> experiments, populations;
  const auto root = std::filesystem::path(METARL_SOURCE_DIR) / "experiments";
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    const std::string path = entry.path().string();
    if (entry.path().extension() != ".yaml" || path.find("/results/") != std::string::npos) continue;
    const bool population = path.find("/populations/") != std::string::npos;
    (population ? populations : experiments).push_back(std::filesystem::relative(entry.path(), METARL_SOURCE_DIR).string());
  }
  std::sort(experiments.begin(), experiments.end());
  std::sort(populations.begin(), populations.end());
  out << "experiments (metarl run; under " << METARL_SOURCE_DIR << "):\n";
  for (const auto& f : experiments) out << "  " << f << "\n";
  out << "populations (metarl tournament):\n";
  for (const auto& f : populations) out << "  " << f << "\n";
}

// --world-size, --rank, --master and --dist-timeout of a command that runs
// over several processes (agents/communicator.h).
void add_distributed_flags(CLI::App& command, DistributedConfig& distributed) {
  command.add_option("--world-size", distributed.world_size,
                     "processes, on this host or several (one per --rank; metarl launch starts them here)")
      ->capture_default_str();
  command.add_option("--rank", distributed.rank, "this process's rank, 0 .. world size - 1 (rank 0 writes the outputs)")
      ->capture_default_str();
  command.add_option("--master", distributed.master, "HOST:PORT where rank 0 listens for the others");
  command.add_option("--dist-timeout", distributed.timeout_seconds,
                     "seconds a process waits for the others, to join and at each exchange")
      ->capture_default_str();
}

int run(int argc, char** argv) {
  CLI::App app{"metarl: meta-reinforcement learning in simulation"};
  app.require_subcommand(1);

  app.add_subcommand("list", "list registered environments, task families and schedules");

  auto* bench = app.add_subcommand("bench", "VectorEnv throughput vs the raw simulator loop (JSON lines)");
  BenchConfig bench_config;
  bench->add_option("--env", bench_config.envs, "environments to measure")->capture_default_str();
  bench->add_option("--threads", bench_config.threads, "thread counts")->capture_default_str();
  bench->add_option("--num-envs", bench_config.num_envs, "numbers of envs")->capture_default_str();
  bench->add_option("--seconds", bench_config.seconds_per_loop, "target seconds per timed loop")
      ->capture_default_str();
  std::string bench_env_options;
  bench->add_option("--env-options", bench_env_options, "options of every env, key=value,...");
  bench->add_option("--raw-env", bench_config.raw_env,
                    "compare with this env's raw loop (e.g. HalfCheetah for HalfCheetahTerrain: the heightfield's cost)");
  bench->add_option("--mode", bench_config.mode, "vector | rollout | ppo | layout (--num-envs MANY FEW, default 800 40)")
      ->capture_default_str();
  bench->add_option("--repeats", bench_config.repeats, "raw/vector timing pairs per configuration (median ratio reported)")
      ->capture_default_str();

  auto* rollout = app.add_subcommand("rollout", "episodes of random actions or a trained player: returns per task (JSON lines)");
  RolloutConfig rollout_config;
  std::string env_options, family_options;
  auto* rollout_env = rollout->add_option("--env", rollout_config.env, "environment (with --player RUN: the run's)")
                          ->capture_default_str();
  rollout->add_option("--player", rollout_config.player,
                      "the actor: a run, RUN/checkpoints/NAME.pt, or mean:RUN (its mean action); default uniformly "
                      "random actions");
  rollout->add_option("--family", rollout_config.family, "task family (one sampled task per env)");
  rollout->add_option("--env-options", env_options, "env options, key=value,...");
  rollout->add_option("--family-options", family_options, "task family options, key=value,...");
  rollout->add_option("--num-envs", rollout_config.num_envs, "parallel envs")->capture_default_str();
  rollout->add_option("--threads", rollout_config.threads, "worker threads")->capture_default_str();
  rollout->add_option("--episodes", rollout_config.episodes_per_env, "episodes per env")->capture_default_str();
  rollout->add_option("--seed", rollout_config.seed, "seed")->capture_default_str();

  auto* run = app.add_subcommand("run", "train an experiment; re-running on the same --out resumes it");
  RunOptions run_options;
  std::string run_seed, run_threads, run_max_iterations;
  run->add_option("experiment", run_options.experiment_path, "experiment YAML file")->required();
  run->add_option("--out", run_options.out_dir, "output directory (default out/<name>)");
  run->add_option("--set", run_options.overrides, "override a key: --set algorithm.learning_rate=1e-4");
  run->add_option("--seed", run_seed, "seed, >= 0 (overrides the file)");
  run->add_option("--threads", run_threads, "worker threads, >= 1 (overrides the file)");
  run->add_option("--max-iterations", run_max_iterations,
                  "stop after this many iterations of this process, counted from where it starts (a run resumed "
                  "at iteration 40 with 10 stops at 50); 0 (the default): no limit");
  add_distributed_flags(*run, run_options.distributed);

  auto* launch = app.add_subcommand("launch", "several processes on this host: metarl launch -n 2 run EXPERIMENT.yaml "
                                              "... or tournament POPULATION.yaml ... (adds --world-size, --rank and "
                                              "--master)");
  int launch_processes_count = 2;
  launch->add_option("-n", launch_processes_count, "processes")->capture_default_str();
  launch->prefix_command();

  auto* adapt = app.add_subcommand("adapt", "test-time adaptation curves of MAML, Reptile and RL² runs (adapt.csv, adapt.png)");
  AdaptOptions adapt_options;
  adapt->add_option("runs", adapt_options.run_dirs,
                    "run directories (maml, maml_pretrain, reptile; RL² with --chain), or RUN/checkpoints/NAME.pt for one "
                    "checkpoint")
      ->required();
  adapt->add_option("--out", adapt_options.out_dir, "output directory (default: the first run)");
  adapt->add_option("--tasks", adapt_options.tasks, "held-out tasks")->capture_default_str();
  adapt->add_option("--steps", adapt_options.steps, "adaptation steps")->capture_default_str();
  adapt->add_option("--seed", adapt_options.seed, "seed of the held-out tasks")->capture_default_str();
  adapt->add_option("--family", adapt_options.family,
                    "evaluate on this task family of the runs' env instead of theirs (e.g. a held-out terrain)");
  adapt->add_option("--family-option", adapt_options.family_options,
                    "key=value set on the runs' task family (repeatable), e.g. split=test");
  adapt->add_option("--chain", adapt_options.chain_episodes,
                    "continual adaptation along chains of this many episodes (adapt_chain.csv) instead of steps")
      ->capture_default_str();
  adapt->add_option("--history", adapt_options.history, "chains: the last episodes each adaptation reuses")
      ->capture_default_str();
  adapt->add_flag("--theta-episodes", adapt_options.theta_episodes,
                  "chains: also adapt as in training, from θ on --history episodes θ itself runs at each position "
                  "(RUN:theta_episodes; a diagnostic, its extra episodes are not reported)");
  adapt->add_option("--inner-lr", adapt_options.inner_lrs,
                    "test-time step size replacing the trained one (repeatable: one curve per value, RUN:lr=X; "
                    "with --chain, of the adaptation from theta)");
  adapt->add_option("--threads", adapt_options.threads, "LibTorch/OpenBLAS threads (default: theirs)");

  auto* reduce = app.add_subcommand(
      "reduce", "rewrite finished runs' checkpoints with only what `metarl adapt` reads (evaluation-only: they "
                "cannot resume training; experiments/results/README.md)");
  std::vector<std::string> reduce_runs;
  reduce->add_option("runs", reduce_runs, "run directories (their latest.pt) or RUN/checkpoints/NAME.pt")->required();

  auto* match = app.add_subcommand(
      "match", "two players play whole matches in a match env; A's win, loss and draw rates with 95% intervals (JSON)");
  MatchOptions match_options;
  match->add_option("a", match_options.player_a,
                    "player A: a run directory, RUN/checkpoints/NAME.pt, random or scripted; mean:RUN... plays the "
                    "run's mean action")
      ->required();
  match->add_option("b", match_options.player_b, "player B: the same kinds")->required();
  match->add_option("--env", match_options.env, "match env (default: the env of the first player that is a run)");
  match->add_option("--env-options", match_options.env_options, "env options on top of the run's, key=value,...");
  match->add_option("--episodes", match_options.episodes, "matches (rounded up to whole rounds of --envs)")
      ->capture_default_str();
  match->add_option("--envs", match_options.num_envs, "matches played at once")->capture_default_str();
  match->add_option("--threads", match_options.threads, "env worker threads")->capture_default_str();
  match->add_option("--seed", match_options.seed, "seed of the starts and the players' action noise")
      ->capture_default_str();

  auto* tournament = app.add_subcommand(
      "tournament", "a population of players plays games in a match env; win rates, TrueSkill and Elo ratings "
                    "(experiments/tournament.h has the population file)");
  TournamentOptions tournament_options;
  tournament->add_option("population", tournament_options.population_path, "the population file (YAML)")->required();
  tournament->add_option("--out", tournament_options.out_dir, "output directory (resumes the tournament there)")
      ->required();
  tournament->add_option("--threads", tournament_options.threads, "env worker threads (default: the file's)");
  add_distributed_flags(*tournament, tournament_options.distributed);
  tournament->add_option("--max-games", tournament_options.max_games,
                         "stop once this many games are played, in whole waves (rated so far; the same command resumes)");

  auto* game = app.add_subcommand(
      "game", "iterated adaptation games: an agent against an opponent that advances every round, adapting "
              "between rounds (experiments/game.h)");
  GameOptions game_options;
  game->add_option("agent", game_options.agent, "the agent: a run, RUN/checkpoints/NAME.pt (any match player)")
      ->required();
  game->add_option("opponents", game_options.opponents,
                   "the opponent's versions in order, or one run directory: its snapshots by step")
      ->required();
  game->add_option("--out", game_options.out_dir, "output directory")->required();
  game->add_option("--rounds", game_options.rounds, "rounds per game")->capture_default_str();
  game->add_option("--episodes", game_options.episodes_per_round, "matches per round")->capture_default_str();
  game->add_option("--repeats", game_options.repeats, "games, each from the agent as loaded")->capture_default_str();
  game->add_option("--adapt", game_options.adaptation,
                   "between rounds: none, tracking (PPO on the round), meta (the run's meta-learned update) or rl2 (an RL² run's memory kept across the game)")
      ->capture_default_str();
  game->add_option("--meta-history", game_options.meta_history, "meta: the latest matches it adapts on")
      ->capture_default_str();
  game->add_option("--tracking-lr", game_options.tracking_learning_rate, "tracking's PPO learning rate")
      ->capture_default_str();
  game->add_option("--tracking-epochs", game_options.tracking_epochs, "tracking's PPO epochs per round")
      ->capture_default_str();
  game->add_option("--last-rounds", game_options.last_rounds, "the win rate reported is over these last rounds")
      ->capture_default_str();
  game->add_option("--env", game_options.env, "match env (default: the env of the first player that is a run)");
  game->add_option("--env-options", game_options.env_options, "env options on top of the run's, key=value,...");
  game->add_option("--threads", game_options.threads, "env worker threads")->capture_default_str();
  game->add_option("--seed", game_options.seed, "seed of the repeats")->capture_default_str();
  game->add_option("--max-repeats", game_options.max_repeats,
                   "stop after this many repeats (the same command resumes)");

  auto* replay = app.add_subcommand(
      "replay", "watch a match or a rollout: record one episode's frames and render them with MuJoCo's renderer "
                "into DIR/replay.mp4 (experiments/replay.h)");
  ReplayOptions replay_options;
  replay->add_option("a", replay_options.player_a, "player A (or the one player of a one-agent env): any match player")
      ->required();
  replay->add_option("b", replay_options.player_b, "player B, in a match env");
  replay->add_option("--out", replay_options.out_dir, "replay directory")->required();
  replay->add_option("--env", replay_options.env, "env (default: the env of the first player that is a run)");
  replay->add_option("--env-options", replay_options.env_options, "env options on top of the run's, key=value,...");
  replay->add_option("--seed", replay_options.seed, "seed of the start and the players' action noise")
      ->capture_default_str();
  replay->add_option("--width", replay_options.width, "video width (even)")->capture_default_str();
  replay->add_option("--height", replay_options.height, "video height (even)")->capture_default_str();
  replay->add_option("--camera", replay_options.camera, "follow (behind and above the robots) or top")
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {  // one line, as every other error (CLI11's own adds a second)
    std::cerr << "metarl: error: " << e.what() << " (metarl --help lists the commands and their options)" << std::endl;
    return e.get_exit_code();
  }

  if (app.got_subcommand("list")) list_components(std::cout);
  if (app.got_subcommand("bench")) {
    bench_config.env_options = Options::parse(bench_env_options);
    if (bench_config.mode == "layout" && bench->count("--num-envs") == 0) bench_config.num_envs = {800, 40};
    run_bench(bench_config, std::cout);
  }
  if (app.got_subcommand("run")) {
    if (!run_seed.empty()) run_options.seed = integer_flag("--seed", run_seed, 0);
    if (!run_threads.empty()) run_options.threads = integer_flag("--threads", run_threads, 1);
    if (!run_max_iterations.empty())
      run_options.max_iterations = integer_flag("--max-iterations", run_max_iterations, 0);
    const std::string out = run_experiment(run_options);
    if (run_options.distributed.rank == 0) std::cerr << "metarl: results in " << out << std::endl;
  }
  if (app.got_subcommand("launch")) return launch_processes(launch_processes_count, launch->remaining());
  if (app.got_subcommand("adapt")) run_adaptation(adapt_options);
  if (app.got_subcommand("reduce")) reduce_checkpoints(reduce_runs);
  if (app.got_subcommand("match")) run_match(match_options, std::cout);
  if (app.got_subcommand("tournament")) run_tournament(tournament_options);
  if (app.got_subcommand("game")) run_game(game_options);
  if (app.got_subcommand("replay")) {
    check_camera(replay_options.camera);
    if (replay_options.width % 2 || replay_options.height % 2)
      throw std::invalid_argument("replay: --width and --height must be even (H.264)");
    record_replay(replay_options);
    render_replay(replay_options.out_dir, replay_options.width, replay_options.height, replay_options.camera);
    std::cerr << "metarl: replay in " << replay_options.out_dir << "/replay.mp4" << std::endl;
  }
  if (app.got_subcommand("rollout")) {
    rollout_config.env_options = Options::parse(env_options);
    if (!rollout_config.player.empty()) {  // the run's env and options under the ones given
      const PlayersEnv where = players_env("rollout", rollout_env->count() ? rollout_config.env : "",
                                           {rollout_config.player}, env_options);
      rollout_config.env = where.name;
      rollout_config.env_options = where.options;
    }
    rollout_config.family_options = Options::parse(family_options);
    run_rollout(rollout_config, std::cout);
  }
  return 0;
}

}  // namespace
}  // namespace metarl

namespace {

// Settings that the runtime libraries read once, when they load: set them
// and start the program again (settings made explicitly are left alone).
//
// LibTorch's OpenMP workers spin after every parallel region (libgomp's
// default active wait) and take the cores from OpenBLAS's and MuJoCo's
// threads: in a HalfCheetahVel MAML iteration a sixth of the CPU time was
// libgomp spinning (perf, docs/PERFORMANCE.md).
//
// Debian's OpenBLAS (0.3.21) picks its kernels by CPU model and falls back to
// the generic SSE3 ones ("Prescott") on models it does not know, such as the
// Xeons (family 6, model 207) these runs were measured on: sgemm about 4×
// slower than with the SkylakeX (AVX-512) kernels it has built in
// (scripts/bench_sgemm.py, docs/PERFORMANCE.md).
// When it fell back, name the best of its kernels that this CPU can run.
const char* openblas_kernels_for_this_cpu() {
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  if (avx512) return "SkylakeX";  // (0.3.21 does not accept "Cooperlake" here)
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  return nullptr;
}

bool openblas_fell_back_to_generic_kernels() {
  using CoreName = char* (*)();
  const auto corename = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  return corename != nullptr && std::string(corename()) == "Prescott";
}

void restart_with_tuned_runtime(char** argv) {
  bool changed = false;
  if (std::getenv("OMP_WAIT_POLICY") == nullptr) {
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    changed = true;
  }
  if (std::getenv("OPENBLAS_CORETYPE") == nullptr && openblas_fell_back_to_generic_kernels())
    if (const char* kernels = openblas_kernels_for_this_cpu()) {
      setenv("OPENBLAS_CORETYPE", kernels, 1);
      changed = true;
    }
  if (changed) execv("/proc/self/exe", argv);  // returns only if it failed: go on as we are
}

}  // namespace

int main(int argc, char** argv) {
  restart_with_tuned_runtime(argv);
  // Learning allocates and frees many large tensors each iteration; glibc's
  // default maps blocks above 32 MB fresh from the kernel every time and
  // unmaps them on free (page faults: clear_page was a tenth of a MAML
  // iteration's CPU time). Serve every block from the heap and keep it.
  // (M_MMAP_THRESHOLD cannot do it: glibc refuses thresholds above 32 MB.)
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, -1);  // never trim: a 1 GB threshold still gave an iteration's memory back
  // A file-size limit (ulimit -f, a batch system's quota) then fails a write
  // with EFBIG, reported like a full disk, instead of killing the process.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    return metarl::run(argc, argv);
  } catch (const c10::Error& e) {  // LibTorch's own errors carry a backtrace: keep the first line
    std::cerr << "metarl: error: " << e.what_without_backtrace() << std::endl;
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "metarl: error: " << e.what() << std::endl;
    return 1;
  }
}
