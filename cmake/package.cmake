# Install and build-tree exports, so consumers can find_package(jitcu).
include(CMakePackageConfigHelpers)
install(TARGETS jitcu jitcu_cache jitcu_kernels EXPORT jitcuTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT jitcuTargets NAMESPACE jitcu:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/jitcu)
export(EXPORT jitcuTargets NAMESPACE jitcu:: FILE ${PROJECT_BINARY_DIR}/jitcuTargets.cmake)
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
