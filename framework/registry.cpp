#include "framework/registry.hpp"

#include "framework/detail/runtime_impl.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace otp {

namespace detail {

void runtime_impl::register_name(const std::string& name, process* p) {
  if (name.empty())
    throw std::invalid_argument("otp::register_name: the name is empty");
  if (p == nullptr)
    throw std::invalid_argument("otp::register_name: the null pid names no "
                                "process (name \""
                                + name + "\")");
  if (p->rt != this)
    throw std::invalid_argument("otp::register_name: <0."
                                + std::to_string(p->serial)
                                + ".0> belongs to another runtime");
  std::lock_guard<std::mutex> lk(registry_m_);
  auto taken = names_.find(name);
  if (taken != names_.end()) {
    throw std::invalid_argument(
        "otp::register_name: \"" + name + "\" is already registered to <0."
        + std::to_string(taken->second->serial) + ".0>");
  }
  auto old = name_of_.find(p);
  if (old != name_of_.end())
    throw std::invalid_argument(
        "otp::register_name: <0." + std::to_string(p->serial)
        + ".0> is already registered as \"" + old->second + "\"");
  // Handshake with finish(), which stores `dead` and then reads `named`
  // (both seq_cst): either we see `dead` here and back out, or it sees
  // `named` and releases the name (under this lock, so after we are done).
  p->named.store(true, std::memory_order_seq_cst);
  if (p->state.load(std::memory_order_seq_cst) == proc_state::dead) {
    p->named.store(false, std::memory_order_relaxed);
    throw std::invalid_argument("otp::register_name: <0."
                                + std::to_string(p->serial)
                                + ".0> is not alive (name \"" + name + "\")");
  }
  names_.emplace(name, p);
  name_of_.emplace(p, name);
}

void runtime_impl::unregister_name(const std::string& name) {
  std::lock_guard<std::mutex> lk(registry_m_);
  auto it = names_.find(name);
  if (it == names_.end())
    throw std::invalid_argument("otp::unregister_name: \"" + name
                                + "\" is not registered");
  it->second->named.store(false, std::memory_order_release);
  name_of_.erase(it->second);
  names_.erase(it);
}

pid runtime_impl::whereis(const std::string& name) const {
  std::lock_guard<std::mutex> lk(registry_m_);
  auto it = names_.find(name);
  if (it == names_.end())
    return {};
  retain(it->second);
  return pid::adopt(it->second, it->second->serial);
}

std::vector<std::string> runtime_impl::registered() const {
  std::lock_guard<std::mutex> lk(registry_m_);
  std::vector<std::string> out;
  out.reserve(names_.size());
  for (const auto& [name, p] : names_)
    out.push_back(name);
  return out;
}

bool runtime_impl::try_name_of(const process* p, char* out,
                               std::size_t cap) const noexcept {
  if (cap == 0 || !registry_m_.try_lock())
    return false;
  auto it = name_of_.find(p);
  const bool found = it != name_of_.end();
  if (found) {
    const std::size_t n = std::min(cap - 1, it->second.size());
    std::memcpy(out, it->second.data(), n);
    out[n] = '\0';
  }
  registry_m_.unlock();
  return found;
}

std::string runtime_impl::name_of(const process* p) const {
  std::lock_guard<std::mutex> lk(registry_m_);
  auto it = name_of_.find(p);
  return it == name_of_.end() ? std::string() : it->second;
}

void runtime_impl::release_name(process* p) noexcept {
  std::lock_guard<std::mutex> lk(registry_m_);
  auto it = name_of_.find(p);
  if (it == name_of_.end())
    return;
  names_.erase(it->second);
  name_of_.erase(it);
  p->named.store(false, std::memory_order_release);
}

pid whereis_or_throw(const std::string& name) {
  pid p = require_process("otp::send")->rt->whereis(name);
  if (!p)
    throw std::invalid_argument("otp::send: no process registered as \"" + name
                                + "\"");
  return p;
}

} // namespace detail

void register_name(const std::string& name, const pid& p) {
  detail::require_process("otp::register_name")
      ->rt->register_name(name, p.get());
}

void unregister_name(const std::string& name) {
  detail::require_process("otp::unregister_name")->rt->unregister_name(name);
}

pid whereis(const std::string& name) {
  return detail::require_process("otp::whereis")->rt->whereis(name);
}

std::vector<std::string> registered() {
  return detail::require_process("otp::registered")->rt->registered();
}

} // namespace otp
