// Reading whole files and replacing them atomically: a reader (or a crash)
// sees the old file or the new one, never a mix, and a failed write leaves no
// temporary file behind. Used by checkpoints and every writer of a run's
// output directory.
#pragma once

#include <string>

namespace metarl {

// The whole file as bytes; a std::runtime_error "<path>: cannot read file: <reason>" if it cannot be read.
std::string read_file(const std::string& path);

// Writes `content` to a temporary file in the same directory, flushes it to
// disk and renames it over `path`. On failure (a full disk, a file-size
// limit, a read-only directory) the temporary file is removed, `path` is left
// as it was and a std::runtime_error names `path` and the reason.
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace metarl
