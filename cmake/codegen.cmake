# jitcu's own calls into shared libraries (libstdc++, libc, OpenSSL, fmt) go through the GOT,
# bound when the program loads, instead of each being bound lazily at its first call. A cache
# hit in a new process made 58 such first calls, now 23: 7% of the hit's CPU part on the dev
# CPU; on the H100 host the difference was within run-to-run noise (docs/performance.md).
#
# Optimized builds compile for size: a disk-cache hit in a new process runs most of this code
# once, from cold caches, so its cost is the number of distinct cache lines it runs (-Os:
# 13% fewer on the hit, a text 42% smaller). Files on the launch path, which runs millions of
# times in a warm process, pass to jitcu_speed_critical() and keep -O2.
function(jitcu_codegen target)
  target_compile_options(${target} PRIVATE -fno-plt $<$<NOT:$<CONFIG:Debug>>:-Os>)
endfunction()

function(jitcu_speed_critical)
  set_source_files_properties(${ARGN} PROPERTIES COMPILE_OPTIONS $<$<NOT:$<CONFIG:Debug>>:-O2>)
endfunction()
