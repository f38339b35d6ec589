#include "experiments/replay.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "agents/file_io.h"
#include "agents/sampler.h"
#include "envs/core/match.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/vector_env.h"
#include "experiments/io.h"
#include "experiments/match.h"
#include "experiments/players.h"
#include "meta/selfplay_trainer.h"

namespace fs = std::filesystem;

namespace metarl {
namespace {

// The learner's outcome at its episode's end, in words.
std::string outcome_of(const EpisodeBatch& batch) {
  const auto ended = (batch.masks > 0).logical_and(batch.episode_end > 0).select(1, 0).nonzero();
  if (ended.size(0) != 1) return "";
  const auto info = batch.infos[ended[0][0].item<int64_t>()][0];
  const auto flag = [&](int term) { return info[term].item<float>() > 0.5f; };
  std::string how = flag(kInfoTimeUp) ? "time up" : flag(kInfoPushedOut) ? "pushed out" : flag(kInfoFell) ? "fell" : "";
  std::string result = flag(kInfoWon) ? "player A won" : flag(kInfoLost) ? "player B won" : "drawn";
  return how.empty() ? result : result + " (" + how + ")";
}

// Owns an mjData.
struct DataDeleter {
  void operator()(mjData* d) const { mj_deleteData(d); }
};
using DataPtr = std::unique_ptr<mjData, DataDeleter>;

// A fresh env as the replay's was built, to take its model from.
std::unique_ptr<VectorEnv> env_of(const Replay& replay) {
  auto env = std::make_unique<VectorEnv>(replay.env, 1, 1, Options::parse(replay.env_options));
  const auto* mujoco = dynamic_cast<const MujocoEnv*>(&env->env(0));
  if (!mujoco || mujoco->model()->nq != replay.nq)
    throw std::runtime_error("replay: " + replay.env + " with options '" + replay.env_options +
                             "' does not build the recorded model (nq " + std::to_string(replay.nq) + ")");
  return env;
}

void pose_frame(const mjModel* m, mjData* d, const std::vector<double>& qpos) {
  std::copy(qpos.begin(), qpos.end(), d->qpos);
  mj_forward(m, d);
}

// ffmpeg reading raw RGB frames from a pipe.
class FfmpegPipe {
 public:
  FfmpegPipe(const std::string& arguments, const std::string& target) : target_(target) {
    const std::string command = "ffmpeg -y -loglevel error " + arguments;
    pipe_ = popen(command.c_str(), "w");
    if (!pipe_) throw std::runtime_error("replay: cannot start ffmpeg for " + target);
  }
  void write(const std::vector<uint8_t>& frame) {
    if (std::fwrite(frame.data(), 1, frame.size(), pipe_) != frame.size())
      throw std::runtime_error("replay: ffmpeg stopped reading frames for " + target_);
  }
  void close() {
    const int status = pclose(pipe_);
    pipe_ = nullptr;
    if (status != 0) throw std::runtime_error("replay: ffmpeg failed writing " + target_ + " (is ffmpeg installed?)");
  }
  ~FfmpegPipe() {
    if (pipe_) pclose(pipe_);
  }

 private:
  std::FILE* pipe_ = nullptr;
  std::string target_;
};

std::string raw_input(int width, int height, double fps) {
  std::ostringstream out;
  out << "-f rawvideo -pix_fmt rgb24 -s " << width << "x" << height << " -r " << fps << " -i - ";
  return out.str();
}

}  // namespace

void record_replay(const ReplayOptions& o) {
  if (o.out_dir.empty()) throw std::invalid_argument("replay: --out is required");
  std::string env_name = o.env;
  Options env_options;
  if (env_name.empty()) {
    for (const std::string& spec : {o.player_a, o.player_b})
      if (!spec.empty() && is_run_player(spec)) {
        env_of_run(spec, env_name, env_options);
        break;
      }
    if (env_name.empty()) throw std::invalid_argument("replay: no player is a run: name the env with --env");
  }
  const Options overrides = Options::parse(o.env_options);
  for (const auto& [key, value] : overrides.values()) env_options.set(key, value);
  VectorEnv env(env_name, 1, 1, env_options);
  const auto* mujoco = dynamic_cast<const MujocoEnv*>(&env.env(0));
  if (!mujoco) throw std::invalid_argument("replay: " + env_name + " is not a MuJoCo env (its replays are not written yet)");
  const bool match = env.num_agents() == 2;
  if (match == o.player_b.empty())
    throw std::invalid_argument("replay: " + env_name + " has " + std::to_string(env.num_agents()) +
                                " agent(s): name " + (match ? "two players" : "one player"));
  std::vector<int64_t> learner_rows = {0}, opponent_rows;
  int b_agent = 0;
  if (match) {
    const SelfplaySeats seats = selfplay_seats(env);
    learner_rows = seats.learner_rows;  // one env: player A plays agent 0
    opponent_rows = seats.opponent_rows;
    b_agent = seats.same_kind ? 0 : 1;
  }
  Player a = load_player(o.player_a, env.observation_space(0).size(), env.action_space(0), env_name);
  Player b;
  if (match) b = load_player(o.player_b, env.observation_space(b_agent).size(), env.action_space(b_agent), env_name);

  // Frame 0 after the reset, then one after each step, up to the episode's
  // last state (the observer sees it before the auto-reset).
  const int nq = mujoco->model()->nq;
  const int agents = env.num_agents();
  std::vector<std::vector<double>> qpos, returns;
  bool ended = false;
  env.set_state_observer([&](int i, const Env& e) {
    if (i != 0 || ended) return;
    if (!qpos.empty() && e.elapsed_steps() == 0) {  // the next episode's reset
      ended = true;
      return;
    }
    const auto& m = dynamic_cast<const MujocoEnv&>(e);
    qpos.emplace_back(m.qpos(), m.qpos() + nq);
    std::vector<double> so_far(size_t(agents), 0.0);
    if (!returns.empty())
      for (int k = 0; k < agents; ++k) so_far[size_t(k)] = returns.back()[size_t(k)] + env.rewards()[k];
    returns.push_back(so_far);
  });
  env.seed(o.seed);
  Sampler sampler(env, *a.policy, o.seed, a.normalizer.get(), /*update_normalizer=*/false, learner_rows);
  if (match) {
    std::vector<Actor> opponents;
    opponents.push_back(Actor{b.policy.get(), b.policy->parameters(), b.normalizer.get(), opponent_rows});
    sampler.set_opponents(std::move(opponents));
  }
  const EpisodeBatch batch = sampler.collect_episodes(env.env(0).max_episode_steps(), a.policy->parameters());
  env.set_state_observer({});

  fs::create_directories(o.out_dir);
  std::string bytes(qpos.size() * size_t(nq) * sizeof(double), '\0');
  for (size_t f = 0; f < qpos.size(); ++f)
    std::memcpy(bytes.data() + f * size_t(nq) * sizeof(double), qpos[f].data(), size_t(nq) * sizeof(double));
  write_file_atomically((fs::path(o.out_dir) / "qpos.bin").string(), bytes);
  write_json_atomically((fs::path(o.out_dir) / "replay.json").string(),
                        {{"env", env_name},
                         {"env_options", env_options.to_string()},
                         {"seed", o.seed},
                         {"player_a", o.player_a},
                         {"player_b", o.player_b},
                         {"frames", qpos.size()},
                         {"nq", nq},
                         {"dt", mujoco->dt()},
                         {"outcome", match ? outcome_of(batch) : ""},
                         {"returns", returns}});
}

Replay read_replay(const std::string& dir) {
  const fs::path path = fs::path(dir) / "replay.json";
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path.string()));
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path.string() + ": not a replay (" + e.what() + ")");
  }
  Replay r;
  try {
    r.env = j.at("env").get<std::string>();
    r.env_options = j.at("env_options").get<std::string>();
    r.nq = j.at("nq").get<int>();
    r.dt = j.at("dt").get<double>();
    r.outcome = j.at("outcome").get<std::string>();
    r.returns = j.at("returns").get<std::vector<std::vector<double>>>();
    const size_t frames = j.at("frames").get<size_t>();
    const std::string bytes = read_file((fs::path(dir) / "qpos.bin").string());
    if (bytes.size() != frames * size_t(r.nq) * sizeof(double) || r.returns.size() != frames)
      throw std::runtime_error("qpos.bin or the returns do not hold " + std::to_string(frames) + " frames");
    r.qpos.assign(frames, std::vector<double>(size_t(r.nq)));
    for (size_t f = 0; f < frames; ++f)
      std::memcpy(r.qpos[f].data(), bytes.data() + f * size_t(r.nq) * sizeof(double), size_t(r.nq) * sizeof(double));
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path.string() + ": not a replay (" + e.what() + ")");
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(dir + ": " + e.what());
  }
  return r;
}

void check_camera(const std::string& camera) {
  if (camera != "follow" && camera != "top")
    throw std::invalid_argument("replay: --camera must be follow or top, not " + camera);
}

CameraPose replay_camera(const mjModel* m, const mjData* d, const std::string& camera) {
  check_camera(camera);
  // The robots: the bodies hanging from the world by joints of their own.
  double centre[3] = {0, 0, 0};
  double low[2] = {1e9, 1e9}, high[2] = {-1e9, -1e9};
  int roots = 0;
  for (int b = 1; b < m->nbody; ++b) {
    if (m->body_parentid[b] != 0 || m->body_jntnum[b] == 0) continue;
    for (int k = 0; k < 3; ++k) centre[k] += d->xpos[3 * b + k];
    for (int k = 0; k < 2; ++k) {
      low[k] = std::min(low[k], d->xpos[3 * b + k]);
      high[k] = std::max(high[k], d->xpos[3 * b + k]);
    }
    ++roots;
  }
  CameraPose pose;
  if (roots == 0) return pose;
  for (int k = 0; k < 3; ++k) pose.lookat[k] = centre[k] / roots;
  const double spread = std::max(high[0] - low[0], high[1] - low[1]);
  pose.distance = 3.5 + 1.2 * spread;
  pose.azimuth = 90;
  pose.elevation = camera == "top" ? -90 : -30;
  return pose;
}

std::vector<uint8_t> render_replay_frame(const std::string& dir, int frame, int width, int height,
                                         const std::string& camera) {
  check_camera(camera);
  const Replay replay = read_replay(dir);
  if (frame < 0 || size_t(frame) >= replay.qpos.size())
    throw std::invalid_argument("replay: no frame " + std::to_string(frame) + " in " + dir);
  const auto env = env_of(replay);
  const mjModel* m = dynamic_cast<const MujocoEnv&>(env->env(0)).model();
  const DataPtr d(mj_makeData(m));
  pose_frame(m, d.get(), replay.qpos[size_t(frame)]);
  OffscreenRenderer renderer(m, width, height);
  return renderer.render(d.get(), replay_camera(m, d.get(), camera));
}

void render_replay(const std::string& dir, int width, int height, const std::string& camera) {
  if (width % 2 || height % 2) throw std::invalid_argument("replay: --width and --height must be even (H.264)");
  check_camera(camera);
  const Replay replay = read_replay(dir);
  const auto env = env_of(replay);
  const mjModel* m = dynamic_cast<const MujocoEnv&>(env->env(0)).model();
  const DataPtr d(mj_makeData(m));
  OffscreenRenderer renderer(m, width, height);
  const double fps = 1 / replay.dt;
  const fs::path out(dir);
  FfmpegPipe video(raw_input(width, height, fps) + "-pix_fmt yuv420p '" + (out / "replay.mp4").string() + "'",
                   (out / "replay.mp4").string());
  const size_t frames = replay.qpos.size();
  const auto text = [&](size_t f) {
    std::ostringstream labels, values;
    labels << "step";
    values << f << " / " << frames - 1;
    for (size_t k = 0; k < replay.returns[f].size(); ++k) {
      labels << "\nagent " << k << " return";
      values << "\n" << std::lround(replay.returns[f][k]);
    }
    if (f + 1 == frames && !replay.outcome.empty()) {
      labels << "\noutcome";
      values << "\n" << replay.outcome;
    }
    return std::make_pair(labels.str(), values.str());
  };
  std::vector<uint8_t> first, last;
  for (size_t f = 0; f < frames; ++f) {
    pose_frame(m, d.get(), replay.qpos[f]);
    const auto [labels, values] = text(f);
    std::vector<uint8_t> image = renderer.render(d.get(), replay_camera(m, d.get(), camera), labels, values);
    video.write(image);
    if (f == 0) first = image;
    if (f + 1 == frames) last = std::move(image);
  }
  video.close();
  for (const auto& [name, image] : {std::make_pair("first.png", &first), std::make_pair("last.png", &last)}) {
    FfmpegPipe png(raw_input(width, height, 1) + "-frames:v 1 '" + (out / name).string() + "'", (out / name).string());
    png.write(*image);
    png.close();
  }
}

}  // namespace metarl
