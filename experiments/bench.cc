#include "experiments/bench.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <thread>

#include <mujoco/mujoco.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "agents/compute_threads.h"
#include "agents/policy.h"
#include "agents/sampler.h"
#include "agents/stopwatch.h"
#include "agents/ppo.h"
#include "agents/trainer.h"
#include "envs/box2d/bipedal_walker.h"
#include "envs/box2d/sumo2d.h"
#include "envs/core/registry.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/vector_env.h"

namespace metarl {
namespace {

// A fixed table of random actions shared by both loops, so that action
// generation is outside the timed region and both loops see the same inputs.
// A row is one env's actions for one step (every agent's, as the env's rows).
struct ActionTable {
  ActionTable(int rows, int row_floats, uint64_t seed)
      : rows(rows), row_floats(row_floats), values(size_t(rows) * row_floats) {
    Rng rng(seed);
    for (float& v : values) v = static_cast<float>(rng.uniform(-1.0, 1.0));
  }
  // `count` consecutive rows starting near row `index`, contiguous in memory.
  const float* rows_at(int64_t index, int count) const {
    return &values[size_t(index % (rows - count + 1)) * row_floats];
  }
  int rows, row_floats;
  std::vector<float> values;
};

// One thread's bare simulation of an env: its simulator stepped with the
// env's actions, without the Env machinery (action checks, observations,
// rewards, auto-reset, checkpoints). What `metarl bench` compares an env with.
class RawSimulation {
 public:
  virtual ~RawSimulation() = default;
  // Back to an episode's initial state.
  virtual void restart() = 0;
  // One env step with one env's actions (every agent's row).
  virtual void step(const float* actions) = 0;
  // Whether the env's own end rule ends the episode here (a sumo match
  // restarts when a robot is out); the time limit is the loop's.
  virtual bool episode_ended() const { return false; }
};

// The raw loop of an env: how to make its bare simulation, one per thread.
struct RawStepping {
  int action_floats = 0;  // floats of one env step's actions: agents x action row
  int episode_steps = 0;  // the loop restarts this often, as the env's time limit does
  std::function<std::unique_ptr<RawSimulation>()> make;
};

// MuJoCo: one mjData on the env's reference model, writing ctrl and calling
// mj_step frame_skip times per env step; restarts with mj_resetData.
class MujocoRawSimulation : public RawSimulation {
 public:
  explicit MujocoRawSimulation(MujocoStepping stepping)
      : stepping_(std::move(stepping)), model_(stepping_.model.get()), data_(mj_makeData(model_)) {}
  ~MujocoRawSimulation() override { mj_deleteData(data_); }
  void restart() override {
    mj_resetData(model_, data_);
    mj_forward(model_, data_);
  }
  void step(const float* actions) override {
    for (int j = 0; j < model_->nu; ++j) data_->ctrl[j] = actions[j];
    for (int k = 0; k < stepping_.frame_skip; ++k) mj_step(model_, data_);
  }
  bool episode_ended() const override { return stepping_.episode_ended && stepping_.episode_ended(data_); }

 private:
  MujocoStepping stepping_;
  const mjModel* model_;
  mjData* data_;
};

// Box2D (Sumo2D): the env's world (Sumo2DWorld), built afresh from a start
// drawn as the env draws it at each restart, stepped with both agents' actions.
class Sumo2DRawSimulation : public RawSimulation {
 public:
  explicit Sumo2DRawSimulation(Sumo2DStepping stepping) : stepping_(stepping) {}
  void restart() override {
    const Sumo2DStart start = draw_sumo2d_start(stepping_.ring, rng_);
    ring_radius_ = start.ring_radius;
    world_.emplace(start);
  }
  void step(const float* actions) override { world_->step(actions, Sumo2DWorld::kActions); }
  bool episode_ended() const override {  // the env's rule
    return world_->out_of_ring(0, ring_radius_) || world_->out_of_ring(1, ring_radius_);
  }

 private:
  Sumo2DStepping stepping_;
  Rng rng_{1};
  double ring_radius_ = 0;
  std::optional<Sumo2DWorld> world_;
};

// Box2D (BipedalWalker): a world built afresh from a start drawn as the
// env's reset draws it, with the reset's zero-action step, then stepped; it
// ends as the env's episodes do (a fall, x < 0, the finish line).
class WalkerRawSimulation : public RawSimulation {
 public:
  explicit WalkerRawSimulation(WalkerStepping stepping) : stepping_(stepping) {}
  void restart() override {
    const WalkerStart start = draw_walker_start(rng_, stepping_.physics);
    Rng terrain_rng(start.terrain_seed);
    const WalkerTerrain terrain = generate_walker_terrain(terrain_rng, start.physics.obstacle_rate);
    world_.reset();
    world_ = std::make_unique<BipedalWalkerWorld>(start, terrain);
    const float zero[BipedalWalkerWorld::kJoints] = {};
    world_->step(zero);
  }
  void step(const float* actions) override { world_->step(actions); }
  bool episode_ended() const override {
    const double x = world_->hull().GetPosition().x;
    return world_->hull_touched() || x < 0 || x > bipedal::kFinishX;
  }

 private:
  WalkerStepping stepping_;
  Rng rng_{1};
  std::unique_ptr<BipedalWalkerWorld> world_;
};

// The raw loop compared with `env_name`: its simulator stepping its model or
// world, or with `raw_env` that of another env (a terrain env against its
// robot's flat model: what the heightfield costs), given the options of
// `options` it takes, restarting at `env_name`'s time limit.
RawStepping raw_loop_stepping(const std::string& env_name, const Options& options, const std::string& raw_env) {
  const auto env = make_env(env_name, options);
  std::unique_ptr<Env> other;
  if (!raw_env.empty()) {
    Options raw_options;
    for (const auto& [key, value] : options.values())
      if (env_registry().entry(raw_env).takes(key)) raw_options.set(key, value);
    other = make_env(raw_env, raw_options);
    if (other->num_agents() != env->num_agents() || other->act_dim() != env->act_dim())
      throw_env_error("bench: --raw-env ", raw_env, " acts with ", other->act_dim(), " values, ", env_name, " with ",
                      env->act_dim());
  }
  const Env& simulated = other ? *other : *env;
  if (auto mujoco = mujoco_stepping(simulated)) {
    mujoco->episode_steps = env->max_episode_steps();
    return {mujoco->model->nu, mujoco->episode_steps,
            [mujoco] { return std::make_unique<MujocoRawSimulation>(*mujoco); }};
  }
  if (const auto sumo = sumo2d_stepping(simulated))
    return {2 * Sumo2DWorld::kActions, env->max_episode_steps(),
            [sumo] { return std::make_unique<Sumo2DRawSimulation>(*sumo); }};
  if (const auto walker = bipedal_walker_stepping(simulated))
    return {BipedalWalkerWorld::kJoints, env->max_episode_steps(),
            [walker] { return std::make_unique<WalkerRawSimulation>(*walker); }};
  throw_env_error("bench: env ", simulated.name(),
                  " has no raw loop to compare with (MuJoCo envs, Sumo2D and BipedalWalker have)");
}

// The raw loop: `threads` threads, each with its own bare simulation, taking
// the same actions as the vector loop. It restarts every `episode_steps`
// steps, as the envs' time limit does, and when the env's own end rule says
// so, so that both loops simulate the same kind of states.
double raw_steps_per_second(const RawStepping& stepping, const ActionTable& actions, int64_t env_steps, int threads) {
  const int episode_steps = stepping.episode_steps;
  const int64_t per_thread = env_steps / threads;
  std::vector<std::unique_ptr<RawSimulation>> simulations(threads);
  for (auto& simulation : simulations) simulation = stepping.make();
  const auto start = Clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      RawSimulation& simulation = *simulations[t];
      int64_t episode_step = 0;
      for (int64_t s = 0; s < per_thread; ++s) {
        if (episode_step == 0) simulation.restart();
        simulation.step(actions.rows_at(s * threads + t, 1));
        episode_step = simulation.episode_ended() || episode_step + 1 == episode_steps ? 0 : episode_step + 1;
      }
    });
  }
  for (auto& w : workers) w.join();
  const double seconds = seconds_since(start);
  simulations.clear();
  return double(per_thread * threads) / seconds;
}

double vector_steps_per_second(VectorEnv& venv, const ActionTable& actions, int64_t env_steps) {
  const int n = venv.num_envs();
  const int64_t vector_steps = std::max<int64_t>(1, env_steps / n);
  venv.seed(1);
  venv.reset();
  const auto start = Clock::now();
  for (int64_t s = 0; s < vector_steps; ++s) venv.step(actions.rows_at(s * n, n));
  return double(vector_steps * n) / seconds_since(start);
}

// Microseconds per [800x64]·[64x64] matmul, the size of a batched 64-unit
// policy layer. Debian's reference BLAS takes ~1100 us; OpenBLAS ~70 us.
double matmul_microseconds() {
  torch::NoGradGuard no_grad;
  const auto a = torch::randn({800, 64});
  const auto b = torch::randn({64, 64});
  for (int i = 0; i < 10; ++i) (void)torch::mm(a, b);
  const int reps = 200;
  const auto start = Clock::now();
  for (int i = 0; i < reps; ++i) (void)torch::mm(a, b);
  return seconds_since(start) * 1e6 / reps;
}

// A sampler's rollout: the policy plays agent 0 of every env and, in envs
// with several agents, one more policy of the same shape plays each other
// agent (two actors in a match, as self-play samples).
double rollout_steps_per_second(VectorEnv& venv, const Policy& policy, int64_t env_steps) {
  venv.seed(1);
  Sampler sampler(venv, policy, 1);
  std::vector<std::unique_ptr<GaussianMlpPolicy>> opponent_policies;
  std::vector<Actor> opponents;
  for (int agent = 1; agent < venv.num_agents(); ++agent) {
    opponent_policies.push_back(std::make_unique<GaussianMlpPolicy>(
        venv.env(0).obs_dim(agent), venv.env(0).act_dim(agent), MlpPolicyConfig{}));
    opponents.push_back(Actor{opponent_policies.back().get(), opponent_policies.back()->parameters(), nullptr,
                              venv.rows_of_agent(agent)});
  }
  if (!opponents.empty()) sampler.set_opponents(std::move(opponents));
  const int64_t steps = std::max<int64_t>(1, env_steps / venv.num_envs());
  sampler.collect(1, policy.parameters());  // resets the envs outside the timed region
  const auto start = Clock::now();
  sampler.collect(steps, policy.parameters());
  return double(steps * venv.num_envs()) / seconds_since(start);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Rounded so that the JSON prints 0.955, not 0.95500000000000007.
double rounded(double x, double scale) { return std::round(x * scale) / scale; }

// Two loops timed as `repeats` adjacent pairs, order alternating: the machine
// drifts over seconds, a pair sees the same conditions.
struct PairedTimings {
  std::vector<double> first, second, ratios;  // rates, and first / second per pair

  PairedTimings(int repeats, const std::function<double()>& time_first, const std::function<double()>& time_second) {
    for (int r = 0; r < repeats; ++r) {
      if (r % 2 == 0) {
        first.push_back(time_first());
        second.push_back(time_second());
      } else {
        second.push_back(time_second());
        first.push_back(time_first());
      }
      ratios.push_back(first.back() / second.back());
    }
  }

  // The median ratio and the range of the per-pair ratios.
  void add_ratios(nlohmann::json& row) const {
    row["ratio"] = rounded(median(ratios), 1000);
    row["ratio_min"] = rounded(*std::min_element(ratios.begin(), ratios.end()), 1000);
    row["ratio_max"] = rounded(*std::max_element(ratios.begin(), ratios.end()), 1000);
  }
};

double mean_metric(const std::vector<Metrics>& runs, const std::string& name) {
  double sum = 0;
  for (const auto& m : runs)
    for (const auto& [key, value] : m)
      if (key == name) sum += value;
  return sum / runs.size();
}

// Times PPO iterations of the reference HalfCheetah configuration
// (experiments/ppo/halfcheetah.yaml) and splits them into their parts.
void bench_ppo_iteration(const BenchConfig& config, std::ostream& out) {
  using nlohmann::json;
  for (int threads : config.threads) {
    set_compute_threads(threads);
    VectorEnv venv("HalfCheetah", 8, threads);
    torch::manual_seed(0);
    TrainerConfig trainer_config;  // defaults are the reference run's PPO settings
    trainer_config.anneal_learning_rate = true;
    const LearnerFactory ppo = [](Policy& policy, MlpValueFunction* value, uint64_t seed) {
      return std::make_unique<PpoLearner>(policy, *value, PpoConfig{}, seed);
    };
    PolicyGradientTrainer trainer(venv, std::make_unique<GaussianMlpPolicy>(17, 6, MlpPolicyConfig{}),
                                  trainer_config, ppo, 0, 100);
    trainer.run_iteration();  // warm-up
    std::vector<Metrics> runs;
    for (int r = 0; r < std::max(3, config.repeats); ++r) runs.push_back(trainer.run_iteration());
    const double total = mean_metric(runs, "iter_seconds");
    const double env = mean_metric(runs, "env_seconds"), policy = mean_metric(runs, "policy_seconds");
    const double sample = mean_metric(runs, "sample_seconds"), learn = mean_metric(runs, "learn_seconds");
    out << json{{"bench", "ppo_iteration"},
                {"env", "HalfCheetah"},
                {"threads", threads},
                {"num_envs", 8},
                {"env_steps", 2048},
                {"iterations", runs.size()},
                {"iteration_seconds", total},
                {"simulation_seconds", env},
                {"policy_inference_seconds", policy},
                {"sampler_other_seconds", sample - env - policy},
                {"learner_seconds", learn},
                {"simulation_share", env / total},
                {"policy_share", policy / total},
                {"learner_share", learn / total}}
               .dump()
        << std::endl;
  }
}

// The same env steps as `many` envs and as `few` envs (a pair of timings,
// order alternating, per repeat), beside the raw loop: whether a big batch of
// short-lived envs costs more per step than a small batch of long-lived ones.
void bench_layout(const BenchConfig& config, const std::vector<RawStepping>& steppings, std::ostream& out) {
  using nlohmann::json;
  const int many = config.num_envs[0], few = config.num_envs[1];
  for (size_t e = 0; e < config.envs.size(); ++e) {
    const std::string& env_name = config.envs[e];
    const RawStepping& stepping = steppings[e];
    const ActionTable actions(std::max(4096, 2 * many), stepping.action_floats, 12345);
    const double calib = raw_steps_per_second(stepping, actions, 500, 1);
    for (int threads : config.threads) {
      const int64_t budget = std::max<int64_t>(4 * int64_t(many), int64_t(calib * threads * config.seconds_per_loop));
      VectorEnv venv_many(env_name, many, threads, config.env_options);
      VectorEnv venv_few(env_name, few, threads, config.env_options);
      std::vector<double> raw;
      const PairedTimings timings(
          config.repeats, [&] { return vector_steps_per_second(venv_many, actions, budget); },
          [&] {
            // The raw loop once per pair, as a reference for both.
            raw.push_back(raw_steps_per_second(stepping, actions, budget, threads));
            return vector_steps_per_second(venv_few, actions, budget);
          });
      json row{{"bench", "layout"},
               {"env", env_name},
               {"env_options", config.env_options.to_string()},
               {"threads", threads},
               {"many_envs", many},
               {"few_envs", few},
               {"env_steps", budget},
               {"repeats", config.repeats},
               {"many_steps_per_s", rounded(median(timings.first), 1)},
               {"few_steps_per_s", rounded(median(timings.second), 1)},
               {"raw_steps_per_s", rounded(median(raw), 1)}};
      timings.add_ratios(row);
      out << row.dump() << std::endl;
    }
  }
}

}  // namespace

void run_bench(const BenchConfig& config, std::ostream& out) {
  using nlohmann::json;
  if (config.mode != "vector" && config.mode != "rollout" && config.mode != "ppo" && config.mode != "layout")
    throw_env_error("bench: unknown mode '", config.mode, "' (known: vector, rollout, ppo, layout)");
  if (config.mode == "layout" && (config.num_envs.size() != 2 || config.num_envs[0] < 1 || config.num_envs[1] < 1))
    throw_env_error("bench: --mode layout takes two --num-envs, MANY FEW (e.g. 800 40)");
  std::vector<RawStepping> steppings;  // one per env; an env without a raw loop fails before anything is measured
  for (const std::string& env_name : config.envs)
    steppings.push_back(raw_loop_stepping(env_name, config.env_options, config.raw_env));
  if (config.blas_check) {
    // On one thread: two threads on a machine whose cores are busy with other
    // runs took 12.9 ms here (OpenMP workers waiting on each other), far past
    // the threshold, though the BLAS was the fast one.
    const int check_threads = 1, threads_before = torch::get_num_threads();
    set_compute_threads(check_threads);
    const double us = matmul_microseconds();
    set_compute_threads(threads_before);
    out << json{{"check", "blas_matmul_800x64x64"},
                {"microseconds", std::round(us * 10) / 10},
                {"torch_threads", check_threads},
                {"ok", us < 400.0},
                {"hint", us < 400.0 ? "" : "slow BLAS: install libopenblas0-pthread (scripts/install_deps.sh)"}}
               .dump()
        << std::endl;
  }

  if (config.mode == "ppo") return bench_ppo_iteration(config, out);
  if (config.mode == "layout") return bench_layout(config, steppings, out);

  for (size_t e = 0; e < config.envs.size(); ++e) {
    const std::string& env_name = config.envs[e];
    const RawStepping& stepping = steppings[e];
    const ActionTable actions(4096, stepping.action_floats, 12345);

    // Calibrate the step budget on one thread so each loop lasts about seconds_per_loop.
    const double calib = raw_steps_per_second(stepping, actions, 500, 1);
    for (int threads : config.threads) {
      const int64_t budget = std::max<int64_t>(64 * 4, int64_t(calib * threads * config.seconds_per_loop));
      for (int n : config.num_envs) {
        VectorEnv venv(env_name, n, threads, config.env_options);
        torch::manual_seed(0);
        const GaussianMlpPolicy policy(venv.env(0).obs_dim(0), venv.env(0).act_dim(0), MlpPolicyConfig{});  // 64x64 tanh
        const bool rollout = config.mode == "rollout";
        const PairedTimings timings(
            config.repeats,
            [&] {
              return rollout ? rollout_steps_per_second(venv, policy, budget)
                             : vector_steps_per_second(venv, actions, budget);
            },
            [&] { return raw_steps_per_second(stepping, actions, budget, threads); });
        json row{{"bench", !rollout ? "vector_env" : venv.num_agents() > 1 ? "rollout_64x64_policy_per_agent" : "rollout_64x64_policy"},
                 {"env", env_name},
                 {"raw_env", config.raw_env.empty() ? env_name : config.raw_env},
                 {"threads", threads},
                 {"num_envs", n},
                 {"env_steps", budget},
                 {"repeats", config.repeats},
                 {rollout ? "rollout_steps_per_s" : "vector_steps_per_s", rounded(median(timings.first), 1)},
                 {"raw_steps_per_s", rounded(median(timings.second), 1)}};
        timings.add_ratios(row);
        out << row.dump() << std::endl;
      }
    }
  }
}

}  // namespace metarl
