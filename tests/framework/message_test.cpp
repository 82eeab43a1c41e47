// What may be sent: the otp::message concept, string literals, any_message.

#include "framework/otp.hpp"

#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <typeinfo>
#include <utility>
#include <variant>
#include <vector>

namespace msg_test {

struct point {
  int x;
  int y;
};

/// A message type with no operator<<.
struct opaque {
  std::string secret;
};

struct printable {
  int n;
  friend std::ostream& operator<<(std::ostream& os, const printable& p) {
    return os << "printable(" << p.n << ")";
  }
};

} // namespace msg_test

TEST_CASE("the message concept rejects types that share mutable state",
          "[framework][message]") {
  STATIC_REQUIRE_FALSE(otp::message<int*>);
  STATIC_REQUIRE_FALSE(otp::message<const int*>);
  STATIC_REQUIRE_FALSE(otp::message<const char*>);
  STATIC_REQUIRE_FALSE(otp::message<int&>);
  STATIC_REQUIRE_FALSE(otp::message<const std::string&>);
  STATIC_REQUIRE_FALSE(otp::message<std::string&&>);
  STATIC_REQUIRE_FALSE(otp::message<std::reference_wrapper<int>>);
  STATIC_REQUIRE_FALSE(otp::message<std::reference_wrapper<const int>>);
  STATIC_REQUIRE_FALSE(otp::message<std::string_view>);
  STATIC_REQUIRE_FALSE(otp::message<std::span<int>>);
  STATIC_REQUIRE_FALSE(otp::message<std::span<const int, 3>>);
  STATIC_REQUIRE_FALSE(otp::message<std::shared_ptr<int>>);
  STATIC_REQUIRE_FALSE(otp::message<std::shared_ptr<msg_test::point>>);
  STATIC_REQUIRE_FALSE(otp::message<int msg_test::point::*>);
}

TEST_CASE("the message concept looks inside standard containers and wrappers",
          "[framework][message]") {
  STATIC_REQUIRE_FALSE(otp::message<std::vector<int*>>);
  STATIC_REQUIRE_FALSE(otp::message<std::pair<int, char*>>);
  STATIC_REQUIRE_FALSE(otp::message<std::tuple<int, std::string, double*>>);
  STATIC_REQUIRE_FALSE(otp::message<std::optional<std::string_view>>);
  STATIC_REQUIRE_FALSE(otp::message<std::variant<int, std::string_view>>);
  STATIC_REQUIRE_FALSE(otp::message<std::vector<std::shared_ptr<int>>>);
  STATIC_REQUIRE_FALSE(otp::message<std::map<std::string, int*>>);
  STATIC_REQUIRE_FALSE(otp::message<std::vector<std::vector<int*>>>);
  STATIC_REQUIRE_FALSE(otp::message<std::unique_ptr<std::shared_ptr<int>>>);
}

TEST_CASE("the message concept accepts owning values and immutable shares",
          "[framework][message]") {
  STATIC_REQUIRE(otp::message<int>);
  STATIC_REQUIRE(otp::message<double>);
  STATIC_REQUIRE(otp::message<std::string>);
  STATIC_REQUIRE(otp::message<msg_test::point>);
  STATIC_REQUIRE(otp::message<otp::pid>);
  STATIC_REQUIRE(otp::message<otp::exit_reason>);
  STATIC_REQUIRE(otp::message<std::shared_ptr<const int>>);
  STATIC_REQUIRE(otp::message<std::shared_ptr<const msg_test::point>>);
  STATIC_REQUIRE(otp::message<std::unique_ptr<int>>);
  STATIC_REQUIRE(otp::message<std::vector<std::string>>);
  STATIC_REQUIRE(otp::message<std::map<std::string, int>>);
  STATIC_REQUIRE(otp::message<std::pair<int, std::string>>);
  STATIC_REQUIRE(otp::message<std::tuple<int, std::string, double>>);
  STATIC_REQUIRE(otp::message<std::optional<std::string>>);
  STATIC_REQUIRE(otp::message<std::variant<int, std::string>>);
  STATIC_REQUIRE(otp::message<std::vector<std::shared_ptr<const std::string>>>);
}

TEST_CASE("a string literal is sent as a std::string", "[framework][message]") {
  STATIC_REQUIRE(
      std::is_same_v<otp::message_type_t<decltype("hello")>, std::string>);
  STATIC_REQUIRE(
      std::is_same_v<otp::message_type_t<const char(&)[3]>, std::string>);
  STATIC_REQUIRE(std::is_same_v<otp::message_type_t<int&>, int>);
  STATIC_REQUIRE(
      std::is_same_v<otp::message_type_t<const std::string&>, std::string>);

  otp::runtime rt{otp::runtime_options{.threads = 1}};
  std::optional<std::string> got;
  const auto reason = rt.run([&] {
    otp::send(otp::self(), "hello");
    got = otp::receive_as<std::string>(std::chrono::milliseconds(0));
  });
  CHECK(reason == otp::exit_reason::normal());
  REQUIRE(got.has_value());
  CHECK(*got == "hello");
}

TEST_CASE("a message is a copy: the sender's later changes are not seen",
          "[framework][message]") {
  otp::runtime rt{otp::runtime_options{.threads = 1}};
  std::vector<std::string> got;
  const auto reason = rt.run([&] {
    std::vector<std::string> v{"a", "b"};
    otp::send(otp::self(), v);
    v.push_back("c");
    v[0] = "changed";
    got = otp::receive_as<std::vector<std::string>>();
  });
  CHECK(reason == otp::exit_reason::normal());
  CHECK(got == std::vector<std::string>{"a", "b"});
}

TEST_CASE("move-only messages and immutable shared payloads can be sent",
          "[framework][message]") {
  otp::runtime rt{otp::runtime_options{.threads = 1}};
  int unique_value = 0;
  const int* shared_address = nullptr;
  const int* received_address = nullptr;
  const auto reason = rt.run([&] {
    otp::send(otp::self(), std::make_unique<int>(7));
    auto payload = std::make_shared<const int>(99);
    shared_address = payload.get();
    otp::send(otp::self(), payload);
    unique_value = *otp::receive_as<std::unique_ptr<int>>();
    received_address = otp::receive_as<std::shared_ptr<const int>>().get();
  });
  CHECK(reason == otp::exit_reason::normal());
  CHECK(unique_value == 7);
  CHECK(received_address == shared_address);
}

TEST_CASE("any_message knows its type, gives access to its value and prints",
          "[framework][message]") {
  otp::runtime rt{otp::runtime_options{.threads = 1}};
  struct seen {
    bool is_int = false;
    bool is_string = false;
    int value = 0;
    bool bad_cast_thrown = false;
    std::string type_name;
    std::string text;
  };
  std::vector<seen> all;
  const auto reason = rt.run([&] {
    otp::send(otp::self(), 42);
    otp::send(otp::self(), msg_test::point{1, 2});
    for (int i = 0; i < 2; ++i) {
      otp::receive([&](otp::any_message m) {
        seen s;
        s.is_int = m.is<int>();
        s.is_string = m.is<std::string>();
        if (s.is_int)
          s.value = m.get<int>();
        try {
          (void)m.get<std::string>();
        } catch (const std::bad_cast&) {
          s.bad_cast_thrown = true;
        }
        s.type_name = m.type_name();
        s.text = m.to_string();
        all.push_back(s);
      });
    }
  });
  CHECK(reason == otp::exit_reason::normal());
  REQUIRE(all.size() == 2);

  CHECK(all[0].is_int);
  CHECK_FALSE(all[0].is_string);
  CHECK(all[0].value == 42);
  CHECK(all[0].bad_cast_thrown);
  CHECK(all[0].type_name == "int");
  CHECK(all[0].text == "42");

  CHECK_FALSE(all[1].is_int);
  CHECK(all[1].bad_cast_thrown);
  CHECK(all[1].type_name == "msg_test::point");
  CHECK(all[1].text == "#<msg_test::point>");
}

TEST_CASE("any_message prints with the type's operator<< when it has one",
          "[framework][message]") {
  otp::runtime rt{otp::runtime_options{.threads = 1}};
  std::vector<std::string> printed;
  std::vector<std::string> names;
  const auto reason = rt.run([&] {
    otp::send(otp::self(), std::string("hi"));
    otp::send(otp::self(), msg_test::printable{5});
    otp::send(otp::self(), msg_test::opaque{"x"});
    for (int i = 0; i < 3; ++i)
      otp::receive([&](otp::any_message m) {
        std::ostringstream os;
        os << m;
        printed.push_back(os.str());
        names.push_back(m.type_name());
      });
  });
  CHECK(reason == otp::exit_reason::normal());
  CHECK(
      printed
      == std::vector<std::string>{"hi", "printable(5)", "#<msg_test::opaque>"});
  CHECK(names
        == std::vector<std::string>{"std::string", "msg_test::printable",
                                    "msg_test::opaque"});
}

TEST_CASE("a value taken out of an any_message can be changed in place",
          "[framework][message]") {
  otp::runtime rt{otp::runtime_options{.threads = 1}};
  std::string after;
  const auto reason = rt.run([&] {
    otp::send(otp::self(), std::string("abc"));
    otp::receive([&](otp::any_message m) {
      m.get<std::string>() += "def";
      after = m.get<std::string>();
    });
  });
  CHECK(reason == otp::exit_reason::normal());
  CHECK(after == "abcdef");
}
