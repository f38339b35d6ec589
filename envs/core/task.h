// Tasks and task families.
//
// A Task is a plain value: the name of its family and a few named numbers
// (target velocity, direction, goal coordinates, leg pair...). It prints as
// "HalfCheetahVel(velocity=1.25)" and parses back to an identical value, so
// tasks can be logged, saved with a checkpoint and restored.
//
// A TaskFamily samples tasks from an Rng and applies one to an env (installing
// the task's reward, goal or physics). Applying a task starts a new chain of
// episodes: the env's episode index restarts at 0 for dynamics schedules.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "envs/core/rng.h"

namespace metarl {

class Env;

class Task {
 public:
  using Param = std::pair<std::string, double>;

  Task() = default;
  Task(std::string family, std::vector<Param> params);

  const std::string& family() const { return family_; }
  const std::vector<Param>& params() const { return params_; }
  bool has(const std::string& key) const;
  // Throws an error naming the task and the key if it is absent.
  double get(const std::string& key) const;

  // Exact round trip: doubles are printed with 17 significant digits.
  std::string to_string() const;
  static Task parse(const std::string& text);

  bool operator==(const Task& other) const { return family_ == other.family_ && params_ == other.params_; }
  bool operator!=(const Task& other) const { return !(*this == other); }

 private:
  std::string family_;
  std::vector<Param> params_;
};

class TaskFamily {
 public:
  virtual ~TaskFamily() = default;

  const std::string& name() const { return name_; }
  // The registered env this family is defined on (e.g. "HalfCheetah").
  const std::string& env_name() const { return env_name_; }

  virtual std::vector<Task> sample(int n, Rng& rng) const = 0;

  // Checks that `task` belongs to this family and `env` is the right kind,
  // installs the task, and restarts the env's chain of episodes.
  void apply(Env& env, const Task& task) const;

 protected:
  TaskFamily(std::string name, std::string env_name) : name_(std::move(name)), env_name_(std::move(env_name)) {}
  Task make_task(std::vector<Task::Param> params) const { return Task(name_, std::move(params)); }
  // Family-specific part of apply(): set the env's reward/goal from the task.
  virtual void configure(Env& env, const Task& task) const = 0;

 private:
  std::string name_;
  std::string env_name_;
};

}  // namespace metarl
