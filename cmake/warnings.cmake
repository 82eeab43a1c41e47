# Warnings for our own targets: otp_set_warnings(target)
function(otp_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic
                         -Wno-unused-parameter)
endfunction()
