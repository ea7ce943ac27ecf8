# jitcu's own calls into shared libraries (libstdc++, libc, OpenSSL, fmt) go through the GOT,
# bound when the program loads, instead of each being bound lazily at its first call. A cache
# hit in a new process made 58 such first calls, now 23: 7% of the hit's CPU part on the dev
# CPU; on the H100 host the difference was within run-to-run noise (docs/performance.md).
function(jitcu_codegen target)
  target_compile_options(${target} PRIVATE -fno-plt)
endfunction()
