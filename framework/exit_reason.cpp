#include "framework/exit_reason.hpp"

#include "framework/detail/exception_trace.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <ostream>
#include <stdexcept>

namespace otp {

struct exit_reason::text {
  text(std::string t, std::string d, exit_reason i = {},
       std::vector<std::uintptr_t> s = {})
      : type(std::move(t)),
        detail(std::move(d)),
        inner(std::move(i)),
        trace(std::move(s)) {}
  std::string type;
  std::string detail;
  exit_reason inner;
  std::vector<std::uintptr_t> trace;
};

namespace {
const std::string empty_string;
const std::vector<std::uintptr_t> no_trace;
/// `text::type` of a wrapped reason printed `{Input,Reason}`.
const std::string input_first_tag = "input";

const exit_reason::kind all_kinds[] = {exit_reason::kind::normal,
                                       exit_reason::kind::shutdown,
                                       exit_reason::kind::kill,
                                       exit_reason::kind::killed,
                                       exit_reason::kind::noproc,
                                       exit_reason::kind::timeout,
                                       exit_reason::kind::exception,
                                       exit_reason::kind::user,
                                       exit_reason::kind::bad_return_value,
                                       exit_reason::kind::calling_self,
                                       exit_reason::kind::already_started,
                                       exit_reason::kind::wrapped,
                                       exit_reason::kind::stack_overflow,
                                       exit_reason::kind::system_limit};
} // namespace

exit_error::exit_error(exit_reason reason)
    : reason_(std::move(reason)),
      what_("exit: " + reason_.to_string()) {}

exit_reason exit_reason::shutdown(std::string detail) {
  return {kind::shutdown,
          std::make_shared<const text>(text({}, std::move(detail)))};
}

exit_reason exit_reason::exception(std::string type, std::string what,
                                   std::vector<std::uintptr_t> trace) {
  return {kind::exception,
          std::make_shared<const text>(
              text(std::move(type), std::move(what), {}, std::move(trace)))};
}

const std::vector<std::uintptr_t>& exit_reason::stack_trace() const noexcept {
  return kind_ == kind::exception ? text_->trace : no_trace;
}

std::string exit_reason::stack_trace_text() const {
  return detail::symbolize(stack_trace(), "    ");
}

exit_reason exit_reason::user(std::string t) {
  return {kind::user, std::make_shared<const text>(text({}, std::move(t)))};
}

exit_reason exit_reason::bad_return_value(std::string value) {
  return {kind::bad_return_value,
          std::make_shared<const text>(text({}, std::move(value)))};
}

exit_reason exit_reason::already_started(std::string holder) {
  return {kind::already_started,
          std::make_shared<const text>(text({}, std::move(holder)))};
}

exit_reason exit_reason::wrap(exit_reason inner, std::string where) {
  return {kind::wrapped, std::make_shared<const text>(
                             text({}, std::move(where), std::move(inner)))};
}

exit_reason exit_reason::with_input(std::string input, exit_reason reason) {
  return {kind::wrapped,
          std::make_shared<const text>(
              text(input_first_tag, std::move(input), std::move(reason)))};
}

bool exit_reason::input_first() const noexcept {
  return kind_ == kind::wrapped && text_->type == input_first_tag;
}

const exit_reason& exit_reason::inner() const noexcept {
  return kind_ == kind::wrapped ? text_->inner : *this;
}

const std::string& exit_reason::where() const noexcept {
  return kind_ == kind::wrapped ? text_->detail : empty_string;
}

const exit_reason& exit_reason::root() const noexcept {
  const exit_reason* r = this;
  while (r->kind_ == kind::wrapped)
    r = &r->text_->inner;
  return *r;
}

const std::string& exit_reason::detail() const noexcept {
  return text_ ? text_->detail : empty_string;
}

const std::string& exit_reason::exception_type() const noexcept {
  return kind_ == kind::exception ? text_->type : empty_string;
}

std::string exit_reason::to_string() const {
  switch (kind_) {
  case kind::shutdown:
    return text_ ? "{shutdown," + text_->detail + "}" : "shutdown";
  case kind::exception:
    return "{exception," + exception_type() + ",\"" + detail() + "\"}";
  case kind::user:
    return detail();
  case kind::bad_return_value:
    return "{bad_return_value," + detail() + "}";
  case kind::already_started:
    return "{already_started," + detail() + "}";
  case kind::wrapped:
    if (input_first())
      return "{" + detail() + "," + text_->inner.to_string() + "}";
    return "{" + text_->inner.to_string() + "," + detail() + "}";
  default:
    return otp::to_string(kind_);
  }
}

bool operator==(const exit_reason& a, const exit_reason& b) noexcept {
  if (a.kind_ != b.kind_)
    return false;
  const bool at = a.text_ != nullptr;
  const bool bt = b.text_ != nullptr;
  if (at != bt)
    return false;
  return !at
         || (a.text_->type == b.text_->type
             && a.text_->detail == b.text_->detail
             && a.text_->inner == b.text_->inner);
}

std::ostream& operator<<(std::ostream& os, const exit_reason& r) {
  return os << r.to_string();
}

const char* to_string(exit_reason::kind k) noexcept {
  switch (k) {
  case exit_reason::kind::normal:
    return "normal";
  case exit_reason::kind::shutdown:
    return "shutdown";
  case exit_reason::kind::kill:
    return "kill";
  case exit_reason::kind::killed:
    return "killed";
  case exit_reason::kind::noproc:
    return "noproc";
  case exit_reason::kind::timeout:
    return "timeout";
  case exit_reason::kind::exception:
    return "exception";
  case exit_reason::kind::user:
    return "user";
  case exit_reason::kind::bad_return_value:
    return "bad_return_value";
  case exit_reason::kind::calling_self:
    return "calling_self";
  case exit_reason::kind::already_started:
    return "already_started";
  case exit_reason::kind::wrapped:
    return "wrapped";
  case exit_reason::kind::stack_overflow:
    return "stack_overflow";
  case exit_reason::kind::system_limit:
    return "system_limit";
  }
  return "unknown";
}

void to_json(nlohmann::json& j, const exit_reason& r) {
  j = nlohmann::json{{"kind", to_string(r.what_kind())}};
  switch (r.what_kind()) {
  case exit_reason::kind::shutdown:
    if (r.has_detail())
      j["detail"] = r.detail();
    break;
  case exit_reason::kind::exception: {
    j["type"] = r.exception_type();
    j["what"] = r.detail();
    if (r.stack_trace().empty())
      break;
    // One string per frame, as stack_trace_text() prints them.
    const std::string t = detail::symbolize(r.stack_trace(), "");
    auto& frames = j["stack_trace"] = nlohmann::json::array();
    std::size_t at = 0;
    while (at <= t.size()) {
      const std::size_t nl = std::min(t.find('\n', at), t.size());
      frames.push_back(t.substr(at, nl - at));
      at = nl + 1;
    }
    break;
  }
  case exit_reason::kind::user:
    j["text"] = r.detail();
    break;
  case exit_reason::kind::bad_return_value:
  case exit_reason::kind::already_started:
    j["detail"] = r.detail();
    break;
  case exit_reason::kind::wrapped:
    j["inner"] = r.inner();
    j["where"] = r.where();
    if (r.input_first())
      j["input_first"] = true;
    break;
  default:
    break;
  }
}

namespace {
std::string string_field(const nlohmann::json& j, const char* name,
                         bool required) {
  auto it = j.find(name);
  if (it == j.end()) {
    if (required)
      throw std::invalid_argument(std::string("exit_reason JSON: missing \"")
                                  + name + "\"");
    return {};
  }
  if (!it->is_string())
    throw std::invalid_argument(std::string("exit_reason JSON: \"") + name
                                + "\" must be a string");
  return it->get<std::string>();
}
} // namespace

void from_json(const nlohmann::json& j, exit_reason& r) {
  if (!j.is_object())
    throw std::invalid_argument("exit_reason JSON: expected an object");
  const std::string k = string_field(j, "kind", true);
  for (exit_reason::kind candidate : all_kinds) {
    if (k != to_string(candidate))
      continue;
    switch (candidate) {
    case exit_reason::kind::shutdown:
      if (j.contains("detail"))
        r = exit_reason::shutdown(string_field(j, "detail", true));
      else
        r = exit_reason::shutdown();
      return;
    case exit_reason::kind::exception:
      r = exit_reason::exception(string_field(j, "type", true),
                                 string_field(j, "what", true));
      return;
    case exit_reason::kind::user:
      r = exit_reason::user(string_field(j, "text", true));
      return;
    case exit_reason::kind::normal:
      r = exit_reason::normal();
      return;
    case exit_reason::kind::kill:
      r = exit_reason::kill();
      return;
    case exit_reason::kind::killed:
      r = exit_reason::killed();
      return;
    case exit_reason::kind::noproc:
      r = exit_reason::noproc();
      return;
    case exit_reason::kind::timeout:
      r = exit_reason::timeout();
      return;
    case exit_reason::kind::bad_return_value:
      r = exit_reason::bad_return_value(string_field(j, "detail", true));
      return;
    case exit_reason::kind::calling_self:
      r = exit_reason::calling_self();
      return;
    case exit_reason::kind::stack_overflow:
      r = exit_reason::stack_overflow();
      return;
    case exit_reason::kind::system_limit:
      r = exit_reason::system_limit();
      return;
    case exit_reason::kind::already_started:
      r = exit_reason::already_started(string_field(j, "detail", true));
      return;
    case exit_reason::kind::wrapped: {
      auto it = j.find("inner");
      if (it == j.end())
        throw std::invalid_argument("exit_reason JSON: missing \"inner\"");
      exit_reason in;
      from_json(*it, in);
      auto where = string_field(j, "where", true);
      auto flag = j.find("input_first");
      if (flag != j.end() && !flag->is_boolean())
        throw std::invalid_argument(
            "exit_reason JSON: \"input_first\" is not a boolean");
      r = flag != j.end() && flag->get<bool>()
              ? exit_reason::with_input(std::move(where), std::move(in))
              : exit_reason::wrap(std::move(in), std::move(where));
      return;
    }
    }
  }
  throw std::invalid_argument("exit_reason JSON: unknown \"kind\" \"" + k
                              + "\"");
}

} // namespace otp
