# OTP_SANITIZERS=address,undefined builds everything with those sanitizers.
#
# Processes run on fiber stacks that ASan does not know about: Debian's
# Boost.Context (fcontext) does not announce its stack switches to ASan, and
# our stack pool hands a stack that one process left to the next. Frames
# that a process left by a context switch or by unwinding keep their
# redzone poison, so the next process on that memory trips over it. ASan's
# own `__asan_handle_no_return` (run on every throw) does the same when it
# reads into the stale shadow. These are false stack-buffer-overflow,
# -underflow and use-after-scope reports. `asan-stack=0` turns off the stack
# redzones, so nothing is poisoned on fiber stacks; ASan still checks the
# heap (use after free, overflow, double free, leaks) and globals, and UBSan
# checks array bounds. OTP_ASAN_STACK=ON brings the stack checks back.
option(OTP_ASAN_STACK "With OTP_SANITIZERS=address: also instrument stack frames (false positives on fiber stacks)" OFF)

if(OTP_SANITIZERS)
  add_compile_options(-fsanitize=${OTP_SANITIZERS} -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=${OTP_SANITIZERS})
  if(OTP_SANITIZERS MATCHES "address" AND NOT OTP_ASAN_STACK)
    add_compile_options(--param=asan-stack=0)
  endif()
endif()
