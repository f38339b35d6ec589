// `metarl replay`: watch a match or a rollout. Recording plays one episode
// (two players in a match env, or one player in a one-agent env) and keeps
// the physics' positions of every frame, which with the env's model are
// every body's pose, in a small replay directory; rendering draws each frame
// with MuJoCo's own renderer offscreen (experiments/offscreen_renderer.h)
// into a video, the step and each agent's return written over it.
//
// A replay directory:
//   replay.json   the env, its options and seed, the players, the frame
//                 count, nq, the control step, the outcome (matches), and
//                 per frame each agent's return so far, the ring's radius
//                 (round rings: drawn per episode); for Box2D envs
//                 (Sumo2D) also each body's shapes
//   qpos.bin      frames × nq float64 positions (frame 0 after the reset,
//                 then one per step, the episode's last state included):
//                 MuJoCo's qpos, or x, y and angle of each Box2D body
//   replay.mp4, first.png, last.png   once rendered
// A Box2D world is drawn by MuJoCo too: its bodies become flat mocap bodies
// of a scene made for the replay (discs and boxes on a ring). Agent 0 is
// red, agent 1 blue (MuJoCo sumo robots too: envs/sumo/sumo_scene.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "experiments/offscreen_renderer.h"

namespace metarl {

struct ReplayOptions {
  std::string player_a;  // a `metarl match` player (run, checkpoint, random)
  std::string player_b;  // empty: a one-agent env, player_a's rollout
  std::string env;       // default: the env of the first player that is a run
  std::string env_options;
  uint64_t seed = 0;
  std::string out_dir;
  // Rendering.
  int width = 640, height = 480;
  std::string camera = "follow";  // follow: behind and above the robots; top: straight down on them
};

// Plays the episode and writes replay.json and qpos.bin into out_dir.
void record_replay(const ReplayOptions& options);

// A Box2D body as a replay draws it: discs and boxes in the body's frame.
struct ReplayShape {
  bool circle = true;
  double x = 0, y = 0;        // centre
  double a = 0, b = 0;        // a circle's radius; a box's half-length and half-width
  double angle = 0;           // a box's angle
};
struct ReplayBody {
  int agent = -1;  // whose it is (-1: nobody's)
  std::vector<ReplayShape> shapes;
};

// A recorded replay, read back.
struct Replay {
  std::string env, env_options;
  std::string kind = "mujoco";    // or "box2d"
  std::vector<ReplayBody> bodies;  // box2d: nq = 3 × bodies
  double ring_radius = 0;          // the episode's round ring (0: none)
  int nq = 0;
  double dt = 0;  // seconds per frame
  std::vector<std::vector<double>> qpos;     // [frame][nq]
  std::vector<std::vector<double>> returns;  // [frame][agent]
  std::string outcome;                       // matches: "agent 0 won (pushed out)", ...
};
Replay read_replay(const std::string& dir);

// Throws std::invalid_argument unless `camera` is follow or top.
void check_camera(const std::string& camera);

// The camera on a state ("follow": behind and above the robots' root
// bodies, or "top": straight down on them); `data`'s positions computed.
CameraPose replay_camera(const mjModel* model, const mjData* data, const std::string& camera);

// Frame `frame` of the replay in `dir` as RGB rows, top first (what the video shows, without the text).
std::vector<uint8_t> render_replay_frame(const std::string& dir, int frame, int width, int height,
                                         const std::string& camera);

// Renders the replay in `dir` into replay.mp4 (ffmpeg), first.png and last.png.
void render_replay(const std::string& dir, int width, int height, const std::string& camera);

}  // namespace metarl
