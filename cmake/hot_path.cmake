# A disk-cache hit in a new process runs some 300 functions once each (jitcu's and the
# templates it instantiates), from cold caches. Spread over the text they cost a page fault per
# 64 KiB window and a TLB miss per page; on the H100 host the hit's engine and source steps took
# 68 us with them spread and 40 us with them together (docs/performance.md). So optimized builds
# give each function its own section (cmake/codegen.cmake), and once a static library is built,
# objcopy renames the sections of the functions listed in hot_path_symbols.txt to .text.hot.*:
# GNU ld's default linker script places those together, in any program that links jitcu.
# Nothing else changes; a listed name that no object has is ignored. Remake the list with
# tools/hot-path-symbols.
set(JITCU_HOT_PATH_LIST ${CMAKE_CURRENT_LIST_DIR}/hot_path_symbols.txt)

function(jitcu_group_hot_path target)
  get_target_property(type ${target} TYPE)
  if(NOT type STREQUAL "STATIC_LIBRARY" OR NOT CMAKE_OBJCOPY)
    return()
  endif()
  file(STRINGS ${JITCU_HOT_PATH_LIST} names REGEX "^[A-Za-z0-9_.]+$")
  list(TRANSFORM names REPLACE "^(.+)$" "--rename-section .text.\\1=.text.hot.\\1")
  list(JOIN names "\n" options)
  # An objcopy response file: the list is longer than a command line should be.
  set(response ${CMAKE_CURRENT_BINARY_DIR}/${target}_hot_path.rsp)
  file(CONFIGURE OUTPUT ${response} CONTENT "${options}\n" @ONLY)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${JITCU_HOT_PATH_LIST})
  # A new list must remake the archive; Ninja ignores LINK_DEPENDS for static libraries.
  get_target_property(sources ${target} SOURCES)
  set_property(SOURCE ${sources} APPEND PROPERTY OBJECT_DEPENDS ${response})
  add_custom_command(TARGET ${target} POST_BUILD COMMAND ${CMAKE_OBJCOPY} @${response} $<TARGET_FILE:${target}>
                     VERBATIM)
endfunction()
