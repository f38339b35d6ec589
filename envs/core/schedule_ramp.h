// What every dynamics schedule of numbers shares (the MuJoCo model fields',
// the walker's physics): values given as a number or "{key}" (the task's
// value of key), and the linear ramp from `from` to `to` along a chain or
// an episode.
#pragma once

#include <string>

namespace metarl {

class Task;

// `text` with every "{key}" replaced by the task's value of key (integers
// printed without a decimal point, so that "hip_{leg}" names hip_3). Throws,
// naming `who`, for an unclosed brace or a key when `task` is null.
std::string substitute_task_keys(const std::string& text, const Task* task, const std::string& who);

// `text` as a finite number; throws naming `who` and `key` otherwise.
double parse_schedule_number(const std::string& text, const std::string& who, const char* key);

// from + (to - from) * min(position, length - 1) / (length - 1): `to` from
// the last position on (and for length 1), `from` before the first.
double ramp(double from, double to, int position, int length);

}  // namespace metarl
