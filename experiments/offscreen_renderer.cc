#include "experiments/offscreen_renderer.h"

#include <GL/osmesa.h>

#include <stdexcept>
#include <string>

namespace metarl {

struct OffscreenRenderer::Context {
  OSMesaContext context = nullptr;
  std::vector<uint8_t> buffer;  // what OSMesa draws the default framebuffer into (MuJoCo renders offscreen)
};

OffscreenRenderer::OffscreenRenderer(const mjModel* model, int width, int height)
    : gl_(new Context), model_(model), width_(width), height_(height) {
  if (width < 1 || height < 1 || width > model->vis.global.offwidth || height > model->vis.global.offheight) {
    delete gl_;
    throw std::runtime_error("offscreen renderer: " + std::to_string(width) + " x " + std::to_string(height) +
                             " pixels, the model's offscreen buffer is " + std::to_string(model->vis.global.offwidth) +
                             " x " + std::to_string(model->vis.global.offheight));
  }
  gl_->context = OSMesaCreateContextExt(OSMESA_RGBA, 24, 8, 0, nullptr);
  gl_->buffer.resize(size_t(width) * size_t(height) * 4);
  if (!gl_->context || !OSMesaMakeCurrent(gl_->context, gl_->buffer.data(), GL_UNSIGNED_BYTE, width, height)) {
    if (gl_->context) OSMesaDestroyContext(gl_->context);
    delete gl_;
    throw std::runtime_error("offscreen renderer: OSMesa could not make an OpenGL context (libosmesa6)");
  }
  mjv_defaultScene(&scene_);
  mjv_defaultOption(&option_);
  mjr_defaultContext(&context_);
  mjv_makeScene(model, &scene_, 2000);
  mjr_makeContext(model, &context_, mjFONTSCALE_100);
  mjr_setBuffer(mjFB_OFFSCREEN, &context_);
}

OffscreenRenderer::~OffscreenRenderer() {
  mjr_freeContext(&context_);
  mjv_freeScene(&scene_);
  OSMesaDestroyContext(gl_->context);
  delete gl_;
}

std::vector<uint8_t> OffscreenRenderer::render(const mjData* data, const CameraPose& pose, const std::string& labels,
                                               const std::string& values) {
  OSMesaMakeCurrent(gl_->context, gl_->buffer.data(), GL_UNSIGNED_BYTE, width_, height_);
  mjvCamera camera;
  mjv_defaultCamera(&camera);
  camera.type = mjCAMERA_FREE;
  for (int i = 0; i < 3; ++i) camera.lookat[i] = pose.lookat[i];
  camera.distance = pose.distance;
  camera.azimuth = pose.azimuth;
  camera.elevation = pose.elevation;
  mjv_updateScene(model_, const_cast<mjData*>(data), &option_, nullptr, &camera, mjCAT_ALL, &scene_);
  const mjrRect viewport = {0, 0, width_, height_};
  mjr_render(viewport, &scene_, &context_);
  if (!labels.empty() || !values.empty())
    mjr_overlay(mjFONT_NORMAL, mjGRID_TOPLEFT, viewport, labels.c_str(), values.c_str(), &context_);
  std::vector<uint8_t> bottom_up(size_t(width_) * size_t(height_) * 3);
  mjr_readPixels(bottom_up.data(), nullptr, viewport, &context_);
  std::vector<uint8_t> rgb(bottom_up.size());  // OpenGL's rows start at the bottom
  const size_t row = size_t(width_) * 3;
  for (int y = 0; y < height_; ++y)
    std::copy_n(bottom_up.data() + size_t(height_ - 1 - y) * row, row, rgb.data() + size_t(y) * row);
  return rgb;
}

}  // namespace metarl
