#pragma once
/// \file stderr_capture.hpp
/// While alive, everything written to file descriptor 2 (std::cerr and
/// stderr alike) goes to a temporary file instead; `text()` reads it. For
/// tests of what the default log sink and the runtime's warnings print.

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

namespace otp_test {

class stderr_capture {
public:
  stderr_capture() : file_(std::tmpfile()), saved_(::dup(2)) {
    flush();
    ::dup2(::fileno(file_), 2);
  }
  stderr_capture(const stderr_capture&) = delete;
  stderr_capture& operator=(const stderr_capture&) = delete;
  ~stderr_capture() {
    flush();
    ::dup2(saved_, 2);
    ::close(saved_);
    std::fclose(file_);
  }

  /// Everything captured so far.
  std::string text() const {
    flush();
    std::string out;
    char buf[4096];
    for (off_t at = 0;;) {
      const ssize_t n = ::pread(::fileno(file_), buf, sizeof buf, at);
      if (n <= 0)
        return out;
      out.append(buf, static_cast<std::size_t>(n));
      at += n;
    }
  }

  /// Whether `part` was captured.
  bool contains(const std::string& part) const {
    return text().find(part) != std::string::npos;
  }

private:
  static void flush() {
    std::cerr.flush();
    std::fflush(stderr);
  }

  std::FILE* file_;
  int saved_;
};

} // namespace otp_test
