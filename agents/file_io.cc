#include "agents/file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
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

}  // namespace metarl
