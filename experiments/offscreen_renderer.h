// MuJoCo's own renderer, offscreen, on Mesa's software OpenGL (OSMesa): no
// display and no GPU, so replays render on any machine the suite builds on.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <mujoco/mujoco.h>

namespace metarl {

// A camera looking at `lookat` from `distance`, `azimuth` and `elevation`
// degrees (MuJoCo's free camera; elevation −90 looks straight down, with
// +x to the right and +y up in the image at azimuth 90).
struct CameraPose {
  double lookat[3] = {0, 0, 0};
  double distance = 6;
  double azimuth = 90;
  double elevation = -45;
};

class OffscreenRenderer {
 public:
  // One OpenGL context for `model` at width × height pixels (at most the
  // model's offscreen buffer, visual/global offwidth × offheight, 640 × 480
  // by default). Throws std::runtime_error when OSMesa cannot make one. One
  // renderer at a time per thread: the context is made current here.
  OffscreenRenderer(const mjModel* model, int width, int height);
  ~OffscreenRenderer();
  OffscreenRenderer(const OffscreenRenderer&) = delete;
  OffscreenRenderer& operator=(const OffscreenRenderer&) = delete;

  // `data`'s state (its positions computed: mj_kinematics or mj_forward)
  // seen from `camera`: RGB bytes, rows from the top of the image down.
  // `labels` and `values` (lines separated by '\n') are written in two
  // columns at the top left.
  std::vector<uint8_t> render(const mjData* data, const CameraPose& camera, const std::string& labels = "",
                              const std::string& values = "");

  int width() const { return width_; }
  int height() const { return height_; }

 private:
  struct Context;  // the OSMesa context and its buffer
  Context* gl_;
  const mjModel* model_;
  int width_, height_;
  mjvScene scene_;
  mjvOption option_;
  mjrContext context_;
};

}  // namespace metarl
