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
#include "envs/box2d/sumo2d.h"
#include "envs/core/match.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/sumo/sumo_env.h"
#include "envs/sumo/sumo_scene.h"
#include "envs/vector_env.h"
#include "experiments/io.h"
#include "experiments/match.h"
#include "experiments/players.h"
#include "meta/selfplay_trainer.h"

namespace fs = std::filesystem;

namespace metarl {
namespace {

// A match's outcome in words, from both agents' info rows at its last step
// (player A is agent 0): who won, and how the loser lost (or time up).
std::string outcome_of(const std::vector<std::vector<float>>& infos) {
  if (infos.size() != 2 || infos[0].size() < size_t(kNumMatchInfo)) return "";
  const auto flag = [&](int agent, int term) { return infos[size_t(agent)][size_t(term)] > 0.5f; };
  const int winner = flag(0, kInfoWon) ? 0 : flag(1, kInfoWon) ? 1 : -1;
  if (winner < 0) return flag(0, kInfoTimeUp) ? "drawn (time up)" : "drawn (both out)";
  const int loser = 1 - winner;
  const std::string how = flag(loser, kInfoPushedOut) ? "pushed out" : flag(loser, kInfoFell) ? "fell" : "";
  return std::string(winner == 0 ? "player A won" : "player B won") + (how.empty() ? "" : " (" + how + ")");
}

// The non-static bodies of a Box2D world, in its list's order (which a
// world built the same way repeats), and their poses.
std::vector<ReplayBody> box2d_bodies(const b2World& world) {
  std::vector<ReplayBody> bodies;
  for (const b2Body* body = world.GetBodyList(); body; body = body->GetNext()) {
    if (body->GetType() == b2_staticBody) continue;
    ReplayBody out;
    for (const b2Fixture* f = body->GetFixtureList(); f; f = f->GetNext()) {
      if (f->GetFilterData().groupIndex < 0) out.agent = -f->GetFilterData().groupIndex - 1;
      ReplayShape shape;
      if (f->GetType() == b2Shape::e_circle) {
        const auto* c = static_cast<const b2CircleShape*>(f->GetShape());
        shape = {true, c->m_p.x, c->m_p.y, c->m_radius, 0, 0};
      } else if (f->GetType() == b2Shape::e_polygon) {
        // A rectangle (SetAsBox): its centre, half sides and the angle of its first edge.
        const auto* p = static_cast<const b2PolygonShape*>(f->GetShape());
        if (p->m_count != 4) throw std::invalid_argument("replay: a Box2D polygon that is no rectangle");
        b2Vec2 centre(0, 0);
        for (int v = 0; v < 4; ++v) centre += 0.25f * p->m_vertices[v];
        const b2Vec2 first = p->m_vertices[1] - p->m_vertices[0], second = p->m_vertices[2] - p->m_vertices[1];
        shape = {false, centre.x, centre.y, 0.5 * first.Length(), 0.5 * second.Length(), std::atan2(first.y, first.x)};
      } else {
        throw std::invalid_argument("replay: a Box2D shape other than a circle or a polygon");
      }
      out.shapes.push_back(shape);
    }
    bodies.push_back(out);
  }
  return bodies;
}

std::vector<double> box2d_poses(const b2World& world) {
  std::vector<double> poses;
  for (const b2Body* body = world.GetBodyList(); body; body = body->GetNext()) {
    if (body->GetType() == b2_staticBody) continue;
    poses.insert(poses.end(), {body->GetPosition().x, body->GetPosition().y, body->GetAngle()});
  }
  return poses;
}

// A flat MuJoCo scene of a Box2D replay: the ring, and one mocap body per
// Box2D body (discs as short cylinders, boxes), agent 0 red, agent 1 blue.
std::string box2d_scene(const Replay& r) {
  std::ostringstream x;
  x << "<mujoco><visual><global offwidth='1280' offheight='960'/></visual><worldbody>"
    << "<light pos='0 0 8' dir='0 0 -1' directional='true'/>"
    << "<geom type='plane' size='40 40 0.1' pos='0 0 -0.11' rgba='0.35 0.35 0.4 1'/>"
    << "<geom type='cylinder' size='" << r.ring_radius << " 0.05' pos='0 0 -0.05' rgba='0.93 0.85 0.62 1'/>";
  const char* colours[] = {kSumoSeatColour[0], kSumoSeatColour[1], "0.6 0.6 0.6 1"};
  for (size_t b = 0; b < r.bodies.size(); ++b) {
    const ReplayBody& body = r.bodies[b];
    const char* rgba = colours[body.agent == 0 ? 0 : body.agent == 1 ? 1 : 2];
    x << "<body name='b" << b << "' mocap='true'>";
    for (const ReplayShape& s : body.shapes) {
      if (s.circle)
        x << "<geom type='cylinder' size='" << s.a << " 0.1' pos='" << s.x << " " << s.y << " 0.1' rgba='" << rgba
          << "'/>";
      else
        x << "<geom type='box' size='" << s.a << " " << s.b << " 0.06' pos='" << s.x << " " << s.y
          << " 0.12' euler='0 0 " << s.angle << "' rgba='" << rgba << "'/>";
    }
    x << "</body>";
  }
  x << "</worldbody></mujoco>";
  return x.str();
}

// What a replay is drawn from: a MuJoCo model, and each frame's state in it.
class ReplayScene {
 public:
  explicit ReplayScene(const Replay& replay) : replay_(replay) {
    if (replay.kind == "box2d") {
      model_ = load_reference_model_from_xml(replay.env + " replay", box2d_scene(replay));
    } else {
      env_ = std::make_unique<VectorEnv>(replay.env, 1, 1, Options::parse(replay.env_options));
      const auto* mujoco = dynamic_cast<const MujocoEnv*>(&env_->env(0));
      if (!mujoco || mujoco->model()->nq != replay.nq)
        throw std::runtime_error("replay: " + replay.env + " with options '" + replay.env_options +
                                 "' does not build the recorded model (nq " + std::to_string(replay.nq) + ")");
      model_ = mujoco->shared_reference_model();
      // A ring drawn per episode: the recorded one (the model holds the largest).
      const int platform = mj_name2id(model_.get(), mjOBJ_GEOM, kPlatformGeom);
      if (replay.ring_radius > 0 && platform >= 0) {
        std::shared_ptr<mjModel> copy(mj_copyModel(nullptr, model_.get()), mj_deleteModel);
        copy->geom_size[3 * platform] = replay.ring_radius;
        model_ = copy;
      }
    }
    data_.reset(mj_makeData(model_.get()));
  }
  const mjModel* model() const { return model_.get(); }
  const mjData* data() const { return data_.get(); }

  // Puts the scene in frame `f`'s state, positions computed.
  void pose(size_t f) {
    const std::vector<double>& q = replay_.qpos.at(f);
    if (replay_.kind == "box2d") {
      for (size_t b = 0; b < replay_.bodies.size(); ++b) {
        data_->mocap_pos[3 * b] = q[3 * b];
        data_->mocap_pos[3 * b + 1] = q[3 * b + 1];
        data_->mocap_pos[3 * b + 2] = 0;
        const double half = q[3 * b + 2] / 2;  // about z
        data_->mocap_quat[4 * b] = std::cos(half);
        data_->mocap_quat[4 * b + 1] = data_->mocap_quat[4 * b + 2] = 0;
        data_->mocap_quat[4 * b + 3] = std::sin(half);
      }
    } else {
      std::copy(q.begin(), q.end(), data_->qpos);
    }
    mj_forward(model_.get(), data_.get());
  }

  CameraPose camera(const std::string& name) const {
    if (replay_.kind != "box2d") return replay_camera(model_.get(), data_.get(), name);
    check_camera(name);
    CameraPose pose;  // the whole ring
    pose.distance = 3.2 * replay_.ring_radius;
    pose.elevation = name == "top" ? -90 : -55;
    return pose;
  }

 private:
  struct DataDeleter {
    void operator()(mjData* d) const { mj_deleteData(d); }
  };
  const Replay& replay_;
  std::unique_ptr<VectorEnv> env_;
  std::shared_ptr<const mjModel> model_;
  std::unique_ptr<mjData, DataDeleter> data_;
};

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
  const auto [env_name, env_options] = players_env("replay", o.env, {o.player_a, o.player_b}, o.env_options);
  VectorEnv env(env_name, 1, 1, env_options);
  const auto* mujoco = dynamic_cast<const MujocoEnv*>(&env.env(0));
  const bool box2d = dynamic_cast<const Sumo2DEnv*>(&env.env(0)) != nullptr;
  if (!mujoco && !box2d)
    throw std::invalid_argument("replay: " + env_name + " is neither a MuJoCo env nor Sumo2D: it has no replay");
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
  Player a = load_player(o.player_a, env, 0);
  Player b;
  if (match) b = load_player(o.player_b, env, b_agent);

  // Frame 0 after the reset, then one after each step, up to the episode's
  // last state (the observer sees it before the auto-reset).
  const int agents = env.num_agents();
  std::vector<std::vector<double>> qpos, returns;
  std::vector<std::vector<float>> last_infos(static_cast<size_t>(agents));  // each agent's info row after the last step
  std::vector<ReplayBody> bodies;  // box2d
  double ring_radius = 0;          // the episode's ring (0: no round ring)
  bool ended = false;
  env.set_state_observer([&](int i, const Env& e) {
    if (i != 0 || ended) return;
    if (!qpos.empty() && e.elapsed_steps() == 0) {  // the next episode's reset
      ended = true;
      return;
    }
    if (box2d) {
      const auto& sumo = dynamic_cast<const Sumo2DEnv&>(e);
      if (qpos.empty()) {
        bodies = box2d_bodies(sumo.world().physics());
        ring_radius = sumo.start().ring_radius;
      }
      qpos.push_back(box2d_poses(sumo.world().physics()));
    } else {
      const auto& m = dynamic_cast<const MujocoEnv&>(e);
      if (const auto* sumo = dynamic_cast<const SumoEnv*>(&e); sumo && qpos.empty()) ring_radius = sumo->ring_radius();
      qpos.emplace_back(m.qpos(), m.qpos() + m.model()->nq);
    }
    std::vector<double> so_far(size_t(agents), 0.0);
    if (!returns.empty())
      for (int k = 0; k < agents; ++k) {
        so_far[size_t(k)] = returns.back()[size_t(k)] + env.rewards()[k];
        const float* row = env.infos() + size_t(k) * size_t(env.info_dim());
        last_infos[size_t(k)].assign(row, row + env.info_dim());
      }
    returns.push_back(so_far);
  });
  env.seed(o.seed);
  Sampler sampler(env, *a.policy, o.seed, a.normalizer.get(), /*update_normalizer=*/false, learner_rows);
  if (match) {
    std::vector<Actor> opponents;
    opponents.push_back(Actor{b.policy.get(), b.policy->parameters(), b.normalizer.get(), opponent_rows});
    sampler.set_opponents(std::move(opponents));
  }
  sampler.collect_episodes(env.env(0).max_episode_steps(), a.policy->parameters());
  env.set_state_observer({});

  const int nq = int(qpos.at(0).size());
  nlohmann::json shapes = nlohmann::json::array();
  for (const ReplayBody& body : bodies) {
    nlohmann::json list = nlohmann::json::array();
    for (const ReplayShape& sh : body.shapes)
      list.push_back(sh.circle ? nlohmann::json{{"circle", {sh.x, sh.y, sh.a}}}
                               : nlohmann::json{{"box", {sh.x, sh.y, sh.a, sh.b, sh.angle}}});
    shapes.push_back({{"agent", body.agent}, {"shapes", list}});
  }
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
                         {"kind", box2d ? "box2d" : "mujoco"},
                         {"bodies", shapes},
                         {"ring_radius", ring_radius},
                         {"nq", nq},
                         {"dt", box2d ? Sumo2DWorld::kControlDt : mujoco->dt()},
                         {"outcome", match ? outcome_of(last_infos) : ""},
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
    r.kind = j.at("kind").get<std::string>();
    r.ring_radius = j.at("ring_radius").get<double>();
    for (const auto& body : j.at("bodies")) {
      ReplayBody b;
      b.agent = body.at("agent").get<int>();
      for (const auto& sh : body.at("shapes")) {
        const bool circle = sh.contains("circle");
        const auto v = sh.at(circle ? "circle" : "box").get<std::vector<double>>();
        if (v.size() != (circle ? 3u : 5u)) throw std::runtime_error("a shape of " + std::to_string(v.size()) + " numbers");
        b.shapes.push_back(circle ? ReplayShape{true, v[0], v[1], v[2], 0, 0} : ReplayShape{false, v[0], v[1], v[2], v[3], v[4]});
      }
      r.bodies.push_back(b);
    }
    if (r.kind != "mujoco" && (r.kind != "box2d" || size_t(r.nq) != 3 * r.bodies.size()))
      throw std::runtime_error("kind " + r.kind + " with nq " + std::to_string(r.nq) + " and " +
                               std::to_string(r.bodies.size()) + " bodies");
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
  ReplayScene scene(replay);
  scene.pose(size_t(frame));
  OffscreenRenderer renderer(scene.model(), width, height);
  return renderer.render(scene.data(), scene.camera(camera));
}

void render_replay(const std::string& dir, int width, int height, const std::string& camera) {
  if (width % 2 || height % 2) throw std::invalid_argument("replay: --width and --height must be even (H.264)");
  check_camera(camera);
  const Replay replay = read_replay(dir);
  ReplayScene scene(replay);
  OffscreenRenderer renderer(scene.model(), width, height);
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
    scene.pose(f);
    const auto [labels, values] = text(f);
    std::vector<uint8_t> image = renderer.render(scene.data(), scene.camera(camera), labels, values);
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
