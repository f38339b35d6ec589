// Named scalars reported by learners and trainers, in a stable order (they
// become the columns of metrics.csv).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace metarl {

using Metrics = std::vector<std::pair<std::string, double>>;

}  // namespace metarl
