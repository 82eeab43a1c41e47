# OTP_SANITIZERS=address,undefined builds everything with those sanitizers.
if(OTP_SANITIZERS)
  add_compile_options(-fsanitize=${OTP_SANITIZERS} -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=${OTP_SANITIZERS})
endif()
