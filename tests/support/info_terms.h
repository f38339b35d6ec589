// Reading an env's named info terms in tests.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "envs/core/env.h"

namespace metarl {

// The index of `name` among the env's info names (a test failure if absent).
inline int info_index(const Env& env, const std::string& name) {
  const auto& names = env.info_names();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return int(i);
  ADD_FAILURE() << "no info term " << name;
  return 0;
}

// Agent `agent`'s value of info term `name` in transition `t`.
inline float info_of(const Env& env, const Transition& t, int agent, const std::string& name) {
  return t.info[size_t(agent) * env.info_names().size() + size_t(info_index(env, name))];
}

}  // namespace metarl
