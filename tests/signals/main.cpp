// The Catch2 main of signals_tests.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
