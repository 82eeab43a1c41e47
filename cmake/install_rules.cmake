# Install rules and the exported CMake package `otp`.
#
#   cmake --install build --prefix /opt/otp
#
# installs
#   include/otp/{framework,behaviours,supervision}/...  the public headers and
#                                                       the detail/ headers
#                                                       they include (their
#                                                       templates need them),
#                                                       folders kept; no other
#                                                       internal header
#   lib/libotp_framework.a
#   lib/cmake/otp/otpConfig.cmake, otpConfigVersion.cmake, otpTargets*.cmake
#
# and a consumer writes
#
#   find_package(otp 0.1 REQUIRED)
#   target_link_libraries(app PRIVATE otp::otp)   # or otp::framework, ...
#
# Headers are included as "framework/otp.hpp": the targets' install interface
# adds include/otp to the include path.
#
# otpConfig.cmake records OTP_BOOST_STATIC, so a consumer links Boost.Fiber
# and Boost.Context the way this build did (static by default); .ci/run checks
# the consumer's `ldd`.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(OTP_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/otp"
    CACHE STRING "Where otpConfig.cmake is installed, relative to the prefix")

# -- headers ------------------------------------------------------------------

# The public headers are those outside detail/ folders. Installed with them:
# every header they include, transitively (`#include "framework/..."` and
# the like), which brings the detail/ headers their templates need and none
# that only our .cpp files use (the control block, the schedulers, ...).
set(otp_header_queue "")
foreach(dir IN ITEMS framework behaviours supervision)
  file(GLOB_RECURSE headers CONFIGURE_DEPENDS
       RELATIVE "${PROJECT_SOURCE_DIR}" "${PROJECT_SOURCE_DIR}/${dir}/*.hpp")
  foreach(header IN LISTS headers)
    if(NOT header MATCHES "(^|/)detail/")
      list(APPEND otp_header_queue "${header}")
    endif()
  endforeach()
endforeach()
set(otp_installed_headers "")
while(otp_header_queue)
  list(POP_FRONT otp_header_queue header)
  if(header IN_LIST otp_installed_headers)
    continue()
  endif()
  if(NOT EXISTS "${PROJECT_SOURCE_DIR}/${header}")
    message(FATAL_ERROR "install_rules: ${header} is included by an "
                        "installed header but does not exist")
  endif()
  list(APPEND otp_installed_headers "${header}")
  file(STRINGS "${PROJECT_SOURCE_DIR}/${header}" includes
       REGEX "^[ \t]*#[ \t]*include[ \t]*\"(framework|behaviours|supervision)/")
  foreach(line IN LISTS includes)
    string(REGEX REPLACE ".*\"([^\"]+)\".*" "\\1" included "${line}")
    list(APPEND otp_header_queue "${included}")
  endforeach()
endwhile()
list(SORT otp_installed_headers)
foreach(header IN LISTS otp_installed_headers)
  get_filename_component(subdir "${header}" DIRECTORY)
  install(FILES "${header}"
          DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/otp/${subdir}"
          COMPONENT otp_development)
endforeach()

# -- targets ------------------------------------------------------------------

install(TARGETS otp_framework otp_behaviours otp_supervision otp_all
        EXPORT otpTargets
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT otp_development
        LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT otp_runtime
        RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT otp_runtime)

install(EXPORT otpTargets
        NAMESPACE otp::
        DESTINATION "${OTP_INSTALL_CMAKEDIR}"
        COMPONENT otp_development)

# -- package config -----------------------------------------------------------

configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/otpConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/otpConfig.cmake"
  INSTALL_DESTINATION "${OTP_INSTALL_CMAKEDIR}")

# 0.x: a minor release may break the API, so 0.1 accepts only 0.1.*.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/otpConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMinorVersion)

install(FILES "${PROJECT_BINARY_DIR}/otpConfig.cmake"
              "${PROJECT_BINARY_DIR}/otpConfigVersion.cmake"
        DESTINATION "${OTP_INSTALL_CMAKEDIR}"
        COMPONENT otp_development)
