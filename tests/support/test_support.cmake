# Shared helpers: temp dirs, seeds, random inputs, child processes. Included once.
include_guard(GLOBAL)
find_package(doctest REQUIRED)

add_library(jitcu_test_support STATIC ${CMAKE_CURRENT_LIST_DIR}/test_support.cpp)
target_include_directories(jitcu_test_support PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(jitcu_test_support PUBLIC doctest::doctest fmt::fmt)
target_compile_features(jitcu_test_support PUBLIC cxx_std_20)
target_compile_definitions(jitcu_test_support PUBLIC
  JITCU_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
  JITCU_KERNELS_DIR="${PROJECT_SOURCE_DIR}/kernels")

function(jitcu_test_binary name)
  cmake_parse_arguments(arg "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE jitcu_test_support ${arg_LIBS})
  if(TARGET jitcu_worker)  # compile_async and compile_many start it
    add_dependencies(${name} jitcu_worker)
  endif()
  jitcu_warnings(${name})
endfunction()
