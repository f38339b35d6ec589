#include "experiments/io.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <set>
#include <stdexcept>

namespace metarl {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what, int error) {
  throw std::runtime_error(path + ": " + what + ": " + std::strerror(error));
}

std::string read_whole_file(const std::string& path, const std::string& what) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) fail(path, what, errno);
  std::string text;
  char buffer[1 << 16];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) text.append(buffer, n);
  const bool failed = std::ferror(file);
  const int error = errno;
  std::fclose(file);
  if (failed) fail(path, what, error);
  return text;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "";
  char buffer[64];
  std::to_chars_result result;
  if (std::floor(value) == value && std::fabs(value) < 1e15)
    result = std::to_chars(buffer, buffer + sizeof(buffer), static_cast<int64_t>(value));
  else  // like %.10g, but independent of the locale
    result = std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::general, 10);
  return std::string(buffer, result.ptr);
}

}  // namespace

std::string read_file(const std::string& path) { return read_whole_file(path, "cannot read file"); }

void write_file_atomically(const std::string& path, const std::string& content) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  if (!target.has_filename()) throw std::runtime_error(path + ": cannot write file: not a file name");
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");

  // A name nobody else uses: this process, a per-process counter, O_EXCL.
  static std::atomic<uint64_t> counter{0};
  std::string temp;
  int fd = -1;
  for (int attempt = 0; fd < 0; ++attempt) {
    temp = (dir / ("." + target.filename().string() + ".tmp." + std::to_string(::getpid()) + "." +
                   std::to_string(counter.fetch_add(1))))
               .string();
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && (errno != EEXIST || attempt >= 100)) fail(path, "cannot write file", errno);
  }

  auto abandon = [&](int error) {
    if (fd >= 0) ::close(fd);
    ::unlink(temp.c_str());
    fail(path, "cannot write file", error);
  };
  const char* data = content.data();
  size_t remaining = content.size();
  while (remaining > 0) {
    const ssize_t n = ::write(fd, data, remaining);
    if (n < 0) {
      if (errno == EINTR) continue;
      abandon(errno);
    }
    data += n;
    remaining -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) abandon(errno);
  const int closed = ::close(fd);
  fd = -1;
  if (closed != 0) abandon(errno);
  if (std::rename(temp.c_str(), path.c_str()) != 0) abandon(errno);
}

void write_json_atomically(const std::string& path, const nlohmann::json& value) {
  write_file_atomically(path, value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

void MetricsCsv::Closer::operator()(std::FILE* file) const { std::fclose(file); }

MetricsCsv::MetricsCsv(std::string path, std::vector<std::string> columns, int64_t resume_after_iteration)
    : path_(std::move(path)), columns_(std::move(columns)) {
  if (columns_.empty() || columns_[0] != "iteration")
    throw std::invalid_argument(path_ + ": the first metrics column must be 'iteration'");
  std::set<std::string> seen;
  std::string header;
  for (const auto& column : columns_) {
    if (column.empty() || column.find_first_of(",\"\r\n") != std::string::npos)
      throw std::invalid_argument(path_ + ": bad metrics column name '" + column + "'");
    if (!seen.insert(column).second)
      throw std::invalid_argument(path_ + ": metrics column '" + column + "' appears twice");
    header += (header.empty() ? "" : ",") + column;
  }

  if (resume_after_iteration < 0) {
    write_file_atomically(path_, header + "\n");
  } else {
    const std::string text = read_whole_file(path_, "cannot resume");
    // Lines; a last line without its newline was torn by a crash and is dropped.
    std::vector<std::string> lines;
    size_t start = 0;
    bool torn = false;
    while (start < text.size()) {
      const size_t end = text.find('\n', start);
      if (end == std::string::npos) {
        lines.push_back(text.substr(start));
        torn = true;
        break;
      }
      lines.push_back(text.substr(start, end - start));
      start = end + 1;
    }
    if (lines.empty() || lines[0] != header)
      throw std::runtime_error(path_ + ": cannot resume: its header is '" + (lines.empty() ? "" : lines[0]) +
                               "' but this run writes '" + header + "'");
    bool changed = torn;
    if (torn && lines.size() > 1) lines.pop_back();
    std::string kept = header + "\n";
    for (size_t i = 1; i < lines.size(); ++i) {
      const std::string& line = lines[i];
      const std::string where = path_ + ": line " + std::to_string(i + 1);
      if (line.empty()) {
        changed = true;
        continue;
      }
      const size_t fields = static_cast<size_t>(std::count(line.begin(), line.end(), ',')) + 1;
      if (fields != columns_.size())
        throw std::runtime_error(where + " has " + std::to_string(fields) + " fields, expected " +
                                 std::to_string(columns_.size()));
      int64_t iteration = 0;
      const size_t comma = line.find(',');
      const char* last = line.data() + (comma == std::string::npos ? line.size() : comma);
      const auto parsed = std::from_chars(line.data(), last, iteration);
      if (parsed.ec != std::errc() || parsed.ptr != last)
        throw std::runtime_error(where + ": cannot read the iteration from '" + line.substr(0, last - line.data()) +
                                 "'");
      if (iteration > resume_after_iteration) {
        changed = true;
        continue;
      }
      kept += line + "\n";
    }
    if (changed) write_file_atomically(path_, kept);
  }

  file_.reset(std::fopen(path_.c_str(), "ab"));
  if (!file_) fail(path_, "cannot open for appending", errno);
}

void MetricsCsv::append(const std::vector<double>& values) {
  if (values.size() != columns_.size())
    throw std::invalid_argument(path_ + ": a row of " + std::to_string(values.size()) + " values for " +
                                std::to_string(columns_.size()) + " columns");
  std::string line;
  for (size_t i = 0; i < values.size(); ++i) line += (i ? "," : "") + format_value(values[i]);
  line += "\n";
  if (std::fwrite(line.data(), 1, line.size(), file_.get()) != line.size() || std::fflush(file_.get()) != 0)
    fail(path_, "cannot append a row", errno);
}

}  // namespace metarl
