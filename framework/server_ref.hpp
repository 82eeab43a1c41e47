#pragma once
/// \file server_ref.hpp
/// `server_ref`: how a client names a server, by pid or by registered name
/// (Erlang's `ServerRef`). A name is looked up at each use, so a restarted
/// server registered under the same name is found again. A value type; use
/// it from any process.

#include "framework/pid.hpp"

#include <iosfwd>
#include <string>

namespace otp {

/// A pid or a registered name.
class server_ref {
public:
  server_ref() = default;
  server_ref(pid p) : pid_(std::move(p)) {}
  server_ref(std::string name) : name_(std::move(name)) {}
  server_ref(const char* name) : name_(name) {}

  /// True when this names a process by its registered name.
  bool by_name() const noexcept { return !name_.empty(); }
  /// The name (empty when given by pid).
  const std::string& name() const noexcept { return name_; }
  /// The pid now behind this reference: the pid itself, or what the name is
  /// registered to (the null pid if nobody). Must be called from a process.
  pid resolve() const;
  /// `<0.42.0>` or the name.
  std::string to_string() const;
  friend std::ostream& operator<<(std::ostream& os, const server_ref& r);

private:
  pid pid_;
  std::string name_;
};

} // namespace otp
