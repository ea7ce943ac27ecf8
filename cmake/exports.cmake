# A shared jitcu library exports jitcu's symbols only (cmake/exports.map): the templates it
# instantiates from its private dependencies cannot clash with a consumer's own copies.
function(jitcu_export_only_jitcu target)
  get_target_property(type ${target} TYPE)
  if(NOT type STREQUAL "SHARED_LIBRARY")
    return()
  endif()
  set(map ${PROJECT_SOURCE_DIR}/cmake/exports.map)
  target_link_options(${target} PRIVATE "LINKER:--version-script=${map}")
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${map})
  # 0.x: a minor version may change the ABI, so the soname carries it (libjitcu.so.0.1).
  set_target_properties(${target} PROPERTIES VERSION ${PROJECT_VERSION}
    SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
  # Installed, libjitcu.so finds libjitcu_cache.so beside it, wherever the prefix was moved.
  set_target_properties(${target} PROPERTIES INSTALL_RPATH "$ORIGIN")
endfunction()
