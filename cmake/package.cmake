# Install and build-tree exports, so consumers can find_package(jitcu); a pkg-config file; CPack.
include(CMakePackageConfigHelpers)
install(TARGETS jitcu jitcu_cache jitcu_kernels EXPORT jitcuTargets
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
