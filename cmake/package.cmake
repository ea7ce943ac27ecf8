# Install and build-tree exports, so consumers can find_package(jitcu); a pkg-config file; CPack.
include(CMakePackageConfigHelpers)
# jitcu_base (the logger) is linked into the shared libraries; a static build exports it too.
set(_jitcu_installed jitcu jitcu_cache jitcu_kernels)
if(NOT JITCU_SHARED_LIBS)
  list(APPEND _jitcu_installed jitcu_base)
endif()
install(TARGETS ${_jitcu_installed} EXPORT jitcuTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT jitcuTargets NAMESPACE jitcu:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/jitcu)
export(EXPORT jitcuTargets NAMESPACE jitcu:: FILE ${PROJECT_BINARY_DIR}/jitcuTargets.cmake)
# jitcuConfig.cmake asks for the packages the exported targets name, and no others: a shared
# library's private dependencies stay inside it; a static archive's come along ($<LINK_ONLY:>).
set(_jitcu_find_args
  "spdlog::spdlog=spdlog" "fmt::fmt=fmt" "nlohmann_json::nlohmann_json=nlohmann_json 3"
  "OpenSSL::Crypto=OpenSSL COMPONENTS Crypto" "Threads::Threads=Threads")
set(JITCU_FIND_DEPENDENCIES "")
foreach(_jitcu_target jitcu jitcu_cache jitcu_kernels)
  get_target_property(_jitcu_needs ${_jitcu_target} INTERFACE_LINK_LIBRARIES)
  get_target_property(_jitcu_type ${_jitcu_target} TYPE)
  if(_jitcu_type STREQUAL "STATIC_LIBRARY")
    get_target_property(_jitcu_private ${_jitcu_target} LINK_LIBRARIES)
    list(APPEND _jitcu_needs ${_jitcu_private})
  endif()
  foreach(_jitcu_pair IN LISTS _jitcu_find_args)
    string(REPLACE "=" ";" _jitcu_pair "${_jitcu_pair}")
    list(GET _jitcu_pair 0 _jitcu_imported)
    list(GET _jitcu_pair 1 _jitcu_args)
    string(FIND "${JITCU_FIND_DEPENDENCIES}" "(${_jitcu_args})" _jitcu_seen)
    if(_jitcu_imported IN_LIST _jitcu_needs AND _jitcu_seen EQUAL -1)
      string(APPEND JITCU_FIND_DEPENDENCIES "find_dependency(${_jitcu_args})\n")
    endif()
  endforeach()
endforeach()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/jitcuConfig.cmake.in
  ${PROJECT_BINARY_DIR}/jitcuConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/jitcu)
# While 0.x, a minor version may break the API: a request for 0.1 accepts 0.1.z only.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(_jitcu_compatibility SameMinorVersion)
else()
  set(_jitcu_compatibility SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/jitcuConfigVersion.cmake
  COMPATIBILITY ${_jitcu_compatibility})
install(FILES ${PROJECT_BINARY_DIR}/jitcuConfig.cmake ${PROJECT_BINARY_DIR}/jitcuConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/jitcu)

# pkg-config: `pkg-config --cflags --libs jitcu`. Paths relative to the .pc file's own place
# (${pcfiledir}), so a moved prefix still works.
file(RELATIVE_PATH _jitcu_pc_to_prefix ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" _jitcu_pc_to_prefix "${_jitcu_pc_to_prefix}")
if(BUILD_SHARED_LIBS)
  set(JITCU_PC_PRIVATE_LIBS "")
else()
  set(JITCU_PC_PRIVATE_LIBS "-lspdlog -lfmt -lcrypto -lpthread ${CMAKE_DL_LIBS}")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/jitcu.pc.in ${PROJECT_BINARY_DIR}/jitcu.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/jitcu.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

if(NOT PROJECT_IS_TOP_LEVEL)
  return()  # the including project packages itself
endif()
# CPack: `cpack -G DEB` in the build folder makes jitcu_<version>_<arch>.deb (installs to /usr).
set(CPACK_PACKAGE_NAME jitcu)
set(CPACK_PACKAGE_VENDOR "jitcu")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "run-time CUDA kernel compilation with NVRTC and an inspectable cache")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "jitcu maintainers")
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
# The run-time libraries (libspdlog1.10, libfmt9, libssl3...) from the binaries' own needs.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${PROJECT_BINARY_DIR}/engine ${PROJECT_BINARY_DIR}/cache
  ${PROJECT_BINARY_DIR}/kernels)
# NVRTC and libcuda are opened at run time; the CUDA toolkit is not a Debian package here.
include(CPack)
