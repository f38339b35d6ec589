#include "agents/params.h"

namespace metarl {

torch::Tensor flatten(const Params& params) {
  std::vector<torch::Tensor> flat;
  flat.reserve(params.size());
  for (const auto& p : params) flat.push_back(p.reshape({-1}));
  return torch::cat(flat);
}

Params unflatten(const torch::Tensor& flat, const Params& like) {
  Params out;
  out.reserve(like.size());
  int64_t offset = 0;
  for (const auto& p : like) {
    const int64_t n = p.numel();
    out.push_back(flat.narrow(0, offset, n).view(p.sizes()));
    offset += n;
  }
  TORCH_CHECK(offset == flat.numel(), "unflatten: ", flat.numel(), " values for ", offset, " parameters");
  return out;
}

Params detached_leaves(const Params& params) {
  Params out;
  out.reserve(params.size());
  for (const auto& p : params) out.push_back(p.detach().clone().requires_grad_(true));
  return out;
}

int64_t count_elements(const Params& params) {
  int64_t n = 0;
  for (const auto& p : params) n += p.numel();
  return n;
}

std::string shape_of(const torch::Tensor& t) {
  if (!t.defined()) return "(undefined)";
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(t.size(i));
  }
  return s + "]";
}

}  // namespace metarl
